package k8ssync

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/k8ssync/kube"
)

func TestReadinessCounts(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	agent := func(gen, applied int64, age time.Duration) kube.AgentStatus {
		return kube.AgentStatus{Generation: gen, LastAppliedGen: applied, LastHeartbeat: now.Add(-age)}
	}
	for _, tc := range []struct {
		name  string
		agent kube.AgentStatus
		want  Readiness
	}{
		{"applied, fresh", agent(3, 3, 15*time.Second), Readiness{Ready: 1, Total: 1}},
		{"heartbeat exactly 60s old is not stale", agent(3, 3, 60*time.Second), Readiness{Ready: 1, Total: 1}},
		{"heartbeat just over 60s is stale", agent(3, 3, 60*time.Second+time.Millisecond), Readiness{Total: 1, Stale: 1}},
		{"old generation", agent(4, 3, time.Second), Readiness{Total: 1}},
		{"never applied", agent(1, 0, time.Second), Readiness{Total: 1}},
		{"no heartbeat ever", kube.AgentStatus{Generation: 1, LastAppliedGen: 1}, Readiness{Total: 1, Stale: 1}},
		{"heartbeat from the future (clock skew)", agent(2, 2, -5*time.Second), Readiness{Ready: 1, Total: 1}},
	} {
		if got := readiness([]kube.AgentStatus{tc.agent}, now); got.counts() != tc.want.counts() || len(got.Switches) != 1 {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if got := readiness(nil, now); got.counts() != [3]int{} || got.Switches != nil {
		t.Errorf("no agents: %+v", got)
	}
}

// The acceptance case with a fixed clock: 3 ready, 1 behind on its
// generation, 1 silent for two minutes.
func TestSyncAndPlanReportSwitchReadiness(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, func(o *Options) { o.Now = func() time.Time { return now } })
	seedWiring(h.kube)
	for _, name := range []string{"leaf-01", "leaf-02", "spine-01"} {
		h.kube.AddAgent("default", name, 2, 2, now.Add(-10*time.Second))
	}
	h.kube.AddAgent("default", "leaf-03", 5, 4, now.Add(-5*time.Second))
	h.kube.AddAgent("default", "leaf-04", 1, 1, now.Add(-2*time.Minute))
	h.kube.AddAgent("other", "elsewhere", 1, 1, now) // another namespace's switch

	res := h.sync()
	s := res.Stats
	if !res.Success || s.SwitchesReady == nil || *s.SwitchesReady != 3 || *s.SwitchesTotal != 5 || *s.SwitchesStale != 1 {
		t.Fatalf("sync = %s, switches %v/%v stale %v", res.Code, deref(s.SwitchesReady), deref(s.SwitchesTotal), deref(s.SwitchesStale))
	}
	p := h.plan()
	if p.Switches == nil || p.Switches.counts() != [3]int{3, 5, 1} {
		t.Fatalf("plan switches = %+v", p.Switches)
	}
	want := []SwitchState{
		{Name: "leaf-01", State: "ready", Ready: true},
		{Name: "leaf-02", State: "ready", Ready: true},
		{Name: "leaf-03", State: "not ready (applied generation 4 of 5)"},
		{Name: "leaf-04", State: "stale heartbeat", Stale: true},
		{Name: "spine-01", State: "ready", Ready: true},
	}
	if !slices.Equal(p.Switches.Switches, want) {
		t.Errorf("plan's switches:\n got %+v\nwant %+v", p.Switches.Switches, want)
	}
}

func TestUnknownReadinessIsNeverAnError(t *testing.T) {
	for name, fault := range map[string]func(h *harness){
		"no Agent CRD":     func(h *harness) { h.kube.NotInstalled(kinds.Agent) },
		"agents forbidden": func(h *harness) { h.kube.Forbid(kinds.Agent) },
		"agents 500":       func(h *harness) { h.kube.Status(kinds.Agent, http.StatusInternalServerError) },
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			seedWiring(h.kube)
			h.kube.AddAgent("default", "leaf-01", 1, 1, time.Now())
			fault(h)
			res := h.sync()
			if !res.Success || res.Stats.Errors != 0 || res.Stats.SwitchesReady != nil || res.Stats.SwitchesTotal != nil {
				t.Errorf("sync = %s %q, switches %v", res.Code, res.Error, res.Stats.SwitchesTotal)
			}
			if p := h.plan(); p.Switches != nil || len(p.Unreadable) != 0 {
				t.Errorf("plan switches %+v, unreadable %+v", p.Switches, p.Unreadable)
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
