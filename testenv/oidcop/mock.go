package oidcop

import (
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
)

// Mock is a running mockoidc provider. It has no login page (every
// authorization succeeds at once for the next queued user), never rotates
// refresh tokens, answers an expired refresh token with invalid_request
// (401), and sends expires_in in nanoseconds: relying parties must take the
// expiry from the ID token.
type Mock struct {
	*mockoidc.MockOIDC
	// Calls counts the token-endpoint calls.
	Calls *TokenCalls
}

// MockOptions configures StartMock.
type MockOptions struct {
	// AccessTTL (also the ID token's) and RefreshTTL default to mockoidc's 10m and 1h.
	AccessTTL, RefreshTTL time.Duration
	// Users are queued for the first logins (mockoidc.DefaultUser() after them).
	Users []*mockoidc.MockUser
}

var (
	mockClockOnce sync.Once
	mockClock     = NewClock()
)

// MockClock is the clock of every Mock in this process: mockoidc reads the
// time from one package variable. Tests that advance it must not run in
// parallel with other Mock tests.
func MockClock() *Clock {
	mockClockOnce.Do(func() { mockoidc.NowFunc = mockClock.Now })
	return mockClock
}

// StartMock starts a mockoidc provider on 127.0.0.1 and stops it when the
// test ends.
func StartMock(t testing.TB, opts MockOptions) *Mock {
	t.Helper()
	MockClock()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.AccessTTL > 0 {
		m.AccessTTL = opts.AccessTTL
	}
	if opts.RefreshTTL > 0 {
		m.RefreshTTL = opts.RefreshTTL
	}
	for _, u := range opts.Users {
		m.QueueUser(u)
	}
	calls := &TokenCalls{}
	if err := m.AddMiddleware(func(next http.Handler) http.Handler {
		return calls.middleware(mockoidc.TokenEndpoint, next)
	}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return &Mock{MockOIDC: m, Calls: calls}
}
