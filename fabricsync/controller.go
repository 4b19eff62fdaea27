package fabricsync

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
	"k8s.io/utils/clock"

	"github.com/hhgate/hhgate/k8ssync"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// Triggers of the controller's syncs.
const (
	TriggerSchedule = "schedule"
	TriggerChange   = "change"
)

// ControllerEngine is what the fabric controller needs of the engine
// (k8ssync.Engine) besides syncs.
type ControllerEngine interface {
	Engine
	FabricConfigs(ctx context.Context) ([]netbox.FabricConfig, error)
	WatchFabric(ctx context.Context, f netbox.Fabric, notify k8ssync.WatchNotify) error
	MarkOutOfSync(ctx context.Context, id int) error
}

// ControllerObserver is told about the controller, for metrics. A
// RuntimeConfig.Observer that implements it receives these too.
type ControllerObserver interface {
	// Leader is called when this gateway becomes the controller (true)
	// or stops being it.
	Leader(bool)
	// Watching is the number of fabrics whose cluster this gateway
	// watches.
	Watching(fabrics int)
	// ChangeSeen is called for every change a watch reports.
	ChangeSeen()
	// WatchUnavailable is called once per fabric (and credentials) whose
	// changes cannot be watched; reason is "forbidden".
	WatchUnavailable(reason string)
}

// ControllerConfig configures the fabric controller.
type ControllerConfig struct {
	// Enabled runs the controller; false stops it.
	Enabled bool
	// Engine runs the syncs and watches.
	Engine ControllerEngine
	// Timeout bounds one sync.
	Timeout time.Duration
	// Debounce is the wait between the first change seen and the sync it
	// starts, and the least time between two change-driven syncs of a
	// fabric; default 5s.
	Debounce time.Duration
	// PollInterval is how often the fabric list is read for new, changed
	// and deleted fabrics; default 30s.
	PollInterval time.Duration
	// Clock is the controller's clock; default the real one.
	Clock clock.WithTicker
}

// DefaultDebounce is ControllerConfig.Debounce's default.
const DefaultDebounce = 5 * time.Second

// DefaultPollInterval is ControllerConfig.PollInterval's default.
const DefaultPollInterval = 30 * time.Second

// controller schedules and watches the fabrics while this gateway holds
// the leader lease. It belongs to the Runtime and survives reloads.
type controller struct {
	rt     *Runtime
	clock  clock.WithTicker
	log    *zap.Logger
	obs    ControllerObserver
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	reload chan struct{} // a new configuration: poll at once

	mu      sync.Mutex
	cfg     ControllerConfig
	fabrics map[int]*fabricCtl
	leader  bool
}

