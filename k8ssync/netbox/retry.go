package netbox

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy bounds how hard the client insists when NetBox is briefly
// unable to answer (5xx, 429, timeouts, dropped connections). Client errors
// (4xx other than 408/429) are never retried: sending the same request again
// gets the same answer.
type RetryPolicy struct {
	// Attempts is the total number of tries per request, default 4.
	Attempts int
	// BaseDelay is the first backoff, doubled per retry; default 250ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff (and a Retry-After); default 5s.
	MaxDelay time.Duration
	// MaxElapsed caps the time spent on one request including its retries;
	// default 30s. A retry that would start after it is not made.
	MaxElapsed time.Duration
	// Sleep waits d or until ctx ends. Tests inject one that returns at
	// once and records d; default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter spreads a backoff so that many gateways do not retry in step;
	// default uniform in [d/2, d]. Not applied to Retry-After.
	Jitter func(d time.Duration) time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 30 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	if p.Jitter == nil {
		p.Jitter = halfJitter
	}
	return p
}

// backoff is the delay before retry number n (1-based).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return p.Jitter(min(d, p.MaxDelay))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func halfJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// retryable reports whether a response status is worth another try.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
