package oidcsession

import (
	"testing"

	"github.com/hhgate/hhgate/testenv/oidcop"
)

// TestPostOnlyRotatingProvider: an OP that rotates refresh tokens strictly
// and lists client_secret_basic but refuses it works without
// configuration: the code exchange falls back to the POST body once, and
// no refresh token is ever presented in the refused style — not by the
// gateway that learned it, not by another gateway that only read the
// session (it refreshes as the record says).
// Real parts: zitadel example OP (strict rotation) refusing Basic, file
// storage shared by two handlers.
func TestPostOnlyRotatingProvider(t *testing.T) {
	clock := oidcop.NewClock()
	op := oidcop.StartZitadel(t, oidcop.ZitadelOptions{Clock: clock, PostOnlyClients: true})
	dir := t.TempDir()
	a := startGateway(t, gatewayOptions{issuer: op.Issuer, clock: clock.Now, storageDir: dir})
	other := startGateway(t, gatewayOptions{issuer: op.Issuer, clock: clock.Now, storageDir: dir})
	register(op, a, other)
	b := newBrowser(t)
	b.login(t, a, "/", alice)
	if codes, refused := op.Calls.Codes(), op.Calls.RefusedCodes(); codes != 2 || refused != 1 {
		t.Fatalf("%d code exchanges (%d refused), want 2 (1)", codes, refused)
	}
	if m := a.record(t, b).TokenAuthMethod; m != AuthMethodPost {
		t.Fatalf("the session records %q, want %s", m, AuthMethodPost)
	}
	if got := b.reach(t, other.URL+"/api/", fetch); got.header("Remote-User") != "alice" {
		t.Fatalf("the other gateway: NetBox saw %q", got.header("Remote-User"))
	}

	for round, g := range []*testGateway{other, a, other} {
		clock.Advance(intoRefreshWindow)
		if got := b.reach(t, g.URL+"/api/", fetch); got.header("Remote-User") != "alice" {
			t.Fatalf("round %d: NetBox saw %q", round+1, got.header("Remote-User"))
		}
		if n, refused := op.Calls.Refreshes(), op.Calls.RefusedRefreshes(); n != round+1 || refused != 0 {
			t.Fatalf("round %d: %d refreshes (%d refused), want %d (0)", round+1, n, refused, round+1)
		}
	}
}
