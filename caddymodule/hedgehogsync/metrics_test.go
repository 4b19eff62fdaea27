package hedgehogsync

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hhgate/hhgate/k8ssync"
)

// gathered returns the values of the family name in reg, by label
// values joined with ",".
func gathered(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			key := ""
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetValue()
			}
			switch {
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func TestHeldPrunesAndSwitchReadinessAreMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := registerSyncMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	heldBefore := gathered(t, reg, "hhgate_sync_prune_held_total")["Switch"]
	checkedBefore := gathered(t, reg, "hhgate_sync_kinds_checked_total")
	ready, total, stale := 3, 5, 1
	m.SyncStarted()
	m.SyncFinished("user", k8ssync.Result{FabricID: 901, Code: k8ssync.CodePruneHeld, Stats: k8ssync.Stats{
		SwitchesReady: &ready, SwitchesTotal: &total, SwitchesStale: &stale,
		Kinds: map[string]k8ssync.KindStats{"Switch": {PruneHeld: &k8ssync.PruneHeld{Count: 3, Total: 3}}, "VPC": {}},
	}}, 0)
	switches := gathered(t, reg, "hhgate_fabric_switches")
	for state, want := range map[string]float64{"ready": 3, "total": 5, "stale": 1} {
		if got := switches["901,"+state]; got != want {
			t.Errorf("switches{fabric=901,state=%s} = %v, want %v (%v)", state, got, want, switches)
		}
	}
	m.SyncStarted()
	m.SyncFinished("schedule", k8ssync.Result{FabricID: 902, Success: true, Stats: k8ssync.Stats{
		Kinds: map[string]k8ssync.KindStats{"Switch": {ByChangeMarks: true}, "VPC": {ByChangeMarks: true}, "Server": {Updated: 1}},
	}}, 0)
	checked := gathered(t, reg, "hhgate_sync_kinds_checked_total")
	if checked["marks"] != checkedBefore["marks"]+2 || checked["full"] != checkedBefore["full"]+3 {
		t.Errorf("kinds_checked_total = %v (was %v): want 2 more on the marks, 3 more in full", checked, checkedBefore)
	}
	held := gathered(t, reg, "hhgate_sync_prune_held_total")
	if held["Switch"] != heldBefore+1 || held["VPC"] != 0 {
		t.Errorf("prune_held_total = %v (Switch was %v)", held, heldBefore)
	}

	// Readiness unknown on the next sync: the fabric's numbers go away.
	m.SyncStarted()
	m.SyncFinished("user", k8ssync.Result{FabricID: 901, Success: true}, 0)
	for key := range gathered(t, reg, "hhgate_fabric_switches") {
		if strings.HasPrefix(key, "901,") {
			t.Errorf("readiness of fabric 901 kept after it became unknown: %s", key)
		}
	}
}