// UseController starts, reconfigures or (Enabled false) stops the fabric
// controller. Only one gateway of those sharing the storage runs it at a
// time: the holder of the leader lease.
func (rt *Runtime) UseController(cfg ControllerConfig) {
	cfg.Debounce = cmpDuration(cfg.Debounce, DefaultDebounce)
	cfg.PollInterval = cmpDuration(cfg.PollInterval, DefaultPollInterval)
	rt.mu.Lock()
	c := rt.ctrl
	if !cfg.Enabled || cfg.Engine == nil {
		rt.ctrl = nil
		rt.mu.Unlock()
		if c != nil {
			c.stop()
		}
		return
	}
	if c != nil {
		rt.mu.Unlock()
		c.mu.Lock()
		c.cfg = cfg
		c.mu.Unlock()
		select {
		case c.reload <- struct{}{}:
		default:
		}
		return
	}
	c = &controller{rt: rt, clock: cfg.Clock, log: rt.log.Named("controller"), cfg: cfg,
		fabrics: map[int]*fabricCtl{}, done: make(chan struct{}), reload: make(chan struct{}, 1)}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	c.obs, _ = rt.cfg.Observer.(ControllerObserver)
	if c.obs == nil {
		c.obs = nopControllerObserver{}
	}
	c.ctx, c.cancel = context.WithCancel(rt.loopCtx)
	rt.ctrl = c
	rt.mu.Unlock()
	go c.run()
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (c *controller) config() ControllerConfig {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg
}

// stop ends the controller: its fabrics' loops and watches, then the
// lease. A sync it started goes on (it belongs to the Runtime).
func (c *controller) stop() {
	c.cancel()
	<-c.done
}

// run holds the leader lease and, while holding it, keeps one fabric
// loop per sync-enabled fabric.
func (c *controller) run() {
	defer close(c.done)
	if !c.acquire() {
		return
	}
	defer c.release()
	c.setLeader(true)
	defer c.setLeader(false)
	tick := c.clock.NewTicker(c.config().PollInterval)
	defer tick.Stop()
	for {
		c.refresh()
		select {
		case <-c.ctx.Done():
			c.stopAll()
			return
		case <-tick.C():
		case <-c.reload:
		}
	}
}

func (c *controller) setLeader(on bool) {
	c.mu.Lock()
	c.leader = on
	c.mu.Unlock()
	c.obs.Leader(on)
	if on {
		c.log.Info("this gateway runs the fabric controller (scheduled and change-driven syncs)")
	}
}

// refresh reads the fabric list and starts, updates or stops the fabric
// loops. NetBox not answering keeps everything as it is.
func (c *controller) refresh() {
	cfg := c.config()
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	list, err := cfg.Engine.FabricConfigs(ctx)
	if err != nil {
		if c.ctx.Err() == nil {
			c.log.Warn("controller: cannot list fabrics; keeping the current ones", zap.Error(err))
		}
		return
	}
	seen := map[int]bool{}
	for _, fc := range list {
		if !fc.SyncEnabled || fc.KubernetesServer == "" {
			continue
		}
		seen[fc.ID] = true
		c.mu.Lock()
		f, ok := c.fabrics[fc.ID]
		if !ok {
			f = newFabricCtl(c, fc.ID)
			c.fabrics[fc.ID] = f
		}
		c.mu.Unlock()
		f.update(fc)
	}
	c.mu.Lock()
	var gone []*fabricCtl
	for id, f := range c.fabrics {
		if !seen[id] {
			gone = append(gone, f)
			delete(c.fabrics, id)
		}
	}
	c.mu.Unlock()
	for _, f := range gone {
		f.stop()
	}
	c.countWatches()
}

func (c *controller) stopAll() {
	c.mu.Lock()
	all := make([]*fabricCtl, 0, len(c.fabrics))
	for id, f := range c.fabrics {
		all = append(all, f)
		delete(c.fabrics, id)
	}
	c.mu.Unlock()
	for _, f := range all {
		f.stop()
	}
	c.obs.Watching(0)
}

func (c *controller) countWatches() {
	c.mu.Lock()
	n := 0
	for _, f := range c.fabrics {
		if f.isWatching() {
			n++
		}
	}
	c.mu.Unlock()
	c.obs.Watching(n)
}

func (c *controller) fabric(id int) *fabricCtl {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fabrics[id]
}

// Drift reports the changes the controller's watches saw on fabric id's
// cluster since the last sync that finished (in this gateway), and when
// the first of them was seen. Zero when nothing changed, the controller
// is off, or another gateway runs it.
func (rt *Runtime) Drift(id int) (changes int, since time.Time) {
	rt.mu.Lock()
	c := rt.ctrl
	rt.mu.Unlock()
	if c == nil {
		return 0, time.Time{}
	}
	f := c.fabric(id)
	if f == nil {
		return 0, time.Time{}
	}
	return f.drift()
}

// IsController reports whether this gateway runs the fabric controller
// now (holds the leader lease).
func (rt *Runtime) IsController() bool {
	rt.mu.Lock()
	c := rt.ctrl
	rt.mu.Unlock()
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leader
}

// syncStarted and syncEnded are called by every sync this process runs
// (any trigger), for the drift accounting.
func (rt *Runtime) syncStarted(id int) {
	if f := rt.controlledFabric(id); f != nil {
		f.syncStarted()
	}
}

func (rt *Runtime) syncEnded(id int, res k8ssync.Result) {
	if f := rt.controlledFabric(id); f != nil {
		f.syncEnded(res)
	}
}

func (rt *Runtime) controlledFabric(id int) *fabricCtl {
	rt.mu.Lock()
	c := rt.ctrl
	rt.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.fabric(id)
}

type nopControllerObserver struct{}

func (nopControllerObserver) Leader(bool)             {}
func (nopControllerObserver) Watching(int)            {}
func (nopControllerObserver) ChangeSeen()             {}
func (nopControllerObserver) WatchUnavailable(string) {}
