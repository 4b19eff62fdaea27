package k8ssync

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// objectLists counts the NetBox object lists of the requests since the
// last reset: full reads (not the one-object mark reads, not fabrics).
func objectLists(h *harness) (lists, markReads int) {
	for _, r := range h.nb.Requests() {
		if r.Method != http.MethodGet || strings.Contains(r.Path, "/fabrics/") {
			continue
		}
		q, _ := url.ParseQuery(r.Query)
		if q.Get("limit") == "1" && strings.Contains(q.Get("ordering"), "last_updated") {
			markReads++
		} else {
			lists++
		}
	}
	return lists, markReads
}

// confirmedKinds are the kinds counted unchanged by their change marks.
func confirmedKinds(res Result) int {
	n := 0
	for _, ks := range res.Stats.Kinds {
		if ks.ByChangeMarks {
			n++
		}
	}
	return n
}

// importAndSettle imports the wiring and runs the full compare that
// records the marks (the import wrote, so it recorded none).
func importAndSettle(t *testing.T, h *harness) int {
	t.Helper()
	total := seedWiring(h.kube)
	if res := h.sync(); !res.Success || res.Stats.Created == 0 {
		t.Fatalf("import: %+v", res.Stats)
	}
	if res := h.sync(); !res.Success || res.Stats.Unchanged != total || confirmedKinds(res) != 0 {
		t.Fatalf("full compare after the import: %+v", res.Stats)
	}
	h.nb.ResetRequests()
	return total
}

// A resync that nothing changed reads the marks, not the objects, and
// writes nothing; what it reports is what a full compare reports.
func TestResyncConfirmedByChangeMarks(t *testing.T) {
	h := newHarness(t)
	total := importAndSettle(t, h)
	res := h.sync()
	if !res.Success || res.Stats.Unchanged != total || res.Stats.TotalCRDs != total || h.nb.ObjectWrites() != 0 {
		t.Fatalf("resync: %+v, %d writes", res.Stats, h.nb.ObjectWrites())
	}
	// SwitchGroup's empty spec is imported too (AllowBlankSpec): every kind holds objects.
	if got := confirmedKinds(res); got != len(kinds.All) {
		t.Errorf("%d kinds confirmed by their marks, want %d: %+v", got, len(kinds.All), res.Stats.Kinds)
	}
	lists, markReads := objectLists(h)
	if lists != 0 || markReads < len(kinds.All) || markReads > 2*len(kinds.All) {
		t.Errorf("%d object lists and %d mark reads, want 0 and 12 to 24", lists, markReads)
	}
	if p := h.lastPatch(); p["sync_status"] != "in_sync" {
		t.Errorf("final status %v", p)
	}
}

// An edit in NetBox moves last_updated: the kind is compared in full and
// repaired; a deleted NetBox object changes the count and is created
// again; a changed custom resource changes the fingerprint.
func TestChangeMarksSeeEveryChange(t *testing.T) {
	for _, tc := range []struct {
		name        string
		change      func(h *harness)
		wantCreated int
		wantUpdated int
	}{
		{"spec edited in NetBox", func(h *harness) {
			h.nb.Edit("vpcs", "vpc-1", func(row map[string]any) { row["spec"] = map[string]any{"edited": true} })
		}, 0, 1},
		{"labels edited in NetBox", func(h *harness) {
			h.nb.Edit("switches", "leaf-01", func(row map[string]any) { row["labels"] = map[string]any{"x": "y"} })
		}, 0, 1},
		{"object deleted in NetBox", func(h *harness) {
			id := h.nb.Find("servers", "server-01")["id"].(int)
			req, _ := http.NewRequest(http.MethodDelete, h.nb.URL+"/api/plugins/hedgehog/servers/",
				strings.NewReader(fmt.Sprintf(`[{"id": %d}]`, id)))
			req.Header.Set("Authorization", "Token "+serviceToken)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != http.StatusNoContent {
				h.t.Fatalf("delete: %v %v", res, err)
			}
		}, 1, 0},
		{"custom resource changed", func(h *harness) {
			h.kube.Update(kind("VPC"), "vpc-2", func(obj map[string]any) { obj["spec"] = map[string]any{"changed": 1} })
		}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			total := importAndSettle(t, h)
			tc.change(h)
			res := h.sync()
			if !res.Success || res.Stats.Created != tc.wantCreated || res.Stats.Updated != tc.wantUpdated {
				t.Fatalf("sync after the change: %+v", res.Stats)
			}
			if got := confirmedKinds(res); got != len(kinds.All)-1 {
				t.Errorf("%d kinds confirmed by marks, want all but the changed one", got)
			}
			// The repaired kind is compared in full once more, then trusted again.
			if res := h.sync(); res.Stats.Unchanged != total || confirmedKinds(res) != len(kinds.All)-1 {
				t.Errorf("next sync: %+v", res.Stats)
			}
			if res := h.sync(); confirmedKinds(res) != len(kinds.All) {
				t.Errorf("third sync: %d kinds confirmed", confirmedKinds(res))
			}
		})
	}
}

