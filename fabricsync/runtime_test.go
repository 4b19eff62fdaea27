package fabricsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hhgate/hhgate/k8ssync"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// scriptedEngine is an Engine whose Sync runs a test's function, and
// which records status writes and journal entries like NetBox would.
type scriptedEngine struct {
	sync func(ctx context.Context, id int) k8ssync.Result

	mu          sync.Mutex
	syncs       int
	status      map[int]string // sync_status by fabric
	enabled     bool
	writeFails  int // WriteStatus fails this many times
	writes      []string
	journal     []netbox.JournalEntry
	interrupted []string
}

func newScripted(fn func(ctx context.Context, id int) k8ssync.Result) *scriptedEngine {
	return &scriptedEngine{sync: fn, status: map[int]string{}, enabled: true}
}

func (e *scriptedEngine) Sync(ctx context.Context, id int) k8ssync.Result {
	e.mu.Lock()
	e.syncs++
	e.status[id] = netbox.SyncSyncing
	e.mu.Unlock()
	res := e.sync(ctx, id)
	if res.StatusWritten {
		e.mu.Lock()
		e.status[id] = res.Stats.Status
		e.mu.Unlock()
	}
	return res
}

func (e *scriptedEngine) TestConnection(context.Context, int) k8ssync.ConnectionResult {
	return k8ssync.ConnectionResult{}
}

func (e *scriptedEngine) Fabrics(context.Context) ([]netbox.FabricState, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []netbox.FabricState
	for id, st := range e.status {
		out = append(out, netbox.FabricState{ID: id, SyncStatus: st, SyncEnabled: e.enabled})
	}
	return out, nil
}

func (e *scriptedEngine) FabricState(_ context.Context, id int) (netbox.FabricState, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return netbox.FabricState{ID: id, SyncStatus: e.status[id], SyncEnabled: e.enabled}, nil
}

func (e *scriptedEngine) WriteStatus(_ context.Context, id int, status json.RawMessage) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.writeFails > 0 {
		e.writeFails--
		return errors.New("503 Service Unavailable")
	}
	var s struct {
		SyncStatus string `json:"sync_status"`
	}
	_ = json.Unmarshal(status, &s)
	e.status[id] = s.SyncStatus
	e.writes = append(e.writes, string(status))
	return nil
}

func (e *scriptedEngine) MarkInterrupted(_ context.Context, id int, reason string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status[id] = netbox.SyncError
	e.interrupted = append(e.interrupted, reason)
	return nil
}

func (e *scriptedEngine) Journal(_ context.Context, entry netbox.JournalEntry) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.journal = append(e.journal, entry)
	return nil
}

func (e *scriptedEngine) Plan(_ context.Context, id int) k8ssync.PlanResult {
	return k8ssync.PlanResult{Fabric: id}
}

func (e *scriptedEngine) get(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f()
}

func success(created int) k8ssync.Result {
	return k8ssync.Result{Success: true, StatusWritten: true, Message: "ok",
		Stats: k8ssync.Stats{Created: created, Status: netbox.SyncInSync, Details: fmt.Sprintf("%d created", created),
			Kinds: map[string]k8ssync.KindStats{"VPC": {Created: created}}}}
}

