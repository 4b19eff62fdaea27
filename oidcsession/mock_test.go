package oidcsession

import (
	"net/http"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/hhgate/hhgate/testenv/oidcop"
)

// The mockoidc tests share one process-wide clock (oidcop.MockClock): they
// must not run in parallel.

func mockClient(m *oidcop.Mock) func(*Config) {
	return func(c *Config) {
		c.ClientID, c.ClientSecret = m.ClientID, m.ClientSecret
		c.TokenAuthMethod = AuthMethodPost                          // mockoidc announces basic but reads only the form
		c.Scopes = []string{"openid", "profile", "email", "groups"} // mockoidc knows no offline_access
	}
}

var bob = &mockoidc.MockUser{
	Subject: "bob-1", PreferredUsername: "bob", Email: "bob@example.com", EmailVerified: true,
	Groups: []string{"netbox-readers", "dc-east"},
}

// TestMockGroupsClaimAndExpiry: groups reach NetBox joined with "|", and the
// session's expiry comes from the ID token: mockoidc's expires_in is in
// nanoseconds, which x/oauth2 reads as decades.
// Real parts: mockoidc.
func TestMockGroupsClaimAndExpiry(t *testing.T) {
	m := oidcop.StartMock(t, oidcop.MockOptions{AccessTTL: 5 * time.Minute, Users: []*mockoidc.MockUser{bob}})
	clock := oidcop.MockClock()
	gw := startGateway(t, gatewayOptions{issuer: m.Issuer(), clock: clock.Now, configure: mockClient(m)})
	b := newBrowser(t)
	b.finishLogin(t, b.toIdP(t, gw.URL+"/dcim/"), alice) // mockoidc asks nothing

	got := b.reach(t, gw.URL+"/dcim/", navigation)
	if got.header("Remote-User") != "bob" || got.header("Remote-User-Email") != "bob@example.com" ||
		got.header("Remote-User-Group") != "netbox-readers|dc-east" {
		t.Fatalf("NetBox saw %v", identityHeadersSeen(got))
	}
	rec := gw.record(t, b)
	if d := rec.TokenExpiry.Sub(clock.Now()); d > 5*time.Minute || d < 4*time.Minute {
		t.Fatalf("token expiry %s from now, want the ID token's 5m", d)
	}
}

// TestMockRefreshKeepsTheRefreshToken: an OP that does not rotate gets the
// same refresh token back; the session goes on with it.
// Real parts: mockoidc.
func TestMockRefreshKeepsTheRefreshToken(t *testing.T) {
	m := oidcop.StartMock(t, oidcop.MockOptions{AccessTTL: 5 * time.Minute})
	clock := oidcop.MockClock()
	gw := startGateway(t, gatewayOptions{issuer: m.Issuer(), clock: clock.Now, configure: mockClient(m)})
	b := newBrowser(t)
	b.finishLogin(t, b.toIdP(t, gw.URL+"/"), alice)
	before := gw.record(t, b)

	clock.Advance(intoRefreshWindow)
	if got := b.reach(t, gw.URL+"/api/", fetch); got.header("Remote-User") != "jane.doe" {
		t.Fatalf("NetBox saw %q", got.header("Remote-User"))
	}
	after := gw.record(t, b)
	if m.Calls.Refreshes() != 1 || after.RefreshToken != before.RefreshToken || after.IDToken == before.IDToken ||
		!after.RefreshAt.After(clock.Now()) {
		t.Fatalf("refreshes %d; refresh token kept %v; new ID token %v; refresh at %v",
			m.Calls.Refreshes(), after.RefreshToken == before.RefreshToken, after.IDToken != before.IDToken, after.RefreshAt)
	}
}

// TestMockExpiredRefreshTokenEndsSession: mockoidc refuses an expired
// refresh token with invalid_request (401), not invalid_grant; that too
// ends the session.
// Real parts: mockoidc.
func TestMockExpiredRefreshTokenEndsSession(t *testing.T) {
	m := oidcop.StartMock(t, oidcop.MockOptions{AccessTTL: 5 * time.Minute, RefreshTTL: 10 * time.Minute})
	clock := oidcop.MockClock()
	gw := startGateway(t, gatewayOptions{issuer: m.Issuer(), clock: clock.Now, configure: mockClient(m)})
	b := newBrowser(t)
	b.finishLogin(t, b.toIdP(t, gw.URL+"/"), alice)

	clock.Advance(11 * time.Minute)
	resp, body := b.get(t, gw.URL+"/api/", fetch)
	decodeContract(t, resp, body, http.StatusUnauthorized)
	if m.Calls.RefusedRefreshes() != 1 {
		t.Fatalf("%d refused refreshes, want 1", m.Calls.RefusedRefreshes())
	}
	if _, err := gw.h.store.Reload(t.Context(), b.sessionID(gw)); err == nil {
		t.Fatal("the session is still stored")
	}
}
