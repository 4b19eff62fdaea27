package fabricsync

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/hhgate/hhgate/k8ssync"
	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// ctrlEngine is a ControllerEngine over scriptedEngine: a fabric list the
// test edits, watches whose notify functions the test calls, and the
// out_of_sync writes and sync start times recorded.
type ctrlEngine struct {
	*scriptedEngine
	clk *testingclock.FakeClock

	cmu        sync.Mutex
	configs    []netbox.FabricConfig
	notify     map[int]k8ssync.WatchNotify
	watches    int // WatchFabric calls
	outOfSync  []int
	syncStarts []time.Time
}

func newCtrlEngine(clk *testingclock.FakeClock, configs ...netbox.FabricConfig) *ctrlEngine {
	e := &ctrlEngine{clk: clk, configs: configs, notify: map[int]k8ssync.WatchNotify{}}
	e.scriptedEngine = newScripted(func(context.Context, int) k8ssync.Result {
		e.cmu.Lock()
		e.syncStarts = append(e.syncStarts, clk.Now())
		e.cmu.Unlock()
		return success(0)
	})
	return e
}

func (e *ctrlEngine) FabricConfigs(context.Context) ([]netbox.FabricConfig, error) {
	e.cmu.Lock()
	defer e.cmu.Unlock()
	return append([]netbox.FabricConfig(nil), e.configs...), nil
}

func (e *ctrlEngine) WatchFabric(ctx context.Context, f netbox.Fabric, notify k8ssync.WatchNotify) error {
	e.cmu.Lock()
	e.notify[f.ID], e.watches = notify, e.watches+1
	e.cmu.Unlock()
	<-ctx.Done()
	e.cmu.Lock()
	delete(e.notify, f.ID)
	e.cmu.Unlock()
	return nil
}

func (e *ctrlEngine) MarkOutOfSync(_ context.Context, id int) error {
	e.cmu.Lock()
	e.outOfSync = append(e.outOfSync, id)
	e.cmu.Unlock()
	e.mu.Lock()
	e.status[id] = netbox.SyncOutOfSync
	e.mu.Unlock()
	return nil
}

func (e *ctrlEngine) watcher(id int) k8ssync.WatchNotify {
	e.cmu.Lock()
	defer e.cmu.Unlock()
	return e.notify[id]
}

func (e *ctrlEngine) counts() (syncs, marks int) {
	e.cmu.Lock()
	defer e.cmu.Unlock()
	return len(e.syncStarts), len(e.outOfSync)
}

// triggers records the trigger of every finished sync and the controller
// events.
type triggers struct {
	mu          sync.Mutex
	finished    []string
	leader      bool
	unavailable int
}

func (o *triggers) SyncStarted() {}
func (o *triggers) SyncFinished(trigger string, _ k8ssync.Result, _ time.Duration) {
	o.mu.Lock()
	o.finished = append(o.finished, trigger)
	o.mu.Unlock()
}
func (o *triggers) Leader(on bool) { o.mu.Lock(); o.leader = on; o.mu.Unlock() }
func (o *triggers) Watching(int)   {}
func (o *triggers) ChangeSeen()    {}
func (o *triggers) WatchUnavailable(string) {
	o.mu.Lock()
	o.unavailable++
	o.mu.Unlock()
}
func (o *triggers) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.finished...)
}

func fabricConfig(id, interval int, lastSync *time.Time) netbox.FabricConfig {
	return netbox.FabricConfig{Fabric: netbox.Fabric{ID: id, KubernetesServer: "https://k8s.example:6443", KubernetesToken: "tok",
		KubernetesNamespace: "default"}, SyncEnabled: true, SyncInterval: interval, LastSync: lastSync}
}

func startController(t *testing.T, storage Storage, e *ctrlEngine, debounce time.Duration) (*Runtime, *triggers) {
	t.Helper()
	obs := &triggers{}
	rt := NewRuntime(RuntimeConfig{Storage: storage, Observer: obs, RecoveryInterval: time.Hour})
	t.Cleanup(rt.Close)
	rt.UseController(ControllerConfig{Enabled: true, Engine: e, Timeout: time.Minute, Debounce: debounce, Clock: e.clk})
	return rt, obs
}

// until steps the fake clock by step until cond holds (bounded in real
// time by waitFor).
func until(t *testing.T, clk *testingclock.FakeClock, step time.Duration, cond func() bool) {
	t.Helper()
	waitFor(t, func() bool {
		if cond() {
			return true
		}
		clk.Step(step)
		return false
	})
}

