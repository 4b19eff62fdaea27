package oidcsession

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"golang.org/x/oauth2"

	"github.com/hhgate/hhgate/oidcstore"
	"github.com/hhgate/hhgate/testenv/oidcop"
)

// intoRefreshWindow is how far to move the clock after a login so that the
// zitadel OP's 5-minute access token is due for renewal (1-minute margin)
// but not expired.
const intoRefreshWindow = 4*time.Minute + 30*time.Second

// TestRefreshBeforeExpiry: a request in the refresh window renews the
// tokens with the refresh token, keeps the rotated one, and carries the
// identity; later requests need no refresh until the next window.
// Real parts: zitadel example OP.
func TestRefreshBeforeExpiry(t *testing.T) {
	ev := &events{}
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{configure: func(c *Config) { c.OnEvent = ev.record }})
	b := newBrowser(t)
	b.login(t, s.gw, "/", alice)
	before := s.gw.record(t, b)

	s.clock.Advance(intoRefreshWindow)
	for range 3 {
		if got := b.reach(t, s.gw.URL+"/api/dcim/devices/", fetch); got.header("Remote-User") != "alice" {
			t.Fatalf("NetBox saw Remote-User %q", got.header("Remote-User"))
		}
	}
	after := s.gw.record(t, b)
	if n := s.op.Calls.Refreshes(); n != 1 {
		t.Fatalf("%d refreshes at the OP, want 1", n)
	}
	if after.RefreshToken == before.RefreshToken || after.AccessToken == before.AccessToken || after.Version != before.Version+1 {
		t.Fatalf("tokens not renewed: version %d -> %d", before.Version, after.Version)
	}
	if !after.RefreshAt.After(s.clock.Now()) || !after.TokenExpiry.After(before.TokenExpiry) {
		t.Fatalf("renewed record not fresh: refresh at %v, expiry %v (now %v)", after.RefreshAt, after.TokenExpiry, s.clock.Now())
	}
	stored, err := s.gw.h.store.Reload(t.Context(), b.sessionID(s.gw))
	if err != nil || stored.RefreshToken != after.RefreshToken {
		t.Fatalf("the rotated refresh token is not in the storage: %v", err)
	}
	if ev.count("refresh/success") != 1 {
		t.Errorf("events %v", ev.got)
	}

	s.clock.Advance(intoRefreshWindow) // the renewed tokens are due in turn
	b.reach(t, s.gw.URL+"/api/dcim/devices/", fetch)
	if n, refused := s.op.Calls.Refreshes(), s.op.Calls.RefusedRefreshes(); n != 2 || refused != 0 {
		t.Fatalf("%d refreshes (%d refused), want 2 (0): the rotated token must be the one used", n, refused)
	}
}

