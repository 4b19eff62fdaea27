package oidcsession

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/hhgate/hhgate/testenv/oidcop"
)

// The mockoidc tests share one process-wide clock (oidcop.MockClock): they
// must not run in parallel.

// mockClient is the gateway's configuration for mockoidc: only its client,
// and the groups scope for the groups claim. The client authentication is
// detected (mockoidc announces basic but reads only the form).
func mockClient(m *oidcop.Mock) func(*Config) {
	return func(c *Config) {
		c.ClientID, c.ClientSecret = m.ClientID, m.ClientSecret
		c.Scopes = []string{"openid", "profile", "email", "groups"} // mockoidc knows no offline_access
	}
}

// TestMockDefaultConfiguration: an IdP without offline_access in
// scopes_supported that lists client_secret_basic but takes the client
// only from the POST body signs users in with nothing configured but the
// client: the login asks no offline_access, the code exchange falls back
// to the body once, and refreshes use the body at once.
// Real parts: mockoidc.
func TestMockDefaultConfiguration(t *testing.T) {
	m := oidcop.StartMock(t, oidcop.MockOptions{AccessTTL: 5 * time.Minute})
	clock := oidcop.MockClock()
	gw := startGateway(t, gatewayOptions{issuer: m.Issuer(), clock: clock.Now, configure: func(c *Config) {
		c.ClientID, c.ClientSecret = m.ClientID, m.ClientSecret
	}})
	b := newBrowser(t)
	auth := b.toIdP(t, gw.URL+"/dcim/")
	u, _ := url.Parse(auth)
	if scope := u.Query().Get("scope"); scope != "openid profile email" {
		t.Fatalf("the login asks for %q, want the defaults without offline_access", scope)
	}
	b.finishLogin(t, auth, alice)
	if got := b.reach(t, gw.URL+"/dcim/", navigation); got.header("Remote-User") != "jane.doe" {
		t.Fatalf("NetBox saw %q", got.header("Remote-User"))
	}
	if codes, refused := m.Calls.Codes(), m.Calls.RefusedCodes(); codes != 2 || refused != 1 {
		t.Fatalf("%d code exchanges (%d refused), want 2 (1: basic, then post)", codes, refused)
	}
	if rec := gw.record(t, b); rec.TokenAuthMethod != AuthMethodPost {
		t.Fatalf("the session records %q, want %s", rec.TokenAuthMethod, AuthMethodPost)
	}

	clock.Advance(intoRefreshWindow)
	b.reach(t, gw.URL+"/api/", fetch)
	if n, refused := m.Calls.Refreshes(), m.Calls.RefusedRefreshes(); n != 1 || refused != 0 {
		t.Fatalf("%d refreshes (%d refused), want 1 (0): the learned style must be used", n, refused)
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
