package oidcsession

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hhgate/hhgate/testenv/oidcop"
)

// TestDiscoveryFailureIsRetriedInTheBackground: an IdP that is down at
// start-up does not stop the gateway (Start does no I/O); the failure is
// logged, requests that need the IdP get a 503 idp_unavailable (JSON for
// scripts, a page for navigations), and logins work once the IdP answers.
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
	waitFor(t, 10*time.Second, "the discovery failure logged", func() bool {
		return logs.FilterMessageSnippet("discovery failed").Len() > 0
	})
	b := newBrowser(t)
	resp, body := b.get(t, gw.URL+"/api/dcim/", fetch)
	if c := decodeContract(t, resp, body, http.StatusServiceUnavailable); c.Error != CodeIdPUnavailable {
		t.Fatalf("contract %+v", c)
	}
	resp, body = b.get(t, gw.URL+"/dcim/", navigation)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), "not reachable") {
		t.Fatalf("navigation: %d %q %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	op.SetOutage(false)
	waitFor(t, 10*time.Second, "discovered after the IdP came back", gw.h.Ready)
	b.login(t, gw, "/dcim/", alice)
	if got := b.reach(t, gw.URL+"/dcim/", navigation); got.header("Remote-User") != "alice" {
		t.Fatalf("NetBox saw %q", got.header("Remote-User"))
	}
}

// waitFor polls cond every few milliseconds until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("not %s after %s", what, limit)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, bounded by limit
	}
	return time.Since(start)
}

// TestStartDoesNoIO: Start returns at once even when the IdP accepts
// connections and never answers; Stop ends the background work.
// Real parts: a TCP listener that never answers.
func TestStartDoesNoIO(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h, err := New(Config{
		Issuer: "http://" + ln.Addr().String(), ClientID: "c", ClientSecret: "s",
		SessionKeys: []string{testSessionKey}, Storage: &certmagic.FileStorage{Path: t.TempDir()},
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	h.Start(t.Context())
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Start took %s", d)
	}
	start = time.Now()
	h.Stop()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Stop took %s with a discovery attempt hanging", d)
	}
	if h.Ready() {
		t.Fatal("discovered a provider that never answered")
	}
}
