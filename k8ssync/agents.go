package k8ssync

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync/kube"
)

// StaleHeartbeat is how old an Agent's last heartbeat may be before its
// switch counts as stale. Agents beat every 15 s; four missed beats is
// more than a slow API server.
const StaleHeartbeat = 60 * time.Second

// Readiness counts a fabric's switches from their Hedgehog Agents.
type Readiness struct {
	// Ready switches applied their Agent's current generation
	// (status.lastAppliedGen == metadata.generation) and are not stale.
	Ready int `json:"ready"`
	// Total is the number of Agents.
	Total int `json:"total"`
	// Stale switches sent no heartbeat for more than StaleHeartbeat
	// (or never sent one).
	Stale int `json:"stale"`
	// Switches is each switch's state, by name, for the plan (the page's
	// readiness line opens to it); sync answers carry the counts only.
	Switches []SwitchState `json:"switches,omitempty"`
}

// SwitchState is one switch as its Agent reports it. State is what a
// person reads: "ready", "stale heartbeat" or "not ready (applied
// generation 2 of 3)".
type SwitchState struct {
	Name  string `json:"name"`
	State string `json:"state"`
	Ready bool   `json:"ready"`
	Stale bool   `json:"stale"`
}

// readiness counts agents at now. A switch with a stale heartbeat is not
// ready even if its generation matches: its agent is not there to say
// whether the configuration still holds. (Hedgehog's `kubectl fabric
// inspect` counts generations only.)
func readiness(agents []kube.AgentStatus, now time.Time) Readiness {
	r := Readiness{Total: len(agents)}
	for _, a := range agents {
		sw := SwitchState{Name: a.Name, State: fmt.Sprintf("not ready (applied generation %d of %d)", a.LastAppliedGen, a.Generation)}
		sw.Stale = a.LastHeartbeat.IsZero() || now.Sub(a.LastHeartbeat) > StaleHeartbeat
		switch {
		case sw.Stale:
			r.Stale++
			sw.State = "stale heartbeat"
		case a.Generation > 0 && a.LastAppliedGen == a.Generation:
			r.Ready++
			sw.Ready, sw.State = true, "ready"
		}
		r.Switches = append(r.Switches, sw)
	}
	slices.SortFunc(r.Switches, func(a, b SwitchState) int { return cmp.Compare(a.Name, b.Name) })
	return r
}

// counts is r's ready, total and stale, comparable.
func (r Readiness) counts() [3]int { return [3]int{r.Ready, r.Total, r.Stale} }

// readAgents reads the fabric's Agents and counts ready switches. Any
// failure (no Agent CRD, RBAC without agents, an API error) leaves
// readiness unknown (nil): it is never an error of the sync.
func (r *run) readAgents(ctx context.Context, reader *kube.Reader) {
	if r.connClass != "" {
		return // the cluster is not reachable: nothing to learn
	}
	l := reader.ListAgents(ctx)
	if l.Status != kube.StatusOK {
		fields := []zap.Field{zap.Int("fabric", r.id), zap.String("class", string(l.Class))}
		if l.Err != nil {
			fields = append(fields, zap.String("error", r.red.clean(l.Err.Error())))
		}
		r.e.log.Debug("switch readiness unknown", fields...)
		return
	}
	rd := readiness(l.Agents, r.e.now())
	r.switches = &rd
}

// setReadiness copies the readiness into the stats (nil: unknown, the
// numbers are omitted).
func (s *Stats) setReadiness(rd *Readiness) {
	if rd == nil {
		return
	}
	s.SwitchesReady, s.SwitchesTotal, s.SwitchesStale = ptr(rd.Ready), ptr(rd.Total), ptr(rd.Stale)
}
