package fabricsync

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// InterruptedMessage is the sync_error of a fabric whose sync's gateway
// stopped before writing the final status.
const InterruptedMessage = "the sync was interrupted (gateway stopped)"

// recoveryLoop resumes kept final statuses once, then finds, at start-up
// and every RecoveryInterval, the fabrics left "syncing".
func (rt *Runtime) recoveryLoop() {
	defer rt.work.Done()
	rt.resumeKeptStatuses()
	tick := time.NewTicker(rt.cfg.RecoveryInterval)
	defer tick.Stop()
	for {
		rt.scan()
		select {
		case <-rt.loopCtx.Done():
			return
		case <-tick.C:
		}
	}
}

// scan starts a recovery for every "syncing" fabric this process is not
// syncing. NetBox being down is not worth more than a debug line here:
// the next scan tries again.
func (rt *Runtime) scan() {
	engine, _ := rt.current()
	ctx, cancel := context.WithTimeout(rt.loopCtx, 30*time.Second)
	defer cancel()
	fabrics, err := engine.Fabrics(ctx)
	if err != nil {
		rt.log.Debug("recovery: cannot list fabrics", zap.Error(err))
		return
	}
	for _, f := range fabrics {
		if f.SyncStatus != netbox.SyncSyncing {
			continue
		}
		rt.mu.Lock()
		_, busy := rt.running[f.ID]
		if busy || rt.recovering[f.ID] || rt.retrying[f.ID] {
			rt.mu.Unlock()
			continue
		}
		rt.recovering[f.ID] = true
		rt.mu.Unlock()
		rt.work.Add(1)
		go rt.recoverFabric(f.ID)
	}
}

// recoverFabric takes the fabric's lock: while a live gateway syncs it,
// that waits for its end (then the fabric is no longer "syncing"); when
// the holder died, its lease goes stale and the lock is taken. Holding it,
// a fabric still "syncing" has no sync: it is marked interrupted and, if
// sync_enabled, synced again.
func (rt *Runtime) recoverFabric(id int) {
	defer rt.work.Done()
	defer func() {
		if p := recover(); p != nil {
			rt.log.Error("recovery panicked", zap.Int("fabric", id), zap.Any("panic", p))
		}
		rt.mu.Lock()
		delete(rt.recovering, id)
		rt.mu.Unlock()
	}()
	engine, timeout := rt.current()
	k := rt.keys(id)
	lockCtx, cancel := context.WithTimeout(rt.loopCtx, timeout+time.Minute)
	err := rt.storage.Lock(lockCtx, k.lock)
	cancel()
	if err != nil {
		return
	}
	defer rt.unlock(k.lock)
	ctx, cancel := context.WithTimeout(rt.loopCtx, 30*time.Second)
	defer cancel()
	state, err := engine.FabricState(ctx, id)
	if err != nil || state.SyncStatus != netbox.SyncSyncing {
		return
	}
	if kept, ok := rt.loadPending(ctx, k.pending); ok {
		// The sync finished; only its status write is missing.
		if err := engine.WriteStatus(ctx, id, kept.Status); err == nil {
			_ = rt.storage.Delete(ctx, k.pending)
		}
		return
	}
	if err := engine.MarkInterrupted(ctx, id, InterruptedMessage); err != nil {
		rt.log.Warn("recovery: cannot mark an interrupted sync", zap.Int("fabric", id), zap.Error(err))
		return
	}
	rt.log.Warn("fabric was left syncing by a gateway that stopped: marked interrupted",
		zap.Int("fabric", id), zap.Bool("resync", state.SyncEnabled))
	if !state.SyncEnabled {
		return
	}
	before, _ := rt.loadResult(ctx, k)
	res := rt.runLocked(job{fabricID: id, trigger: TriggerRecovery, engine: engine, timeout: timeout})
	rec := resultRecord{Seq: before.Seq + 1, Finished: time.Now().UTC(), Result: &res}
	if err := rt.store(context.Background(), k.result, rec); err != nil {
		rt.log.Warn("cannot store the sync result for other gateways", zap.Int("fabric", id), zap.Error(err))
	}
}

// keepStatus stores a final status NetBox did not take and retries it.
func (rt *Runtime) keepStatus(ctx context.Context, id int, status json.RawMessage) {
	k := rt.keys(id)
	prev, _ := rt.loadPending(ctx, k.pending)
	rec := pendingRecord{Seq: prev.Seq + 1, Since: time.Now().UTC(), Status: status}
	if err := rt.store(ctx, k.pending, rec); err != nil {
		rt.log.Error("cannot keep the final status in storage", zap.Int("fabric", id), zap.Error(err))
	}
	rt.startStatusRetry(id, rec)
}

func (rt *Runtime) startStatusRetry(id int, rec pendingRecord) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.retrying[id] {
		return // the running retry picks the newer record up
	}
	rt.retrying[id] = true
	rt.work.Add(1)
	go rt.retryStatus(id, rec.Since)
}

// retryStatus writes the kept final status with backoff, under the
// fabric's lock, until NetBox takes it, a newer sync supersedes it (the
// record is gone), or StatusRetryBudget has passed since it was kept.
func (rt *Runtime) retryStatus(id int, since time.Time) {
	defer rt.work.Done()
	defer func() {
		rt.mu.Lock()
		delete(rt.retrying, id)
		rt.mu.Unlock()
	}()
	k := rt.keys(id)
	delay := rt.cfg.StatusRetryDelay
	for {
		select {
		case <-rt.loopCtx.Done():
			return // kept in storage: the next start continues
		case <-time.After(delay):
		}
		done, err := rt.writeKept(id, k)
		if done {
			return
		}
		if time.Since(since) > rt.cfg.StatusRetryBudget {
			rt.log.Error("GAVE UP writing a fabric's final sync status: it may still show syncing",
				zap.Int("fabric", id), zap.Duration("budget", rt.cfg.StatusRetryBudget), zap.Error(err))
			_ = rt.storage.Delete(context.Background(), k.pending)
			return
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// writeKept makes one attempt; done means nothing is left to write.
func (rt *Runtime) writeKept(id int, k keys) (bool, error) {
	engine, _ := rt.current()
	ctx, cancel := context.WithTimeout(rt.loopCtx, time.Minute)
	defer cancel()
	if err := rt.storage.Lock(ctx, k.lock); err != nil {
		return false, err
	}
	defer rt.unlock(k.lock)
	rec, ok := rt.loadPending(ctx, k.pending)
	if !ok {
		return true, nil
	}
	if err := engine.WriteStatus(ctx, id, rec.Status); err != nil {
		return false, err
	}
	_ = rt.storage.Delete(ctx, k.pending)
	rt.log.Info("kept final sync status written", zap.Int("fabric", id), zap.Time("kept_since", rec.Since))
	return true, nil
}

// resumeKeptStatuses restarts the retries of statuses kept by a gateway
// that stopped.
func (rt *Runtime) resumeKeptStatuses() {
	keys, err := rt.storage.List(rt.loopCtx, strings.TrimSuffix(rt.prefix(), "/"), true)
	if err != nil {
		return
	}
	for _, key := range keys {
		if !strings.HasSuffix(key, "/pending-status.json") {
			continue
		}
		name := strings.TrimPrefix(strings.TrimSuffix(key, "/pending-status.json"), rt.prefix()+"fabric-")
		id, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if rec, ok := rt.loadPending(rt.loopCtx, key); ok {
			rt.startStatusRetry(id, rec)
		}
	}
}
