package k8ssync

import (
	"cmp"
	"context"
	"errors"
	"runtime/debug"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync/diff"
	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// PlanResult is what the next sync of a fabric would do, computed by the
// same reads and diff as a sync with every write left out. It marshals to
// the plan endpoint's JSON (docs/sync.md) and never holds a secret.
type PlanResult struct {
	Fabric     int    `json:"fabric"`
	FabricName string `json:"fabric_name,omitempty"`
	// Namespace is the Kubernetes namespace the fabric is read from.
	Namespace string `json:"namespace,omitempty"`
	// Prune and MaxPrune are the gateway's settings the plan applied.
	Prune    bool `json:"prune"`
	MaxPrune int  `json:"max_prune"`
	// Kinds has one entry per synced kind, in the plugin's order (empty
	// when the fabric or its cluster could not be read at all).
	Kinds []KindPlan `json:"kinds"`
	// Unreadable lists what could not be read: a kind's Kubernetes or
	// NetBox list, or the whole fabric (kind "").
	Unreadable []Unreadable `json:"unreadable"`
	// Switches is the readiness of the fabric's switches; null when
	// unknown (no Agent CRD, Agents forbidden, the cluster unreachable).
	Switches *Readiness `json:"switches"`
	// Code is set when no plan could be made (fabric_not_found,
	// netbox_unavailable, netbox_forbidden, fabric_not_configured,
	// kubernetes_*, timeout, cancelled, internal_error): the sync would
	// fail the same way.
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// KindPlan is one kind's part of the plan.
type KindPlan struct {
	Kind string `json:"kind"`
	// Status is KindOK, KindNotInstalled or KindFailed.
	Status    string          `json:"status"`
	Listed    int             `json:"listed"`
	Unchanged int             `json:"unchanged"`
	Create    []PlannedObject `json:"create"`
	Update    []PlannedObject `json:"update"`
	// Delete lists what pruning would delete; when Held is set, the sync
	// deletes none of them.
	Delete []PlannedObject `json:"delete"`
	Held   *PruneHeld      `json:"held"`
	// Error is why the kind cannot be synced ("" when it can).
	Error string `json:"error,omitempty"`
}

// PlannedObject is one object the sync would write. Fields (updates only)
// are the NetBox fields that would change (diff.ChangedFields).
type PlannedObject struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Fields    []string `json:"fields,omitempty"`
}

// Unreadable is one thing the plan could not read. Side is "kubernetes",
// "netbox", or "gateway" (an internal error).
type Unreadable struct {
	Kind  string `json:"kind"`
	Side  string `json:"side"`
	Error string `json:"error"`
}

// Plan computes what Sync would do for fabricID now, without writing
// anything to NetBox: no object write, no journal, and no status write at
// all (not even "syncing"). It reads exactly what a sync reads, with the
// same service token and the fabric's own Kubernetes credentials, and
// applies the same prune rules and max_prune hold.
func (e *Engine) Plan(ctx context.Context, fabricID int) (res PlanResult) {
	r := newRun(e, fabricID)
	r.dryRun = true
	defer func() {
		if p := recover(); p != nil {
			r.panicked(p, debug.Stack())
		}
		res = r.planResult()
	}()
	planCtx, cancel := context.WithTimeout(ctx, e.o.Timeout)
	defer cancel()
	r.execute(planCtx)
	r.noteContext(planCtx, ctx)
	return PlanResult{} // replaced by the deferred planResult
}

// keep records NetBox's compared fields of one object for the plan; the
// lowest id of a key wins, as in the Index. A plan holds them for every
// object of the fabric (its answer lists them anyway); a sync never does.
func (s *kindSync) keep(o *netbox.Object) {
	k := diff.Key{Namespace: o.Namespace, Name: o.Name}
	if prev, dup := s.objects[k]; dup && prev.ID < o.ID {
		return
	}
	c := *o
	s.objects[k] = &c
}

// planVisit records what the sync would write for one custom resource.
func (s *kindSync) planVisit(res *kube.Resource) {
	switch action, w := s.index.Visit(res); action {
	case diff.Unchanged:
		s.stats.Unchanged++
	case diff.Create:
		s.plan.Create = append(s.plan.Create, PlannedObject{Name: w.Key.Name, Namespace: w.Key.Namespace})
	case diff.Update:
		var fields []string
		if o := s.objects[w.Key]; o != nil {
			fields = diff.ChangedFields(res, o)
		}
		s.plan.Update = append(s.plan.Update, PlannedObject{Name: w.Key.Name, Namespace: w.Key.Namespace, Fields: fields})
	}
}

// planDeletes records the kind's deletions and whether max_prune holds them.
func (s *kindSync) planDeletes(gone []diff.Removal, held bool) {
	for _, g := range gone {
		s.plan.Delete = append(s.plan.Delete, PlannedObject{Name: g.Key.Name, Namespace: g.Key.Namespace})
	}
	if held {
		s.plan.Held = s.stats.PruneHeld
	}
}

// kindPlan returns the kind's entry (created on first use), brought up to
// date with the kind's stats.
func (r *run) kindPlan(k kinds.Kind, ks *KindStats) *KindPlan {
	if r.plans == nil {
		r.plans = map[string]*KindPlan{}
	}
	kp, ok := r.plans[k.Kind]
	if !ok {
		kp = &KindPlan{Kind: k.Kind, Create: []PlannedObject{}, Update: []PlannedObject{}, Delete: []PlannedObject{}}
		r.plans[k.Kind] = kp
	}
	kp.Status, kp.Listed, kp.Unchanged, kp.Error = ks.Status, ks.Listed, ks.Unchanged, ks.Error
	return kp
}

// planResult assembles the plan after the reads.
func (r *run) planResult() PlanResult {
	res := PlanResult{Fabric: r.id, FabricName: r.fabric.Name, Prune: r.e.prune(), MaxPrune: r.e.maxPrune(),
		Kinds: []KindPlan{}, Unreadable: []Unreadable{}, Switches: r.switches}
	if r.fabricRead {
		res.Namespace = cmp.Or(r.fabric.KubernetesNamespace, "default")
	}
	for _, k := range kinds.All {
		ks, attempted := r.kindStats[k.Kind]
		if !attempted {
			continue
		}
		kp := r.kindPlan(k, ks)
		res.Kinds = append(res.Kinds, *kp)
	}
	for _, d := range r.stats.ErrorDetails {
		side := "kubernetes"
		switch d.Operation {
		case "list_netbox", "read_fabric", "write_status":
			side = "netbox"
		case "sync":
			side = "gateway"
		}
		res.Unreadable = append(res.Unreadable, Unreadable{Kind: d.Kind, Side: side, Error: d.Error})
	}
	switch code := r.code(); code {
	case "", CodePartialFailure, CodePruneHeld:
		// A plan was made; what could not be read is in Unreadable.
	default:
		res.Code, res.Error = code, r.red.clean(r.humanError(code))
	}
	r.e.log.Debug("fabric sync planned", zap.Int("fabric", r.id), zap.Int("kinds", len(res.Kinds)),
		zap.Int("unreadable", len(res.Unreadable)), zap.String("code", res.Code))
	return res
}

// errDryRun is what a write attempted during a plan would fail with; the
// plan never reaches a write, this is the second line of defence.
var errDryRun = errors.New("dry run")