func newRuntimeHandler(t *testing.T, rt *Runtime, eng Engine) *Handler {
	t.Helper()
	srv := httptest.NewServer(&fakeNetBox{status: 200, body: `{"username":"alice"}`})
	t.Cleanup(srv.Close)
	h, err := New(Config{NetBoxURL: srv.URL, Engine: eng, Runtime: rt, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func press(h *Handler, id int) string {
	rec := httptest.NewRecorder()
	_ = h.Serve(rec, syncRequest(fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync/", id)), notReached)
	return fmt.Sprint(rec.Code, " ", rec.Body.String())
}

// TestReloadDoesNotCancelOrDuplicateASync: the handler of a new config
// (same Runtime) joins the sync the old config's handler started, and the
// old handler going away changes nothing.
func TestReloadDoesNotCancelOrDuplicateASync(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	eng := newScripted(func(ctx context.Context, id int) k8ssync.Result {
		started <- struct{}{}
		select {
		case <-release:
			return success(3)
		case <-ctx.Done():
			return k8ssync.Result{Code: k8ssync.CodeCancelled}
		}
	})
	rt := NewRuntime(RuntimeConfig{})
	old := newRuntimeHandler(t, rt, eng)
	answers := make(chan string, 2)
	go func() { answers <- press(old, 7) }()
	<-started
	joined := make(chan int, 1)
	rt.joined = func(id int) { joined <- id }
	reloaded := newRuntimeHandler(t, rt, eng)
	go func() { answers <- press(reloaded, 7) }()
	<-joined
	close(release)
	a, b := <-answers, <-answers
	if a != b || !strings.HasPrefix(a, `200 {"success":true`) {
		t.Fatalf("answers %q / %q", a, b)
	}
	eng.get(func() {
		if eng.syncs != 1 {
			t.Errorf("engine ran %d times, want 1", eng.syncs)
		}
	})
}

// TestTwoGatewaysSharingStorageRunOneSync: two runtimes (two gateways) on
// one storage; concurrent presses on both run one sync and all get its
// result from the lock holder's stored record.
func TestTwoGatewaysSharingStorageRunOneSync(t *testing.T) {
	shared := NewMemoryStorage()
	var runs atomic.Int32
	release := make(chan struct{})
	eng := newScripted(func(ctx context.Context, id int) k8ssync.Result {
		runs.Add(1)
		<-release
		return success(5)
	})
	a := newRuntimeHandler(t, NewRuntime(RuntimeConfig{Storage: shared, Namespace: "nb"}), eng)
	b := newRuntimeHandler(t, NewRuntime(RuntimeConfig{Storage: shared, Namespace: "nb"}), eng)
	var joins atomic.Int32
	a.rt.joined = func(int) { joins.Add(1) }
	b.rt.joined = func(int) { joins.Add(1) }
	answers := make(chan string, 6)
	go func() { answers <- press(a, 9) }()
	for runs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < 5; i++ {
		h := a
		if i%2 == 0 {
			h = b
		}
		go func() { answers <- press(h, 9) }()
	}
	// b's flight waits for the lock; two presses joined it, two a's flight.
	waitFor(t, func() bool { return waitingOn(b.rt, 9) && joins.Load() == 4 })
	close(release)
	first := <-answers
	for i := 0; i < 5; i++ {
		if got := <-answers; got != first {
			t.Fatalf("answers differ: %q vs %q", got, first)
		}
	}
	if runs.Load() != 1 || !strings.Contains(first, `"created":5`) {
		t.Fatalf("%d runs, answer %q", runs.Load(), first)
	}
}

func waitingOn(rt *Runtime, id int) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.running[id] != nil
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPanicBecomesAnInternalAnswer: a panic in the engine answers 500
// internal_error, ends "syncing", and the next press syncs normally.
func TestPanicBecomesAnInternalAnswer(t *testing.T) {
	calls := 0
	eng := newScripted(func(ctx context.Context, id int) k8ssync.Result {
		calls++
		if calls == 1 {
			panic("injected")
		}
		return success(1)
	})
	h := newRuntimeHandler(t, NewRuntime(RuntimeConfig{}), eng)
	got := press(h, 3)
	if !strings.HasPrefix(got, "500 ") || !strings.Contains(got, `"code":"internal_error"`) || !strings.Contains(got, "panic: injected") {
		t.Fatalf("answer %q", got)
	}
	eng.get(func() {
		if eng.status[3] != netbox.SyncError || len(eng.interrupted) != 1 {
			t.Errorf("status %q, interrupted %v", eng.status[3], eng.interrupted)
		}
	})
	if got := press(h, 3); !strings.HasPrefix(got, "200 ") {
		t.Fatalf("after the panic: %q", got)
	}
}

// TestSyncingWithoutHolderIsRecovered: a fabric left "syncing" (its
// gateway died) is marked interrupted and synced again by the recovery.
func TestSyncingWithoutHolderIsRecovered(t *testing.T) {
	eng := newScripted(func(ctx context.Context, id int) k8ssync.Result { return success(2) })
	eng.status[4] = netbox.SyncSyncing
	rt := NewRuntime(RuntimeConfig{RecoveryInterval: 10 * time.Millisecond})
	rt.UseEngine(eng, time.Minute)
	defer rt.Close()
	waitFor(t, func() bool {
		done := false
		eng.get(func() { done = eng.syncs == 1 && eng.status[4] == netbox.SyncInSync })
		return done
	})
	eng.get(func() {
		if len(eng.interrupted) != 1 || eng.interrupted[0] != InterruptedMessage {
			t.Errorf("interrupted %v", eng.interrupted)
		}
		if len(eng.journal) != 1 || !strings.Contains(eng.journal[0].Comments, "after an interrupted sync") {
			t.Errorf("journal %v", eng.journal)
		}
	})
}

// TestUnwrittenFinalStatusIsKeptAndRetried: NetBox refuses the final
// status write; the runtime keeps it in storage and writes it once
// NetBox answers again.
func TestUnwrittenFinalStatusIsKeptAndRetried(t *testing.T) {
	storage := NewMemoryStorage()
	status := json.RawMessage(`{"sync_status":"in_sync","sync_error":""}`)
	eng := newScripted(func(ctx context.Context, id int) k8ssync.Result {
		return k8ssync.Result{Code: k8ssync.CodeNetBoxUnavailable, PendingStatus: status, Stats: k8ssync.Stats{Status: "error"}}
	})
	eng.writeFails = 3
	rt := NewRuntime(RuntimeConfig{Storage: storage, StatusRetryDelay: time.Millisecond})
	h := newRuntimeHandler(t, rt, eng)
	if got := press(h, 5); !strings.HasPrefix(got, "502 ") {
		t.Fatalf("answer %q", got)
	}
	waitFor(t, func() bool {
		ok := false
		eng.get(func() { ok = eng.status[5] == netbox.SyncInSync })
		return ok
	})
	eng.get(func() {
		if eng.writeFails != 0 || len(eng.writes) != 1 {
			t.Errorf("writeFails left %d, writes %v", eng.writeFails, eng.writes)
		}
	})
	waitFor(t, func() bool {
		keys, _ := storage.List(context.Background(), "hhgate/sync", true)
		for _, k := range keys {
			if strings.HasSuffix(k, "pending-status.json") {
				return false
			}
		}
		return true
	})
}

func TestJournalEntries(t *testing.T) {
	noop := success(0)
	noop.Stats.Unchanged = 40
	partial := k8ssync.Result{Code: k8ssync.CodePartialFailure, Error: "Sync completed with 1 errors",
		Stats: k8ssync.Stats{Created: 2, Errors: 1, Details: "2 created", ErrorDetails: []k8ssync.ErrorDetail{{Kind: "VPC", Name: "default/a", Operation: "create", Error: "spec: blank"}}}}
	failed := k8ssync.Result{Code: k8ssync.CodeKubernetesUnreachable, Error: "Cannot reach the Kubernetes API server"}
	three, five, one := 3, 5, 1
	held := k8ssync.Result{Code: k8ssync.CodePruneHeld, Error: "Deletions held",
		Stats: k8ssync.Stats{Details: "0 created", SwitchesReady: &three, SwitchesTotal: &five, SwitchesStale: &one,
			Kinds: map[string]k8ssync.KindStats{"Switch": {PruneHeld: &k8ssync.PruneHeld{Count: 7, Total: 7}}, "VPC": {}}}}
	onMarks := success(1)
	onMarks.Stats.Kinds = map[string]k8ssync.KindStats{"VPC": {Created: 1}, "Switch": {ByChangeMarks: true}, "Server": {ByChangeMarks: true}}
	for _, tt := range []struct {
		name     string
		res      k8ssync.Result
		kind     string
		contains []string
	}{
		{"no-op", noop, "", nil},
		{"changed, the rest on the marks", onMarks, "success", []string{"Unchanged from their change marks (objects not read): Server, Switch.\n"}},
		{"changed", success(3), "success", []string{"triggered by alice", "3 created", "- VPC: 3 created"}},
		{"partial", partial, "warning", []string{"Failed (partial_failure)", "VPC default/a create: spec: blank"}},
		{"failed", failed, "danger", []string{"Cannot reach the Kubernetes API server"}},
		{"prune held", held, "warning", []string{"- Switch: deletion of 7 of 7 objects held", "Switches: 3 of 5 ready, 1 stale.", "Failed (prune_held)"}},
		{"missing fabric", k8ssync.Result{Code: k8ssync.CodeFabricNotFound}, "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := journalEntry(job{fabricID: 1, trigger: TriggerUser}, tt.res, func() string { return "alice" })
			if ok != (tt.kind != "") || e.Kind != tt.kind {
				t.Fatalf("entry %v %+v, want kind %q", ok, e, tt.kind)
			}
			for _, c := range tt.contains {
				if !strings.Contains(e.Comments, c) {
					t.Errorf("comments %q lack %q", e.Comments, c)
				}
			}
		})
	}
}

// TestCloseDrainsThenCancels: Close waits for a running sync up to Drain,
// then cancels it; the sync still ends (and writes its status).
func TestCloseDrainsThenCancels(t *testing.T) {
	var cancelled atomic.Bool
	started := make(chan struct{})
	eng := newScripted(func(ctx context.Context, id int) k8ssync.Result {
		close(started)
		<-ctx.Done()
		cancelled.Store(true)
		return k8ssync.Result{Code: k8ssync.CodeCancelled, StatusWritten: true, Stats: k8ssync.Stats{Status: "error"}}
	})
	rt := NewRuntime(RuntimeConfig{Drain: 50 * time.Millisecond})
	h := newRuntimeHandler(t, rt, eng)
	go press(h, 6)
	<-started
	begin := time.Now()
	rt.Close()
	if !cancelled.Load() || time.Since(begin) < 50*time.Millisecond {
		t.Fatalf("cancelled %v after %s", cancelled.Load(), time.Since(begin))
	}
}

// TestRecoveryWritesAKeptStatusInsteadOfInterrupting: a fabric "syncing"
// whose sync finished but whose final status is kept in storage gets that
// status, not "interrupted", and is not synced again.
func TestRecoveryWritesAKeptStatusInsteadOfInterrupting(t *testing.T) {
	storage := NewMemoryStorage()
	eng := newScripted(func(ctx context.Context, id int) k8ssync.Result { return success(1) })
	eng.status[8] = netbox.SyncSyncing
	rt := NewRuntime(RuntimeConfig{Storage: storage, RecoveryInterval: 10 * time.Millisecond})
	rec := pendingRecord{Seq: 1, Since: time.Now(), Status: json.RawMessage(`{"sync_status":"in_sync"}`)}
	if err := rt.store(context.Background(), rt.keys(8).pending, rec); err != nil {
		t.Fatal(err)
	}
	rt.mu.Lock()
	rt.retrying[8] = false // as after a restart: nothing retries it in this process yet
	rt.mu.Unlock()
	k := rt.keys(8)
	rt.UseEngine(eng, time.Minute)
	defer rt.Close()
	waitFor(t, func() bool {
		_, err := storage.Load(context.Background(), k.pending)
		return err != nil
	})
	eng.get(func() {
		if eng.status[8] != netbox.SyncInSync || eng.syncs != 0 || len(eng.interrupted) != 0 {
			t.Errorf("status %q, syncs %d, interrupted %v", eng.status[8], eng.syncs, eng.interrupted)
		}
	})
}

// TestRepeatedFailuresAreJournaledOnceADay: an automatic sync failing as
// the last journaled one did is left out for a day; a user's sync, a
// different failure, one that changed objects, and any failure after a
// success are journaled.
func TestRepeatedFailuresAreJournaledOnceADay(t *testing.T) {
	rt := NewRuntime(RuntimeConfig{})
	defer rt.Close()
	held := func(count int) k8ssync.Result {
		return k8ssync.Result{Code: k8ssync.CodePruneHeld, Stats: k8ssync.Stats{
			Kinds: map[string]k8ssync.KindStats{"Server": {PruneHeld: &k8ssync.PruneHeld{Count: count, Total: 9}}}}}
	}
	down := k8ssync.Result{Code: k8ssync.CodeKubernetesUnreachable, Error: "dial tcp: i/o timeout"}
	downOtherText := k8ssync.Result{Code: k8ssync.CodeKubernetesUnreachable, Error: "connection refused"}
	wrote := held(9)
	wrote.Stats.Created = 1
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for i, step := range []struct {
		trigger string
		res     k8ssync.Result
		after   time.Duration
		skipped bool
	}{
		{TriggerSchedule, held(9), 0, false},
		{TriggerSchedule, held(9), 5 * time.Minute, true},
		{TriggerChange, held(9), 10 * time.Minute, true},
		{TriggerUser, held(9), 11 * time.Minute, false},
		{TriggerSchedule, held(8), 15 * time.Minute, false},
		{TriggerSchedule, wrote, 20 * time.Minute, false},
		{TriggerSchedule, wrote, 25 * time.Minute, false},
		{TriggerSchedule, down, 30 * time.Minute, false},
		{TriggerRecovery, downOtherText, 35 * time.Minute, true},
		{TriggerSchedule, down, 30*time.Minute + journalRepeatEvery, false},
		{TriggerSchedule, k8ssync.Result{Success: true}, 31*time.Minute + journalRepeatEvery, false},
		{TriggerSchedule, down, 32*time.Minute + journalRepeatEvery, false},
	} {
		if got := rt.repeatedFailure(job{fabricID: 4, trigger: step.trigger}, step.res, t0.Add(step.after)); got != step.skipped {
			t.Errorf("step %d (%s, %s): left out = %v, want %v", i, step.trigger, step.res.Code, got, step.skipped)
		}
	}
	if rt.repeatedFailure(job{fabricID: 5, trigger: TriggerSchedule}, held(9), t0.Add(time.Minute)) {
		t.Error("another fabric's first failure was left out")
	}
}
