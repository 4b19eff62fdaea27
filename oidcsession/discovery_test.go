package oidcsession

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hhgate/hhgate/testenv/oidcop"
)

// TestDiscoveryFailureIsRetriedInTheBackground: an IdP that is down at
// start-up does not stop the gateway; the failure is logged, requests that
// need the IdP get a 503 (JSON for scripts, a page for navigations), and
// logins work once the IdP answers.
// Real parts: zitadel example OP.
func TestDiscoveryFailureIsRetriedInTheBackground(t *testing.T) {
	clock := oidcop.NewClock()
	op := oidcop.StartZitadel(t, oidcop.ZitadelOptions{Clock: clock})
	op.SetOutage(true)
	core, logs := observer.New(zap.WarnLevel)
	gw := startGateway(t, gatewayOptions{issuer: op.Issuer, clock: clock.Now, configure: func(c *Config) { c.Logger = zap.New(core) }})
	register(op, gw)

	if gw.h.Ready() {
		t.Fatal("ready while the IdP is down")
	}
	if n := logs.FilterMessageSnippet("discovery failed").Len(); n == 0 {
		t.Fatal("the discovery failure was not logged")
	}
	b := newBrowser(t)
	resp, body := b.get(t, gw.URL+"/api/dcim/", fetch)
	if c := decodeContract(t, resp, body, http.StatusServiceUnavailable); c.Error != "upstream_unavailable" {
		t.Fatalf("contract %+v", c)
	}
	resp, body = b.get(t, gw.URL+"/dcim/", navigation)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), "not reachable") {
		t.Fatalf("navigation: %d %q %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	op.SetOutage(false)
	deadline := time.Now().Add(10 * time.Second)
	for !gw.h.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("not ready 10 s after the IdP came back")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, bounded by the deadline
	}
	b.login(t, gw, "/dcim/", alice)
	if got := b.reach(t, gw.URL+"/dcim/", navigation); got.header("Remote-User") != "alice" {
		t.Fatalf("NetBox saw %q", got.header("Remote-User"))
	}
}
