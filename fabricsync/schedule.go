package fabricsync

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync"
	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// fabricCtl is the controller's state of one fabric: its configuration,
// its watches, the changes they saw and its next syncs. One goroutine
// (loop) starts the syncs and writes out_of_sync; the watches and the
// runtime's sync hooks only update the state and wake it.
type fabricCtl struct {
	c        *controller
	id       int
	created  time.Time
	wake     chan struct{}
	ctx      context.Context
	stopLoop context.CancelFunc
	done     chan struct{}

	mu         sync.Mutex
	conf       netbox.FabricConfig
	watchKey   string
	stopWatch  context.CancelFunc
	watchDone  chan struct{}
	watching   bool
	forbidden  bool      // reported: schedule only for these credentials
	changes    int       // seen since the last successful sync
	since      time.Time // when the first of them was seen
	atStart    int       // changes when the running sync started
	afterSince time.Time // first change seen while it runs
	syncing    bool
	pending    bool      // a change or reachability event wants a sync
	pendingAt  time.Time // when the first such event came
	lastChange time.Time // start of the last change-driven sync
	lastEnd    time.Time // end of the last sync in this process
	jitter     float64   // this cycle's factor of sync_interval
	marked     bool      // out_of_sync written since the last sync ended
	markWanted bool
	announced  time.Time // the due time last published (controller_events.go)
}

func newFabricCtl(c *controller, id int) *fabricCtl {
	f := &fabricCtl{c: c, id: id, created: c.clock.Now(), wake: make(chan struct{}, 1), done: make(chan struct{}), jitter: newJitter()}
	f.ctx, f.stopLoop = context.WithCancel(c.ctx)
	go f.loop()
	return f
}

// newJitter is a factor in [0.9, 1.1]: ±10 % of sync_interval, so that
// fabrics with the same interval do not sync together.
func newJitter() float64 { return 0.9 + 0.2*rand.Float64() }

func (f *fabricCtl) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// update takes the fabric's latest configuration: new credentials,
// server or namespace restart the watches; a new interval reschedules.
func (f *fabricCtl) update(fc netbox.FabricConfig) {
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%s", fc.KubernetesServer, fc.KubernetesToken, fc.KubernetesCACert, fc.KubernetesNamespace)
	f.mu.Lock()
	f.conf = fc
	restart := key != f.watchKey
	var stop context.CancelFunc
	var done chan struct{}
	if restart {
		stop, done = f.stopWatch, f.watchDone
		f.watchKey, f.forbidden, f.watching = key, false, false
	}
	f.mu.Unlock()
	if restart {
		if stop != nil {
			stop()
			<-done
		}
		f.startWatch(fc.Fabric)
	}
	f.poke()
}

// startWatch watches the fabric's cluster until its credentials change
// or the fabric leaves the controller.
func (f *fabricCtl) startWatch(fab netbox.Fabric) {
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	f.mu.Lock()
	f.stopWatch, f.watchDone, f.watching = cancel, done, true
	f.mu.Unlock()
	go func() {
		defer close(done)
		err := f.c.config().Engine.WatchFabric(ctx, fab, f.notify)
		f.mu.Lock()
		f.watching = false
		f.mu.Unlock()
		if err != nil {
			f.c.log.Warn("controller: cannot watch the fabric's cluster; scheduled syncs only",
				zap.Int("fabric", f.id), zap.Error(err))
		}
		f.c.countWatches()
	}()
}

// notify receives the watches' events.
func (f *fabricCtl) notify(k kinds.Kind, ev kube.WatchEvent, err error) {
	now := f.c.clock.Now()
	f.mu.Lock()
	switch ev {
	case kube.EventChange:
		if f.changes == 0 {
			f.since = now
		}
		if f.syncing && f.changes == f.atStart {
			f.afterSince = now
		}
		f.changes++
		if !f.marked {
			f.markWanted = true
		}
		f.want(now)
		f.c.obs.ChangeSeen()
		defer f.publishDrift() // after the unlock below
	case kube.EventDown, kube.EventUp:
		// The sync writes the truth: error with the reason, or in_sync.
		f.want(now)
	case kube.EventWatchForbidden:
		first := !f.forbidden
		f.forbidden = true
		stop := f.stopWatch
		f.mu.Unlock()
		if first {
			f.c.log.Warn("controller: the fabric's token may list but not watch its kinds; scheduled syncs only (grant the watch verb for change-driven syncs)",
				zap.Int("fabric", f.id), zap.String("kind", k.Kind), zap.Error(err))
			f.c.obs.WatchUnavailable("forbidden")
			stop()
		}
		return
	}
	f.mu.Unlock()
	f.poke()
}

func (f *fabricCtl) want(now time.Time) {
	if !f.pending {
		f.pending, f.pendingAt = true, now
	}
}

func (f *fabricCtl) isWatching() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.watching && !f.forbidden
}

func (f *fabricCtl) drift() (int, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.changes == 0 {
		return 0, time.Time{}
	}
	return f.changes, f.since
}

func (f *fabricCtl) syncStarted() {
	f.mu.Lock()
	f.syncing, f.atStart, f.afterSince = true, f.changes, time.Time{}
	f.mu.Unlock()
}

