package oidcop

import (
	"sync"
	"time"
)

// Clock is the time as a test wants it: the real time plus an offset the
// test moves forward, instead of sleeping. It is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// NewClock returns a clock showing the real time.
func NewClock() *Clock { return &Clock{} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
