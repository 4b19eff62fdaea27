package fabricsync

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// flight is one sync in progress in this process; presses for the same
// fabric join it.
type flight struct {
	done   chan struct{}
	result k8ssync.Result
}

// job is what a flight runs: the fabric, with the engine and bound of the
// configuration whose handler started it, and who pressed.
type job struct {
	fabricID int
	trigger  string
	engine   Engine
	timeout  time.Duration
	// seenSeq is the fabric's result sequence when the press arrived: a
	// different one once the lock is taken means a sync finished
	// elsewhere after the press, whose result answers it.
	seenSeq int
	// fresh skips that shortcut: a change-driven sync must read the
	// cluster after the change, whatever ran meanwhile.
	fresh bool
	// note qualifies the controller's journal entries (see journalEntry).
	note string
	// who names the NetBox user for the journal ("" if unknown); called
	// only when an entry is written.
	who func(ctx context.Context) string
}

// lastSeq reads the fabric's result sequence (0 when unknown).
func (rt *Runtime) lastSeq(ctx context.Context, fabricID int) int {
	rec, err := rt.loadResult(ctx, rt.keys(fabricID))
	if err != nil {
		rt.log.Warn("cannot read the fabric's last sync result", zap.Int("fabric", fabricID), zap.Error(err))
	}
	return rec.Seq
}

// join returns the fabric's running flight, or starts one with newJob.
func (rt *Runtime) join(fabricID int, newJob func() job) (*flight, bool) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if f, ok := rt.running[fabricID]; ok {
		if rt.joined != nil {
			rt.joined(fabricID)
		}
		return f, false
	}
	f := &flight{done: make(chan struct{})}
	rt.running[fabricID] = f
	j := newJob()
	rt.work.Add(1)
	go rt.fly(f, j)
	return f, true
}

// fly runs one flight. A panic anywhere in it becomes an internal result,
// never a crashed gateway.
func (rt *Runtime) fly(f *flight, j job) {
	defer rt.work.Done()
	defer func() {
		if p := recover(); p != nil {
			f.result = rt.panicked(j, p)
		}
		rt.events.Publish(j.fabricID, EventFinished, outcomeOf(j.fabricID, j.trigger, f.result, time.Now()))
		rt.events.Publish(j.fabricID, EventState, StateEvent{Fabric: j.fabricID, State: StateIdle, At: time.Now().UTC()})
		rt.mu.Lock()
		delete(rt.running, j.fabricID)
		rt.mu.Unlock()
		close(f.done)
	}()
	f.result = rt.lockedSync(j)
}

// lockedSync takes the fabric's lock in storage, which every gateway
// sharing the storage takes, and runs the sync, unless a sync elsewhere
// finished while this press waited for the lock: then its stored result
// is the answer.
func (rt *Runtime) lockedSync(j job) k8ssync.Result {
	k := rt.keys(j.fabricID)
	lockCtx, cancel := context.WithTimeout(rt.syncCtx, j.timeout+time.Minute)
	err := rt.storage.Lock(lockCtx, k.lock)
	cancel()
	if err != nil {
		return internalResult(j.fabricID, fmt.Sprintf("cannot take the fabric's sync lock in storage: %v", err))
	}
	defer rt.unlock(k.lock)
	after, err := rt.loadResult(rt.syncCtx, k)
	if !j.fresh && err == nil && after.Seq != j.seenSeq && after.Result != nil {
		return *after.Result // a sync elsewhere ran while this press waited
	}
	res := rt.runLocked(j)
	rec := resultRecord{Seq: max(after.Seq, j.seenSeq) + 1, Finished: time.Now().UTC(), Result: &res}
	if err := rt.store(context.WithoutCancel(rt.syncCtx), k.result, rec); err != nil {
		rt.log.Warn("cannot store the sync result for other gateways", zap.Int("fabric", j.fabricID), zap.Error(err))
	}
	return res
}

func (rt *Runtime) unlock(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := rt.storage.Unlock(ctx, name); err != nil {
		rt.log.Error("cannot release a fabric's sync lock", zap.String("lock", name), zap.Error(err))
	}
}

// runLocked runs the engine while the lock is held, keeps a final status
// NetBox did not take, and writes the journal entry.
func (rt *Runtime) runLocked(j job) (res k8ssync.Result) {
	start := time.Now()
	rt.obs.SyncStarted()
	rt.syncStarted(j.fabricID)
	defer func() {
		if p := recover(); p != nil {
			res = rt.panicked(j, p)
		}
		rt.syncEnded(j.fabricID, res)
		rt.obs.SyncFinished(j.trigger, res, time.Since(start))
	}()
	ctx, cancel := context.WithTimeout(rt.syncCtx, j.timeout)
	defer cancel()
	rt.events.Publish(j.fabricID, EventState, StateEvent{Fabric: j.fabricID, State: StateRunning, Trigger: j.trigger, At: start.UTC()})
	ctx = k8ssync.WithProgress(ctx, func(p k8ssync.Progress) { rt.events.Publish(j.fabricID, EventProgress, p) })
	res = j.engine.Sync(ctx, j.fabricID)
	k := rt.keys(j.fabricID)
	bg := context.WithoutCancel(ctx)
	switch {
	case res.StatusWritten:
		_ = rt.storage.Delete(bg, k.pending) // a newer status supersedes a kept one
	case res.PendingStatus != nil:
		rt.keepStatus(bg, j.fabricID, res.PendingStatus)
	}
	rt.journal(bg, j, res)
	return res
}

// panicked turns a recovered panic into a truthful result and ends the
// fabric's "syncing" if it can.
func (rt *Runtime) panicked(j job, p any) k8ssync.Result {
	msg := fmt.Sprintf("internal error: panic: %v", p)
	rt.log.Error("sync panicked", zap.Int("fabric", j.fabricID), zap.String("panic", msg), zap.ByteString("stack", debug.Stack()))
	res := internalResult(j.fabricID, msg)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := j.engine.MarkInterrupted(ctx, j.fabricID, msg); err == nil {
		res.StatusWritten = true
	}
	return res
}

func internalResult(fabricID int, msg string) k8ssync.Result {
	return k8ssync.Result{FabricID: fabricID, Code: k8ssync.CodeInternal, Error: "Internal error during sync: " + msg,
		Stats: k8ssync.Stats{Status: netbox.SyncError, Errors: 1, Kinds: map[string]k8ssync.KindStats{},
			ErrorDetails: []k8ssync.ErrorDetail{{Operation: "sync", Error: msg}}}}
}
