package k8ssync

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// Engine syncs fabrics. One Engine serves every fabric of a NetBox and is
// safe for concurrent use; it does not serialize syncs of the same fabric
// (the HTTP handler does).
type Engine struct {
	o      Options
	netbox *netbox.Client
	log    *zap.Logger
	marks  markStore // change marks of the kinds found in sync (marks.go)
}

// New returns an Engine for the NetBox at o.NetBoxURL.
func New(o Options) (*Engine, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	nb, err := netbox.New(netbox.Options{
		BaseURL:    o.NetBoxURL,
		Token:      o.NetBoxToken,
		AuthScheme: o.NetBoxAuthScheme,
		HTTPClient: o.HTTPClient,
		BatchSize:  o.BatchSize,
		PageSize:   o.NetBoxPageSize,
		Retry:      o.Retry,
		Logger:     o.Logger.Named("netbox"),
		Now:        o.Now,
		Observe:    o.ObserveNetBox,
	})
	if err != nil {
		return nil, fmt.Errorf("k8ssync: %w", err)
	}
	return &Engine{o: o, netbox: nb, log: o.Logger}, nil
}

// Sync copies fabric fabricID's custom resources into NetBox and records
// the outcome on the fabric.
//
// Sync sets the fabric's sync_status to "syncing" first (the caller holds
// the fabric's lock, so no other sync writes its status meanwhile) and
// always ends it: whatever happens (a panic, its Timeout, ctx cancelled because
// the client went away), it writes the final status on a fresh context of
// its own (StatusTimeout), unless the fabric does not exist. Callers that
// want the sync to finish after their client leaves pass a context that is
// not cancelled with the request (context.WithoutCancel).
func (e *Engine) Sync(ctx context.Context, fabricID int) (res Result) {
	r := newRun(e, fabricID)
	defer func() {
		if p := recover(); p != nil {
			r.panicked(p, debug.Stack())
		}
		res = r.finish(ctx)
	}()
	syncCtx, cancel := context.WithTimeout(ctx, e.o.Timeout)
	defer cancel()
	r.execute(syncCtx)
	r.noteContext(syncCtx, ctx)
	return Result{} // replaced by the deferred finish
}

// statusContext is the context of a final status write: not cancelled with
// the caller's (the write must happen after a client left or a timeout),
// bounded by its own timeout.
func (e *Engine) statusContext(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(parent), e.o.StatusTimeout)
}

func (e *Engine) prune() bool { return *e.o.Prune }

func (e *Engine) maxPrune() int { return *e.o.MaxPrune }

func (e *Engine) now() time.Time { return e.o.Now() }
