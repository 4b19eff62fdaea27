package k8ssync

import (
	"context"
	"testing"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// TestProgressIsReportedInOrderAndEndsAtTheResult: a sync run with
// WithProgress starts reading, then reports each kind it compared and
// each bulk write; counts only grow, and the last report matches the
// result's counts.
func TestProgressIsReportedInOrderAndEndsAtTheResult(t *testing.T) {
	h := newHarness(t)
	total := seedWiring(h.kube)
	h.setFabric("sync_status", "syncing")
	var got []Progress
	ctx := WithProgress(context.Background(), func(p Progress) { got = append(got, p) })
	res := h.engine.Sync(ctx, fabricID)
	if !res.Success || res.Stats.Created != total {
		t.Fatalf("sync: %+v", res)
	}
	if len(got) < 2 || got[0].Phase != PhaseReading || got[0].KindsTotal != len(kinds.All) {
		t.Fatalf("first reports %+v: want reading of %d kinds first", got, len(kinds.All))
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if b.KindsRead < a.KindsRead || b.Planned < a.Planned || b.Written < a.Written || b.Listed < a.Listed {
			t.Fatalf("report %d %+v went back from %+v", i, b, a)
		}
	}
	// Each kind counts as read when its list ends; its last partial
	// batches (every batch of this small fabric) go right after, beside
	// the other kinds' lists. So no write is reported before a kind was
	// read, nothing is planned that was not listed, and writing begins
	// before the last kind is read (the gain of not waiting for it).
	early := false
	for _, p := range got {
		if p.Written > 0 && p.KindsRead == 0 || p.Planned > p.Listed {
			t.Errorf("report %+v: a write before any kind was read, or planned beyond listed", p)
		}
		early = early || p.Written > 0 && p.KindsRead < len(kinds.All)
	}
	if !early {
		t.Error("no write was reported before the last kind was read: kinds' writes wait for every list")
	}
	last := got[len(got)-1]
	want := Progress{Phase: PhaseWriting, KindsRead: len(kinds.All), KindsTotal: len(kinds.All), Listed: total, Planned: total, Written: total}
	if last != want {
		t.Errorf("last report %+v, want %+v", last, want)
	}

	// A second run changes nothing: it plans and writes nothing.
	got = nil
	h.setFabric("sync_status", "syncing")
	h.engine.Sync(ctx, fabricID)
	if last := got[len(got)-1]; last.Planned != 0 || last.Written != 0 || last.Listed != total {
		t.Errorf("no-op resync's last report %+v", last)
	}
}

// TestProgressWithoutCallback: without WithProgress nothing is reported
// and ReportProgress is a no-op.
func TestProgressWithoutCallback(t *testing.T) {
	ReportProgress(context.Background(), Progress{Phase: PhaseReading}) // must not panic
	var n int
	ctx := WithProgress(context.Background(), func(Progress) { n++ })
	ReportProgress(ctx, Progress{})
	if n != 1 {
		t.Fatalf("callback ran %d times, want 1", n)
	}
	if WithProgress(context.Background(), nil) != context.Background() {
		t.Error("a nil callback changed the context")
	}
}