// concurrentFetches sends n fetches at once, spread over the gateways, and
// returns the failures.
func concurrentFetches(b *browser, n int, gateways ...*testGateway) []string {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
		start    = make(chan struct{})
	)
	for i := range n {
		g := gateways[i%len(gateways)]
		wg.Go(func() {
			<-start
			resp, body, err := b.try(http.MethodGet, fmt.Sprintf("%s/api/dcim/devices/%d/", g.URL, i), fetch)
			var problem string
			switch {
			case err != nil:
				problem = err.Error()
			case resp.StatusCode != http.StatusOK:
				problem = fmt.Sprintf("status %d: %.200s", resp.StatusCode, body)
			case !strings.Contains(string(body), `"Remote-User":["alice"]`):
				problem = fmt.Sprintf("no identity: %.200s", body)
			}
			if problem != "" {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("request %d via %s: %s", i, g.URL, problem))
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	return failures
}

// TestConcurrentRequestsRefreshOnce: 50 requests arriving together with a
// token due for renewal cause exactly one refresh at the OP (which rotates
// refresh tokens strictly: a second use would be invalid_grant), and all of
// them carry the identity.
// Real parts: zitadel example OP, file storage.
func TestConcurrentRequestsRefreshOnce(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	b := newBrowser(t)
	b.login(t, s.gw, "/", alice)
	s.clock.Advance(intoRefreshWindow)

	start := time.Now()
	if failures := concurrentFetches(b, 50, s.gw); len(failures) > 0 {
		t.Fatalf("%d of 50 failed:\n%s", len(failures), strings.Join(failures, "\n"))
	}
	t.Logf("50 concurrent requests with one refresh: %s", time.Since(start))
	if n, refused := s.op.Calls.Refreshes(), s.op.Calls.RefusedRefreshes(); n != 1 || refused != 0 {
		t.Fatalf("%d refreshes at the OP (%d refused), want exactly 1 (0)", n, refused)
	}
}

// TestTwoInstancesSharingStorageRefreshOnce: two gateways with one storage
// directory and the same keys serve one browser; 50 requests split over
// both still cause one refresh, and each instance then uses the rotated
// refresh token.
// Real parts: zitadel example OP, file storage shared by two handlers.
func TestTwoInstancesSharingStorageRefreshOnce(t *testing.T) {
	clock := oidcop.NewClock()
	op := oidcop.StartZitadel(t, oidcop.ZitadelOptions{Clock: clock})
	dir := t.TempDir()
	a := startGateway(t, gatewayOptions{issuer: op.Issuer, clock: clock.Now, storageDir: dir})
	bGw := startGateway(t, gatewayOptions{issuer: op.Issuer, clock: clock.Now, storageDir: dir})
	register(op, a, bGw)
	b := newBrowser(t)
	b.login(t, a, "/", alice) // the cookie is for 127.0.0.1: both instances get it
	if got := b.reach(t, bGw.URL+"/api/", fetch); got.header("Remote-User") != "alice" {
		t.Fatalf("the second instance does not know the session: %q", got.header("Remote-User"))
	}

	for round := 1; round <= 2; round++ {
		clock.Advance(intoRefreshWindow)
		start := time.Now()
		if failures := concurrentFetches(b, 50, a, bGw); len(failures) > 0 {
			t.Fatalf("round %d: %d of 50 failed:\n%s", round, len(failures), strings.Join(failures, "\n"))
		}
		t.Logf("round %d: 50 requests over two instances: %s", round, time.Since(start))
		if n, refused := op.Calls.Refreshes(), op.Calls.RefusedRefreshes(); n != round || refused != 0 {
			t.Fatalf("round %d: %d refreshes at the OP (%d refused), want %d (0)", round, n, refused, round)
		}
		id := b.sessionID(a)
		if ra, rb := a.h.store.Cached(id), bGw.h.store.Cached(id); ra == nil || rb == nil || ra.RefreshToken != rb.RefreshToken {
			t.Fatalf("round %d: the instances hold different refresh tokens", round)
		}
	}
}

// laggingStorage can answer Loads of a key with an older value, as a
// lagging replica would.
type laggingStorage struct {
	certmagic.Storage
	mu    sync.Mutex
	stale map[string][]byte
	times map[string]int
}

// serveStale makes the next n Loads of key return old.
func (l *laggingStorage) serveStale(key string, old []byte, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stale[key], l.times[key] = old, n
}

func (l *laggingStorage) Load(ctx context.Context, key string) ([]byte, error) {
	l.mu.Lock()
	old, n := l.stale[key], l.times[key]
	if n > 0 {
		l.times[key] = n - 1
	}
	l.mu.Unlock()
	if n > 0 {
		return old, nil
	}
	return l.Storage.Load(ctx, key)
}

// TestInvalidGrantReloadsBeforeGivingUp: when the record read under the
// lock is stale (its refresh token already rotated by another instance),
// the OP's invalid_grant is not the end: the gateway reloads, finds the
// rotated token and keeps the session.
// Real parts: zitadel example OP, file storage behind a lagging reader.
func TestInvalidGrantReloadsBeforeGivingUp(t *testing.T) {
	clock := oidcop.NewClock()
	op := oidcop.StartZitadel(t, oidcop.ZitadelOptions{Clock: clock})
	dir := t.TempDir()
	ev := &events{}
	a := startGateway(t, gatewayOptions{issuer: op.Issuer, clock: clock.Now, storageDir: dir})
	lagging := &laggingStorage{Storage: &certmagic.FileStorage{Path: dir}, stale: map[string][]byte{}, times: map[string]int{}}
	bGw := startGateway(t, gatewayOptions{issuer: op.Issuer, clock: clock.Now, storageDir: dir,
		configure: func(c *Config) { c.Storage, c.OnEvent = lagging, ev.record }})
	register(op, a, bGw)
	b := newBrowser(t)
	b.login(t, a, "/", alice)
	key := oidcstore.StorageKey(b.sessionID(a))
	beforeRotation, err := lagging.Storage.Load(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}

	clock.Advance(intoRefreshWindow)
	b.reach(t, a.URL+"/api/", fetch) // a rotates the refresh token and stores it
	// b reads the old record twice (its cache miss and its reload under
	// the lock), so it refreshes with the spent token.
	lagging.serveStale(key, beforeRotation, 2)

	if got := b.reach(t, bGw.URL+"/api/", fetch); got.header("Remote-User") != "alice" {
		t.Fatalf("the session was lost: NetBox saw %q", got.header("Remote-User"))
	}
	if n, refused := op.Calls.Refreshes(), op.Calls.RefusedRefreshes(); n != 2 || refused != 1 {
		t.Fatalf("%d refreshes, %d refused; want 2 and 1 (the spent token)", n, refused)
	}
	if ev.count("refresh/reused") != 1 || ev.count("refresh/ended") != 0 {
		t.Fatalf("events %v: want the rotated token reused, the session kept", ev.got)
	}
	if _, err := bGw.h.store.Reload(t.Context(), b.sessionID(a)); err != nil {
		t.Fatalf("the session was deleted: %v", err)
	}
}

// TestRevokedRefreshTokenEndsSession: once the IdP refuses the refresh
// token (invalid_grant), the session is over: a fetch gets the 401 JSON
// contract, a navigation goes to the IdP — silently first, then to its
// login form.
// Real parts: zitadel example OP.
func TestRevokedRefreshTokenEndsSession(t *testing.T) {
	ev := &events{}
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{configure: func(c *Config) { c.OnEvent = ev.record }})
	b := newBrowser(t)
	b.login(t, s.gw, "/", alice)
	id := b.sessionID(s.gw)

	s.op.EndUserSessions(alice.ID, testClientID)
	s.clock.Advance(intoRefreshWindow)
	page := s.gw.URL + "/plugins/hedgehog/fabrics/3/"
	resp, body := b.do(t, http.MethodPost, s.gw.URL+"/plugins/hedgehog/fabrics/3/sync/",
		http.Header{"Sec-Fetch-Mode": {"cors"}, "Referer": {page}, "Content-Type": {"application/json"}})
	c := decodeContract(t, resp, body, http.StatusUnauthorized)
	if c.Error != "authentication_required" || c.Redirect != "/.hhgate/oidc/login?rd=%2Fplugins%2Fhedgehog%2Ffabrics%2F3%2F" {
		t.Fatalf("contract %+v", c)
	}
	if _, err := s.gw.h.store.Reload(t.Context(), id); !errors.Is(err, oidcstore.ErrNotFound) {
		t.Fatalf("the ended session is still stored: %v", err)
	}
	if ev.count("refresh/ended") != 1 {
		t.Errorf("events %v", ev.got)
	}

	auth := b.toIdP(t, page)
	if !strings.Contains(auth, "prompt=none") {
		t.Fatalf("first attempt %q is not silent", auth)
	}
	cb := b.finishLogin(t, auth, alice) // the OP answers login_required; the gateway retries interactively
	if cb.Header.Get("Location") != "/plugins/hedgehog/fabrics/3/" || ev.count("login/prompt_none_fallback") != 1 {
		t.Fatalf("after re-login: %q, events %v", cb.Header.Get("Location"), ev.got)
	}
	if got := b.reach(t, page, navigation); got.header("Remote-User") != "alice" {
		t.Fatalf("new session: NetBox saw %q", got.header("Remote-User"))
	}
}

// TestExpiredRefreshTokenEndsSession: the same when the refresh token has
// run out.
// Real parts: zitadel example OP (refresh tokens valid for 10 minutes).
func TestExpiredRefreshTokenEndsSession(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{RefreshTTL: 10 * time.Minute}, gatewayOptions{})
	b := newBrowser(t)
	b.login(t, s.gw, "/", alice)
	s.clock.Advance(11 * time.Minute)

	resp, body := b.get(t, s.gw.URL+"/api/dcim/", fetch)
	decodeContract(t, resp, body, http.StatusUnauthorized)
	if s.op.Calls.RefusedRefreshes() != 1 {
		t.Fatalf("%d refused refreshes, want 1", s.op.Calls.RefusedRefreshes())
	}
	if auth := b.toIdP(t, s.gw.URL+"/dcim/"); !strings.HasPrefix(auth, s.op.Issuer+"/") {
		t.Fatalf("navigation ended at %q, want the IdP", auth)
	}
}