// Without a trustworthy mark every sync compares in full: a NetBox that
// ignores ?ordering= (before 3.2), marks turned off, and marks older than
// FullCompareEvery.
func TestChangeMarksFallBackToFullCompare(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tweak func(*Options)
		setup func(h *harness)
	}{
		// A route of one object needs no order: its mark holds.
		{"NetBox ignores ordering", nil, func(h *harness) { h.nb.IgnoreOrdering(true) }},
		{"marks off", func(o *Options) { o.FullCompareEvery = -1 }, nil},
		// The harness clock moves a second per reading: a sync is older than that.
		{"mark older than FullCompareEvery", func(o *Options) { o.FullCompareEvery = 2 * time.Second }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tweaks []func(*Options)
			if tc.tweak != nil {
				tweaks = append(tweaks, tc.tweak)
			}
			h := newHarness(t, tweaks...)
			if tc.setup != nil {
				tc.setup(h)
			}
			total := importAndSettle(t, h)
			res := h.sync()
			if !res.Success || res.Stats.Unchanged != total {
				t.Fatalf("resync: %+v", res.Stats)
			}
			read := 0
			for name, ks := range res.Stats.Kinds {
				if ks.ByChangeMarks && (ks.Listed > 1 || tc.setup == nil) {
					t.Errorf("%s (%d objects) confirmed by its marks", name, ks.Listed)
				}
				if !ks.ByChangeMarks {
					read++
				}
			}
			if lists, _ := objectLists(h); lists != read || read == 0 {
				t.Errorf("%d object lists for %d kinds compared in full", lists, read)
			}
		})
	}
}

// A kind left with something to do (here: a deletion max_prune holds) is
// never trusted on its marks: it keeps being compared, and reported.
func TestHeldKindIsNotMarked(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxPrune = ptr(10) })
	importAndSettle(t, h)
	h.kube.Remove(kind("Server"), "server-01")
	h.kube.Remove(kind("Server"), "server-02")
	for range 2 {
		res := h.sync()
		ks := res.Stats.Kinds["Server"]
		if ks.PruneHeld == nil || ks.ByChangeMarks {
			t.Fatalf("Server kind: %+v", ks)
		}
	}
}

// A plan always reads everything and records no mark.
func TestPlanIgnoresChangeMarks(t *testing.T) {
	h := newHarness(t)
	importAndSettle(t, h)
	p := h.engine.Plan(t.Context(), fabricID)
	if p.Error != "" {
		t.Fatalf("plan: %+v", p)
	}
	if lists, markReads := objectLists(h); lists < len(kinds.All) || markReads != 0 {
		t.Errorf("plan: %d object lists, %d mark reads", lists, markReads)
	}
}
