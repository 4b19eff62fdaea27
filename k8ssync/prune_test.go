package k8ssync

import (
	"strings"
	"testing"
)

func TestParseMaxPrune(t *testing.T) {
	for in, want := range map[string]int{"50%": 50, "0%": 0, "100%": 100, " 7% ": 7} {
		if got, err := ParseMaxPrune(in); err != nil || got != want {
			t.Errorf("ParseMaxPrune(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"150%": "between 0% and 100%", "-1%": "between 0% and 100%", "abc": "not a percentage",
		"50": "not a percentage", "%": "not a whole percentage", "12.5%": "not a whole percentage",
		"+5%": "not a whole percentage", "": "not a percentage",
	} {
		if _, err := ParseMaxPrune(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMaxPrune(%q) error %v, want %q", in, err, want)
		}
	}
}

func FuzzParseMaxPrune(f *testing.F) {
	for _, s := range []string{"50%", "100%", "0%", "150%", "-1%", "abc", "1e2%", "0x10%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseMaxPrune(s)
		if err != nil {
			if !strings.Contains(err.Error(), "%") {
				t.Errorf("error %q does not show the expected form", err)
			}
			return
		}
		if n < 0 || n > 100 || !strings.HasSuffix(strings.TrimSpace(s), "%") {
			t.Errorf("ParseMaxPrune(%q) = %d accepted", s, n)
		}
	})
}

func TestPruneHeldBoundaries(t *testing.T) {
	for _, tc := range []struct {
		planned, total, max int
		held                bool
	}{
		{0, 0, 50, false},
		{0, 10, 0, false}, // nothing to delete holds nothing
		{1, 1, 50, true},  // the last object of a kind: 100% > 50%
		{1, 2, 50, false}, // exactly max_prune is allowed
		{2, 3, 50, true},
		{5, 10, 50, false},
		{6, 10, 50, true},
		{1, 1000, 0, true}, // 0% holds every deletion
		{10, 10, 100, false},
		{1, 1, 99, true},
	} {
		if got := pruneHeld(tc.planned, tc.total, tc.max); got != tc.held {
			t.Errorf("pruneHeld(%d of %d, max %d%%) = %v, want %v", tc.planned, tc.total, tc.max, got, tc.held)
		}
	}
}

func TestMaxPruneOutOfRangeIsRefused(t *testing.T) {
	for _, v := range []int{-1, 101} {
		_, err := New(Options{NetBoxURL: "http://127.0.0.1:1", NetBoxToken: "t", MaxPrune: &v})
		if err == nil || !strings.Contains(err.Error(), "MaxPrune") {
			t.Errorf("MaxPrune %d: error %v", v, err)
		}
	}
}

// An empty namespace (a typo, a wrong token scope) lists every kind
// completely and empty: the sync deletes nothing and says why.
func TestEmptyNamespaceDeletesNothingAndReportsPruneHeld(t *testing.T) {
	h := newHarness(t)
	total := seedWiring(h.kube)
	h.sync()
	h.setFabric("kubernetes_namespace", "empty")

	p := h.plan()
	sw := p.kind(t, "Switch")
	if sw.Held == nil || *sw.Held != (PruneHeld{Count: 3, Total: 3}) || len(sw.Delete) != 3 {
		t.Fatalf("plan Switch = %+v", sw)
	}
	res := h.sync()
	if res.Success || res.Code != CodePruneHeld || res.Stats.Deleted != 0 || count(h) != total {
		t.Fatalf("sync = %s %q %+v; NetBox has %d of %d", res.Code, res.Error, res.Stats, count(h), total)
	}
	for _, kp := range p.Kinds {
		ks := res.Stats.Kinds[kp.Kind]
		if ks.PruneHeld == nil || kp.Held == nil || *ks.PruneHeld != *kp.Held || ks.Deleted != 0 {
			t.Errorf("%s: planned held %+v, synced %+v", kp.Kind, kp.Held, ks)
		}
	}
	patch := h.lastPatch()
	syncErr, _ := patch["sync_error"].(string)
	if patch["sync_status"] != "out_of_sync" || !strings.Contains(syncErr, "Switch: 3 of 3 would be deleted") ||
		!strings.Contains(syncErr, "max_prune 50%") {
		t.Errorf("status %v, sync_error %q", patch["sync_status"], syncErr)
	}
	if _, written := patch["last_sync"]; written {
		t.Error("last_sync written after held deletions")
	}
}

func TestMaxPruneDecidesPerKind(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxPrune int
		held     bool
	}{
		{"default 50% holds 2 of 3", 50, true},
		{"70% lets 2 of 3 go", 70, false},
		{"100% turns the check off", 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(o *Options) { o.MaxPrune = &tc.maxPrune })
			seedWiring(h.kube)
			h.sync()
			h.kube.Remove(kind("Switch"), "leaf-01")
			h.kube.Remove(kind("Switch"), "leaf-02")
			h.kube.Remove(kind("Server"), "server-02") // 1 of 2: never held at 50% or more

			p := h.plan()
			res := h.sync()
			sw, srv := res.Stats.Kinds["Switch"], res.Stats.Kinds["Server"]
			if (sw.PruneHeld != nil) != tc.held || (p.kind(t, "Switch").Held != nil) != tc.held {
				t.Errorf("Switch held = %+v, plan %+v; want held %v", sw.PruneHeld, p.kind(t, "Switch").Held, tc.held)
			}
			wantDeleted := 2
			wantCode := ""
			if tc.held {
				wantDeleted, wantCode = 0, CodePruneHeld
			}
			if sw.Deleted != wantDeleted || srv.Deleted != 1 || srv.PruneHeld != nil || res.Code != wantCode {
				t.Errorf("Switch %+v, Server %+v, code %q", sw, srv, res.Code)
			}
			if tc.held && h.nb.Find(kind("Switch").Route, "leaf-01") == nil {
				t.Error("held switch deleted")
			}
		})
	}
}