// TestIdPOutageKeepsSessionWhileTokensAreValid: a refresh that fails for a
// passing reason (here a 503) keeps the session until the tokens actually
// expire, does not hammer the IdP, and succeeds once the IdP is back.
// Meanwhile, with expired tokens, scripts get 503 idp_unavailable and
// navigations a page saying so — not "sign in again".
// Real parts: zitadel example OP.
func TestIdPOutageKeepsSessionWhileTokensAreValid(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	b := newBrowser(t)
	b.login(t, s.gw, "/", alice)
	s.op.SetOutage(true)
	if got := b.reach(t, s.gw.URL+"/api/", fetch); got.header("Remote-User") != "alice" {
		t.Fatalf("a session not due for renewal: NetBox saw %q during the outage", got.header("Remote-User"))
	}
	s.clock.Advance(intoRefreshWindow)

	for range 3 {
		if got := b.reach(t, s.gw.URL+"/api/", fetch); got.header("Remote-User") != "alice" {
			t.Fatalf("NetBox saw %q during the outage", got.header("Remote-User"))
		}
	}
	if n := s.op.Calls.Refreshes(); n != 1 {
		t.Fatalf("%d refresh attempts in the retry delay, want 1", n)
	}

	s.clock.Advance(time.Minute) // the access token has now expired
	resp, body := b.get(t, s.gw.URL+"/api/", fetch)
	if c := decodeContract(t, resp, body, http.StatusServiceUnavailable); c.Error != CodeIdPUnavailable {
		t.Fatalf("expired tokens during an outage: %+v, want %s", c, CodeIdPUnavailable)
	}
	resp, body = b.get(t, s.gw.URL+"/dcim/", navigation)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), "You are still signed in") || !strings.Contains(string(body), `href="/dcim/"`) {
		t.Fatalf("navigation: %d %q %.400s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if b.sessionID(s.gw) == "" {
		t.Fatal("the session cookie is gone")
	}

	s.op.SetOutage(false)
	s.clock.Advance(expiredRetryDelay)
	if got := b.reach(t, s.gw.URL+"/api/", fetch); got.header("Remote-User") != "alice" {
		t.Fatalf("after the outage NetBox saw %q", got.header("Remote-User"))
	}
}