func TestScheduledSyncsFollowSyncIntervalWithJitter(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	last := clk.Now().Add(-10 * time.Second)
	e := newCtrlEngine(clk, fabricConfig(1, 100, &last), netbox.FabricConfig{Fabric: netbox.Fabric{ID: 2}, SyncEnabled: true, SyncInterval: 5},
		func() netbox.FabricConfig { f := fabricConfig(3, 5, nil); f.SyncEnabled = false; return f }())
	_, obs := startController(t, NewMemoryStorage(), e, time.Second)
	until(t, clk, time.Second, func() bool { s, _ := e.counts(); return s >= 3 })
	e.cmu.Lock()
	starts := append([]time.Time(nil), e.syncStarts...)
	e.cmu.Unlock()
	// Fabric 2 has no server and fabric 3 sync disabled: only fabric 1 runs.
	e.get(func() {
		if _, ok := e.status[2]; ok {
			t.Error("a fabric without kubernetes_server was synced")
		}
		if _, ok := e.status[3]; ok {
			t.Error("a fabric with sync_enabled false was synced")
		}
	})
	first := starts[0].Sub(last)
	if first < 90*time.Second || first > 111*time.Second {
		t.Errorf("first scheduled sync %s after last_sync, want 100s ±10%%", first)
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < 90*time.Second || gap > 111*time.Second {
			t.Errorf("scheduled syncs %s apart, want 100s ±10%%", gap)
		}
	}
	for _, tr := range obs.list() {
		if tr != TriggerSchedule {
			t.Errorf("trigger %q, want schedule", tr)
		}
	}
}

func TestChangeBurstGivesOneSyncAfterTheDebounceAndOutOfSyncUntilThen(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	last := clk.Now()
	e := newCtrlEngine(clk, fabricConfig(7, 0, &last)) // no schedule: changes only
	rt, obs := startController(t, NewMemoryStorage(), e, 5*time.Second)
	waitFor(t, func() bool { return e.watcher(7) != nil })
	notify := e.watcher(7)
	first := clk.Now()
	for i := range 100 {
		notify(kinds.All[i%len(kinds.All)], kube.EventChange, nil)
	}
	waitFor(t, func() bool { _, m := e.counts(); return m == 1 })
	if n, since := rt.Drift(7); n != 100 || !since.Equal(first) {
		t.Fatalf("Drift = %d since %v, want 100 since %v", n, since, first)
	}
	e.get(func() {
		if e.status[7] != netbox.SyncOutOfSync {
			t.Fatalf("status %q between the changes and their sync, want out_of_sync", e.status[7])
		}
	})
	until(t, clk, 500*time.Millisecond, func() bool { s, _ := e.counts(); return s == 1 })
	waitFor(t, func() bool { return len(obs.list()) == 1 })
	e.cmu.Lock()
	started := e.syncStarts[0]
	e.cmu.Unlock()
	if d := started.Sub(first); d < 5*time.Second || d > 6*time.Second {
		t.Errorf("change-driven sync %s after the first change, want the 5s debounce", d)
	}
	if got := obs.list(); got[0] != TriggerChange {
		t.Errorf("trigger %q, want change", got[0])
	}
	if n, _ := rt.Drift(7); n != 0 {
		t.Errorf("Drift = %d after the sync, want 0", n)
	}
	e.get(func() {
		if e.status[7] != netbox.SyncInSync {
			t.Errorf("status %q after the sync, want in_sync", e.status[7])
		}
	})
	// Nothing more happens: one sync, one out_of_sync.
	clk.Step(time.Minute)
	if s, m := e.counts(); s != 1 || m != 1 {
		t.Errorf("%d syncs and %d out_of_sync writes for a burst, want 1 and 1", s, m)
	}
	e.get(func() {
		if len(e.journal) != 0 {
			t.Errorf("journal for a sync that changed nothing: %v", e.journal)
		}
	})
}

func TestChangeDuringASyncIsMarkedAgainAndSyncedAgain(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	last := clk.Now()
	e := newCtrlEngine(clk, fabricConfig(4, 0, &last))
	release := make(chan struct{})
	inSync := make(chan struct{}, 1)
	e.sync = func(context.Context, int) k8ssync.Result {
		e.cmu.Lock()
		e.syncStarts = append(e.syncStarts, clk.Now())
		n := len(e.syncStarts)
		e.cmu.Unlock()
		if n == 1 {
			inSync <- struct{}{}
			<-release
		}
		return success(1)
	}
	rt, _ := startController(t, NewMemoryStorage(), e, time.Second)
	waitFor(t, func() bool { return e.watcher(4) != nil })
	e.watcher(4)(kinds.All[0], kube.EventChange, nil)
	until(t, clk, 200*time.Millisecond, func() bool { return len(inSync) == 1 })
	e.watcher(4)(kinds.All[0], kube.EventChange, nil) // seen while the sync runs
	close(release)
	// The sync wrote in_sync over a change it may have missed: out_of_sync
	// again, then a second sync.
	waitFor(t, func() bool { _, m := e.counts(); return m == 2 })
	if n, _ := rt.Drift(4); n != 1 {
		t.Errorf("Drift = %d after the first sync, want the 1 change seen during it", n)
	}
	until(t, clk, 200*time.Millisecond, func() bool { s, _ := e.counts(); return s == 2 })
	waitFor(t, func() bool { n, _ := rt.Drift(4); return n == 0 })
	e.get(func() {
		if len(e.journal) != 2 || e.journal[0].Kind != netbox.JournalSuccess {
			t.Errorf("journal %v, want one entry per sync", e.journal)
		}
	})
}

