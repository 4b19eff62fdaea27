package oidcsession

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeIdP answers discovery attempts from a script: fail the first
// failures attempts, hang while hang is set, then succeed.
type fakeIdP struct {
	failures int32
	hang     atomic.Bool
	calls    atomic.Int32
}

var errFakeDown = errors.New("connection refused")

func (f *fakeIdP) attempt(ctx context.Context) (*provider, error) {
	n := f.calls.Add(1)
	if f.hang.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if n <= f.failures {
		return nil, errFakeDown
	}
	return &provider{endSession: "discovered"}, nil
}

// fakeClock is a clock the test sets.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestDiscovery(f *fakeIdP, clock *fakeClock) (*discovery, *atomic.Int32) {
	failed := &atomic.Int32{}
	return &discovery{
		attempt: f.attempt, retryMin: time.Millisecond, retryMax: 4 * time.Millisecond,
		waitLimit: 50 * time.Millisecond, now: clock.Now,
		onFailure: func(int, time.Duration, error) { failed.Add(1) },
		onSuccess: func(int) {},
	}, failed
}

// TestDiscoveryBackgroundRetries: the background loop retries until the IdP
// answers, then stops; cancelling it ends it while the IdP is down.
func TestDiscoveryBackgroundRetries(t *testing.T) {
	tests := []struct {
		name      string
		failures  int32
		cancel    bool
		wantCalls int32 // at least
		wantFound bool
	}{
		{"IdP up: one attempt", 0, false, 1, true},
		{"IdP down for 5 attempts", 5, false, 6, true},
		{"IdP down, shut down meanwhile", 1 << 30, true, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeIdP{failures: tt.failures}
			d, failed := newTestDiscovery(f, &fakeClock{now: time.Unix(0, 0)})
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			done := make(chan struct{})
			go func() { d.Run(ctx); close(done) }()
			if tt.cancel {
				for f.calls.Load() < 3 { // let it retry a few times
					time.Sleep(time.Millisecond) // polling a condition; the context bounds the test
				}
				cancel()
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return")
			}
			if got := f.calls.Load(); got < tt.wantCalls || (!tt.cancel && got != tt.wantCalls) {
				t.Errorf("%d attempts, want %d", got, tt.wantCalls)
			}
			if (d.Provider() != nil) != tt.wantFound {
				t.Errorf("discovered %v, want %v", d.Provider() != nil, tt.wantFound)
			}
			if !tt.cancel && failed.Load() != tt.failures {
				t.Errorf("%d failures reported, want %d", failed.Load(), tt.failures)
			}
		})
	}
}

// TestDiscoveryOnDemand: a request that needs the IdP before discovery
// has worked triggers one bounded attempt, not one per request, and none
// within retryMin of the last.
func TestDiscoveryOnDemand(t *testing.T) {
	tests := []struct {
		name      string
		failures  int32
		hang      bool
		advance   time.Duration // between the two Gets
		wantCalls int32
		wantFirst bool // the first Get finds the IdP
		wantLast  bool // the second Get finds the IdP
	}{
		{"IdP answers: found at once, then cached", 0, false, 0, 1, true, true},
		{"IdP down: the second Get within retryMin does not ask again", 100, false, 0, 1, false, false},
		{"IdP back after retryMin: asked again and found", 1, false, 2 * time.Millisecond, 2, false, true},
		{"IdP hangs: the wait is bounded", 0, true, 0, 1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeIdP{failures: tt.failures}
			f.hang.Store(tt.hang)
			clock := &fakeClock{now: time.Unix(0, 0)}
			d, _ := newTestDiscovery(f, clock)
			start := time.Now()
			p, err := d.Get(t.Context())
			if waited := time.Since(start); waited > 5*time.Second {
				t.Fatalf("Get waited %s", waited)
			}
			if (p != nil) != tt.wantFirst || (err == nil) != tt.wantFirst {
				t.Fatalf("first Get: %v, %v", p, err)
			}
			if err != nil && !errors.Is(err, errNotDiscovered) {
				t.Fatalf("first Get: %v is not errNotDiscovered", err)
			}
			f.hang.Store(false)
			clock.Advance(tt.advance)
			if p, _ := d.Get(t.Context()); (p != nil) != tt.wantLast {
				t.Fatalf("second Get found %v, want %v", p != nil, tt.wantLast)
			}
			if got := f.calls.Load(); got != tt.wantCalls {
				t.Fatalf("%d attempts, want %d", got, tt.wantCalls)
			}
		})
	}
}

// TestDiscoveryOnDemandIsShared: many requests at once wait for one attempt.
func TestDiscoveryOnDemandIsShared(t *testing.T) {
	f := &fakeIdP{}
	f.hang.Store(true)
	d, _ := newTestDiscovery(f, &fakeClock{now: time.Unix(0, 0)})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { _, _ = d.Get(t.Context()) })
	}
	wg.Wait()
	if got := f.calls.Load(); got != 1 {
		t.Fatalf("%d attempts for 20 concurrent requests, want 1", got)
	}
}