func TestIsRefusal(t *testing.T) {
	retrieve := func(status int, code string) error {
		return &oauth2.RetrieveError{Response: &http.Response{StatusCode: status}, ErrorCode: code}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"invalid_grant", retrieve(400, "invalid_grant"), true},
		{"invalid_request 401 (mockoidc's expired token)", retrieve(401, "invalid_request"), true},
		{"invalid_client", retrieve(401, "invalid_client"), true},
		{"server error", retrieve(503, ""), false},
		{"rate limited", retrieve(429, ""), false},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false},
		{"timeout", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isRefusal(fmt.Errorf("refresh: %w", tt.err)); got != tt.want {
				t.Errorf("isRefusal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRefreshAt(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		expiry time.Time
		margin time.Duration
		want   time.Time
	}{
		{"margin before expiry", now.Add(5 * time.Minute), time.Minute, now.Add(4 * time.Minute)},
		{"short-lived token: halfway", now.Add(30 * time.Second), time.Minute, now.Add(15 * time.Second)},
		{"already expired: now", now.Add(-time.Second), time.Minute, now},
	}
	for _, tt := range tests {
		if got := refreshAt(now, tt.expiry, tt.margin); !got.Equal(tt.want) {
			t.Errorf("%s: refreshAt = %v, want %v", tt.name, got, tt.want)
		}
	}
}