// syncEnded: a successful sync applied the changes seen before it
// started; those seen during it are still drift, and want their own
// sync and an out_of_sync over the in_sync it wrote.
func (f *fabricCtl) syncEnded(res k8ssync.Result) {
	now := f.c.clock.Now()
	f.mu.Lock()
	after := f.changes - f.atStart
	if res.Success {
		f.changes, f.since = after, f.afterSince
	}
	f.syncing, f.lastEnd, f.jitter, f.marked = false, now, newJitter(), false
	f.markWanted = after > 0
	if after > 0 && !f.pending {
		f.pending, f.pendingAt = true, f.afterSince
	}
	f.mu.Unlock()
	f.publishDrift()
	f.poke()
}

func (f *fabricCtl) stop() {
	f.stopLoop()
	<-f.done
	f.mu.Lock()
	done := f.watchDone
	f.mu.Unlock()
	if done != nil {
		<-done
	}
}

// loop starts the fabric's scheduled and change-driven syncs and writes
// out_of_sync, one thing at a time.
func (f *fabricCtl) loop() {
	defer close(f.done)
	for {
		f.markIfWanted()
		trigger, wait := f.next()
		if trigger != "" && wait <= 0 {
			f.run(trigger)
			continue
		}
		var timer <-chan time.Time
		var stop func() bool
		if trigger != "" {
			f.publishScheduled(f.c.clock.Now().Add(wait))
			t := f.c.clock.NewTimer(wait)
			timer, stop = t.C(), t.Stop
		}
		select {
		case <-f.ctx.Done():
		case <-f.wake:
		case <-timer:
		}
		if stop != nil {
			stop()
		}
		if f.ctx.Err() != nil {
			return
		}
	}
}

// next is the next sync due and the wait until it ("" when none is).
func (f *fabricCtl) next() (string, time.Duration) {
	cfg := f.c.config()
	now := f.c.clock.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.syncing {
		return "", 0 // its end wakes the loop
	}
	trigger, due := "", time.Time{}
	if f.conf.SyncInterval > 0 {
		base := f.lastEnd
		if f.conf.LastSync != nil && f.conf.LastSync.After(base) {
			base = *f.conf.LastSync
		}
		interval := time.Duration(float64(time.Duration(f.conf.SyncInterval)*time.Second) * f.jitter)
		trigger, due = TriggerSchedule, base.Add(interval)
		// Overdue (never synced, or the last sync is older than the
		// interval): soon, spread over a tenth of the interval from when
		// the controller took the fabric.
		if floor := f.created.Add(time.Duration((f.jitter - 0.9) / 2 * float64(interval))); due.Before(floor) {
			due = floor
		}
	}
	if f.pending {
		d := f.pendingAt.Add(cfg.Debounce)
		if !f.lastChange.IsZero() && f.lastChange.Add(cfg.Debounce).After(d) {
			d = f.lastChange.Add(cfg.Debounce)
		}
		if trigger == "" || !d.After(due) {
			trigger, due = TriggerChange, d
		}
	}
	return trigger, due.Sub(now)
}

// markIfWanted writes out_of_sync for changes no sync has applied yet,
// under the fabric's lock so that it never lands inside a sync (whose
// final status would hide it, or be hidden by it).
func (f *fabricCtl) markIfWanted() {
	f.mu.Lock()
	want := f.markWanted && !f.syncing
	f.mu.Unlock()
	if !want {
		return
	}
	cfg := f.c.config()
	rt := f.c.rt
	k := rt.keys(f.id)
	ctx, cancel := context.WithTimeout(f.ctx, cfg.Timeout+time.Minute)
	defer cancel()
	if err := rt.storage.Lock(ctx, k.lock); err != nil {
		return
	}
	defer rt.unlock(k.lock)
	f.mu.Lock()
	f.markWanted = false
	f.marked = true
	f.mu.Unlock()
	if err := cfg.Engine.MarkOutOfSync(ctx, f.id); err != nil {
		f.c.log.Warn("controller: cannot write out_of_sync", zap.Int("fabric", f.id), zap.Error(err))
	}
}

// run starts (or joins) the fabric's sync through the runtime, which
// holds the fabric's lock across gateways, and waits for its end.
func (f *fabricCtl) run(trigger string) {
	cfg := f.c.config()
	now := f.c.clock.Now()
	f.mu.Lock()
	note := ""
	switch trigger {
	case TriggerChange:
		f.pending, f.lastChange = false, now
		note = fmt.Sprintf("after %d changes in the cluster", f.changes)
	case TriggerSchedule:
		// A fabric never synced is imported, not repaired: its first
		// scheduled sync writes everything without any drift.
		if f.changes == 0 && f.watching && !f.forbidden && f.conf.LastSync != nil {
			note = driftNote
		}
	}
	f.lastEnd = now // no second start if the sync is refused at once
	f.mu.Unlock()
	rt := f.c.rt
	seen := rt.lastSeq(f.ctx, f.id)
	fl, _ := rt.join(f.id, func() job {
		return job{fabricID: f.id, trigger: trigger, engine: cfg.Engine, timeout: cfg.Timeout,
			seenSeq: seen, fresh: trigger == TriggerChange, note: note}
	})
	select {
	case <-fl.done:
	case <-f.ctx.Done():
	}
}

// driftNote marks a scheduled sync that the watches say has no cluster
// change to apply: whatever it writes repairs NetBox-side drift.
const driftNote = "drift"
