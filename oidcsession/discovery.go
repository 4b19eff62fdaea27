package oidcsession

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// discoveryAttemptTimeout bounds one discovery attempt in the background.
	discoveryAttemptTimeout = 10 * time.Second
	// onDemandDiscoveryTimeout bounds how long a request that needs the IdP
	// waits for a discovery attempt.
	onDemandDiscoveryTimeout = 2 * time.Second
)

// errNotDiscovered: discovery has not succeeded yet.
var errNotDiscovered = errors.New("identity provider not discovered yet")

// discovery holds the IdP as discovered. Discovery is never done while the
// configuration loads: Run tries in the background with exponential
// back-off until it works, and a request that needs the IdP before then
// (Get) joins the attempt in flight or starts one — unless one started
// less than retryMin ago — and waits for it a bounded time. There is never
// more than one attempt at a time.
type discovery struct {
	attempt            func(context.Context) (*provider, error)
	retryMin, retryMax time.Duration
	// waitLimit bounds a request's wait and the attempt it starts (default
	// onDemandDiscoveryTimeout).
	waitLimit time.Duration
	now       func() time.Time
	// onFailure is told about a failed attempt: retryIn is the background
	// loop's next delay, 0 for an attempt a request started.
	onFailure func(attempt int, retryIn time.Duration, err error)
	onSuccess func(attempt int)

	current atomic.Pointer[provider]
	// base is the context of the attempts requests start (Run's).
	base     context.Context
	workers  sync.WaitGroup
	mu       sync.Mutex
	attempts int
	inFlight *discoveryAttempt
	last     time.Time // when the last attempt started
	lastErr  error
}

// discoveryAttempt is one attempt; err is valid once done is closed.
type discoveryAttempt struct {
	number int
	done   chan struct{}
	err    error
}

// wait waits for the attempts in flight (after Run's ctx has ended).
func (d *discovery) wait() { d.workers.Wait() }

// Provider returns the discovered IdP, or nil; it never waits.
func (d *discovery) Provider() *provider { return d.current.Load() }

// Get returns the discovered IdP, discovering it first if need be (see
// discovery); the wait is bounded by waitLimit and ctx.
func (d *discovery) Get(ctx context.Context) (*provider, error) {
	if p := d.current.Load(); p != nil {
		return p, nil
	}
	limit := cmp.Or(d.waitLimit, onDemandDiscoveryTimeout)
	a := d.join(limit, false)
	if a == nil {
		d.mu.Lock()
		lastErr := d.lastErr
		d.mu.Unlock()
		return nil, errors.Join(errNotDiscovered, lastErr)
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-a.done:
		if p := d.current.Load(); p != nil {
			return p, nil
		}
		return nil, errors.Join(errNotDiscovered, a.err)
	case <-timer.C:
		return nil, errors.Join(errNotDiscovered, context.DeadlineExceeded)
	case <-ctx.Done():
		return nil, errors.Join(errNotDiscovered, ctx.Err())
	}
}

// join returns the attempt in flight, or starts one bounded by timeout —
// for a request (background false) only if none started within retryMin;
// it returns nil then.
func (d *discovery) join(timeout time.Duration, background bool) *discoveryAttempt {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inFlight != nil {
		return d.inFlight
	}
	if d.current.Load() != nil {
		done := &discoveryAttempt{done: make(chan struct{})}
		close(done.done)
		return done
	}
	if d.base != nil && d.base.Err() != nil {
		return nil // stopped
	}
	if !background && !d.last.IsZero() && d.now().Sub(d.last) < d.retryMin {
		return nil
	}
	base := d.base
	if base == nil {
		base = context.Background()
	}
	d.attempts++
	d.last = d.now()
	a := &discoveryAttempt{number: d.attempts, done: make(chan struct{})}
	d.inFlight = a
	d.workers.Go(func() { d.run(base, timeout, a, background) })
	return a
}

func (d *discovery) run(base context.Context, timeout time.Duration, a *discoveryAttempt, background bool) {
	ctx, cancel := context.WithTimeout(base, timeout)
	p, err := d.attempt(ctx)
	cancel()
	if err == nil && d.current.CompareAndSwap(nil, p) {
		d.onSuccess(a.number)
	}
	if err != nil && !background && base.Err() == nil {
		d.onFailure(a.number, 0, err)
	}
	d.mu.Lock()
	a.err, d.lastErr, d.inFlight = err, err, nil
	d.mu.Unlock()
	close(a.done)
}

// Run discovers in the background: at once, then after retryMin, doubling
// up to retryMax, until an attempt (its own or a request's) succeeds or
// ctx ends. It returns when its attempts have ended.
func (d *discovery) Run(ctx context.Context) {
	d.mu.Lock()
	d.base = ctx
	d.mu.Unlock()
	delay := d.retryMin
	for d.current.Load() == nil {
		a := d.join(discoveryAttemptTimeout, true)
		if a == nil { // stopped
			return
		}
		select {
		case <-a.done:
		case <-ctx.Done():
			return
		}
		if a.err == nil || d.current.Load() != nil {
			return
		}
		if ctx.Err() != nil { // shutting down: not a failure of the IdP
			return
		}
		d.onFailure(a.number, delay, a.err)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		delay = min(2*delay, d.retryMax)
	}
}