func TestWatchForbiddenIsScheduleOnlyReportedOnce(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	last := clk.Now()
	e := newCtrlEngine(clk, fabricConfig(5, 30, &last))
	_, obs := startController(t, NewMemoryStorage(), e, time.Second)
	waitFor(t, func() bool { return e.watcher(5) != nil })
	notify := e.watcher(5)
	for range 3 {
		notify(kinds.All[0], kube.EventWatchForbidden, nil)
	}
	waitFor(t, func() bool { return e.watcher(5) == nil }) // the watch stopped
	obs.mu.Lock()
	if obs.unavailable != 1 {
		t.Errorf("reported %d times, want once", obs.unavailable)
	}
	obs.mu.Unlock()
	until(t, clk, time.Second, func() bool { return len(obs.list()) == 1 })
	e.get(func() {
		if len(e.writes) != 0 || len(e.interrupted) != 0 {
			t.Errorf("status writes for a token without watch: %v %v", e.writes, e.interrupted)
		}
	})
	if got := obs.list(); got[0] != TriggerSchedule {
		t.Errorf("trigger %q, want schedule", got[0])
	}
}

func TestOneLeaderAmongRuntimesSharingStorageAndHandOver(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	storage := NewMemoryStorage()
	e1, e2 := newCtrlEngine(clk, fabricConfig(1, 0, nil)), newCtrlEngine(clk, fabricConfig(1, 0, nil))
	obs1 := &triggers{}
	rt1 := NewRuntime(RuntimeConfig{Storage: storage, Observer: obs1, RecoveryInterval: time.Hour})
	rt1.UseController(ControllerConfig{Enabled: true, Engine: e1, Timeout: time.Minute, Clock: clk})
	waitFor(t, rt1.IsController)
	rt2, _ := startController(t, storage, e2, time.Second)
	waitFor(t, func() bool { return e1.watcher(1) != nil })
	if rt2.IsController() || e2.watches != 0 {
		t.Fatal("two controllers on one storage")
	}
	rt1.Close()
	waitFor(t, rt2.IsController)
	waitFor(t, func() bool { return e2.watcher(1) != nil })
}

func TestFabricChangesArePickedUpWithoutRestart(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	last := clk.Now()
	e := newCtrlEngine(clk, fabricConfig(1, 0, &last))
	startController(t, NewMemoryStorage(), e, time.Second)
	waitFor(t, func() bool { return e.watcher(1) != nil })
	// New token: the watch restarts; a new fabric: watched; then deleted.
	e.cmu.Lock()
	e.configs[0].KubernetesToken = "rotated"
	e.configs = append(e.configs, fabricConfig(2, 0, &last))
	e.cmu.Unlock()
	until(t, clk, DefaultPollInterval, func() bool {
		e.cmu.Lock()
		defer e.cmu.Unlock()
		return e.watches == 3 && e.notify[1] != nil && e.notify[2] != nil
	})
	e.cmu.Lock()
	e.configs = e.configs[1:]
	e.cmu.Unlock()
	until(t, clk, DefaultPollInterval, func() bool { return e.watcher(1) == nil })
	if e.watcher(2) == nil {
		t.Fatal("the remaining fabric's watch stopped")
	}
}

// TestScheduledSyncJournalSaysImportOrRepair: a scheduled sync that
// writes with no cluster change seen repaired NetBox-side drift — unless
// the fabric was never synced, when it is the import.
func TestScheduledSyncJournalSaysImportOrRepair(t *testing.T) {
	for _, tt := range []struct {
		name      string
		synced    bool
		want, not string
	}{
		{"never synced: the import", false, "Scheduled sync from Kubernetes: ", "repaired"},
		{"synced before: a repair", true, "repaired NetBox-side drift", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			var last *time.Time
			if tt.synced {
				l := clk.Now().Add(-time.Hour)
				last = &l
			}
			e := newCtrlEngine(clk, fabricConfig(5, 100, last))
			e.sync = func(context.Context, int) k8ssync.Result { return success(3) }
			startController(t, NewMemoryStorage(), e, time.Second)
			waitFor(t, func() bool { return e.watcher(5) != nil })
			until(t, clk, time.Second, func() bool {
				n := 0
				e.get(func() { n = len(e.journal) })
				return n == 1
			})
			e.get(func() {
				c := e.journal[0].Comments
				if !strings.HasPrefix(c, "Scheduled sync") || !strings.Contains(c, tt.want) || tt.not != "" && strings.Contains(c, tt.not) {
					t.Errorf("journal %q, want %q", c, tt.want)
				}
			})
		})
	}
}
