package fabricsync

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync"
)

// Observer is told about syncs, for metrics. Implementations must be safe
// for concurrent use.
type Observer interface {
	// SyncStarted is called when this gateway starts running a sync.
	SyncStarted()
	// SyncFinished is called when it ends, with what started it.
	SyncFinished(trigger string, res k8ssync.Result, took time.Duration)
}

// Triggers (the trigger label of the metrics).
const (
	TriggerUser     = "user"
	TriggerRecovery = "recovery"
)

// RuntimeConfig configures a Runtime.
type RuntimeConfig struct {
	// Storage holds the per-fabric locks, the last result of each fabric
	// and final statuses still to be written. Every gateway in front of
	// the same NetBox must share it. Default: in memory (one process).
	Storage Storage
	// Namespace separates NetBoxes that share one storage (NetBox's URL).
	Namespace string
	// RecoveryInterval is how often fabrics are checked for a "syncing"
	// that no gateway holds; default 10s. Zero or less keeps the default.
	RecoveryInterval time.Duration
	// StatusRetryBudget bounds the retries of a final status NetBox did not
	// take; default 10 minutes.
	StatusRetryBudget time.Duration
	// StatusRetryDelay is the first backoff of those retries (doubled up
	// to 30s); default 1s.
	StatusRetryDelay time.Duration
	// Drain is how long Close waits for running syncs before cancelling
	// them (they still write their final status); default 30s.
	Drain time.Duration
	// Observer receives metrics events; optional.
	Observer Observer
	// Logger receives the runtime's lines; default none.
	Logger *zap.Logger
}

// errStopping is the cause of the syncs' context when the gateway stops.
var errStopping = errors.New("the gateway is stopping")

// Runtime owns the syncs of one NetBox for the whole process: they outlive
// the configuration (and the Handler) that started them, so that a config
// reload neither cancels nor duplicates a running sync. The Caddy module
// keeps it in a caddy.UsagePool.
type Runtime struct {
	cfg     RuntimeConfig
	storage Storage
	log     *zap.Logger
	obs     Observer

	// syncCtx is the parent of every sync: cancelled by Close after the
	// drain. loopCtx stops recovery and status retries at once.
	syncCtx    context.Context
	stopSyncs  context.CancelCauseFunc
	loopCtx    context.Context
	stopLoops  context.CancelFunc
	work       sync.WaitGroup // flights, recoveries, status retries
	loopOnce   sync.Once
	journalGap sync.Once
	// journaled is each fabric's last journaled failure (journal_repeat.go).
	journalMu sync.Mutex
	journaled map[int]journalMemo

	mu         sync.Mutex
	running    map[int]*flight
	recovering map[int]bool
	retrying   map[int]bool
	engine     Engine        // the latest configuration's, for recovery
	timeout    time.Duration // its sync bound
	ctrl       *controller   // the fabric controller, when on

	// joined, when set (tests), is told each time a press joins a flight.
	joined func(fabricID int)

	events *Hub // the fabrics' live events (events.go)
}

// NewRuntime returns a Runtime; it starts its recovery loop with the first
// UseEngine.
func NewRuntime(cfg RuntimeConfig) *Runtime {
	if cfg.RecoveryInterval <= 0 {
		cfg.RecoveryInterval = 10 * time.Second
	}
	if cfg.StatusRetryBudget <= 0 {
		cfg.StatusRetryBudget = 10 * time.Minute
	}
	if cfg.StatusRetryDelay <= 0 {
		cfg.StatusRetryDelay = time.Second
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 30 * time.Second
	}
	rt := &Runtime{cfg: cfg, storage: cfg.Storage, log: cfg.Logger, obs: cfg.Observer,
		running: map[int]*flight{}, recovering: map[int]bool{}, retrying: map[int]bool{}}
	if rt.storage == nil {
		rt.storage = NewMemoryStorage()
	}
	if rt.log == nil {
		rt.log = zap.NewNop()
	}
	if rt.obs == nil {
		rt.obs = nopObserver{}
	}
	rt.events = NewHub()
	rt.syncCtx, rt.stopSyncs = context.WithCancelCause(context.Background())
	rt.loopCtx, rt.stopLoops = context.WithCancel(context.Background())
	return rt
}

// UseEngine makes engine the one recovery and kept statuses use (the
// latest configuration's) and starts the recovery loop once.
func (rt *Runtime) UseEngine(engine Engine, timeout time.Duration) {
	rt.mu.Lock()
	rt.engine, rt.timeout = engine, timeout
	rt.mu.Unlock()
	rt.loopOnce.Do(func() {
		rt.work.Add(1)
		go rt.recoveryLoop()
	})
}

func (rt *Runtime) current() (Engine, time.Duration) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.engine, rt.timeout
}

// Close stops the runtime when the process stops: recovery ends at once,
// running syncs get Drain to finish, then they are cancelled and write
// their final status on their own bounded context. Kept final statuses
// stay in storage for the next start.
func (rt *Runtime) Close() {
	rt.UseController(ControllerConfig{}) // hand the leader lease over first
	rt.stopLoops()
	defer rt.events.Close()
	done := make(chan struct{})
	go func() { rt.work.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(rt.cfg.Drain):
	}
	rt.log.Warn("syncs still running at shutdown: cancelling them", zap.Duration("drain", rt.cfg.Drain))
	rt.stopSyncs(errStopping)
	select {
	case <-done:
	case <-time.After(time.Minute):
		rt.log.Error("syncs did not end within a minute of being cancelled")
	}
}

// Events is the hub of the fabrics' live events: syncs publish to it, the
// controller may too (Scheduled, Drift).
func (rt *Runtime) Events() *Hub { return rt.events }

type nopObserver struct{}

func (nopObserver) SyncStarted()                                       {}
func (nopObserver) SyncFinished(string, k8ssync.Result, time.Duration) {}
