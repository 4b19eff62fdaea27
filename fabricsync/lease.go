package fabricsync

import (
	"context"
	"os"
	"time"

	"go.uber.org/zap"
)

// The controller's leader lease is a lock in Caddy's storage, which every
// gateway in front of the same NetBox shares. certmagic's locks are
// leases: file_system refreshes its lock file every 5 s while the holder
// lives and treats it as stale after 10 s, and a waiting gateway polls
// every second, so when the leader dies another takes over within about
// 11 s (other storage modules: their own lock expiry). A leader that
// stops cleanly releases it at once. Like client-go's leader election it
// cannot fence a leader that lost its lease without noticing (a paused
// process): the per-fabric sync lock still keeps syncs from overlapping,
// and every write of a sync is safe to repeat.

// leaderKey names the lease.
func (rt *Runtime) leaderKey() string { return rt.prefix() + "controller-leader" }

// leaderRecord says who holds the lease, for operators reading storage.
type leaderRecord struct {
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

// acquire waits for the lease; false when the controller stops first.
func (c *controller) acquire() bool {
	if err := c.rt.storage.Lock(c.ctx, c.rt.leaderKey()); err != nil {
		if c.ctx.Err() == nil {
			c.log.Error("controller: cannot take the leader lease in storage", zap.Error(err))
		}
		return false
	}
	host, _ := os.Hostname()
	rec := leaderRecord{Host: host, PID: os.Getpid(), Since: c.clock.Now().UTC()}
	if err := c.rt.store(c.ctx, c.rt.leaderKey()+".json", rec); err != nil {
		c.log.Debug("controller: cannot record the leader", zap.Error(err))
	}
	return true
}

// release gives the lease up so that another gateway takes over at once.
func (c *controller) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = c.rt.storage.Delete(ctx, c.rt.leaderKey()+".json")
	c.rt.unlock(c.rt.leaderKey())
}
