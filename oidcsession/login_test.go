package oidcsession

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hhgate/hhgate/testenv/oidcop"
)

// TestLoginThroughCallback: a navigation without a session goes to the IdP
// (authorization code flow with PKCE S256, state and nonce), the user signs
// in on the IdP's HTML form, the callback starts a session and returns to
// the page, and NetBox then sees the identity.
// Real parts: zitadel example OP.
func TestLoginThroughCallback(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	b := newBrowser(t)

	resp, _ := b.get(t, s.gw.URL+"/dcim/devices/?q=leaf", navigation)
	if want := LoginPath + "?rd=%2Fdcim%2Fdevices%2F%3Fq%3Dleaf"; resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Fatalf("%d %q, want 302 to %s", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	auth, err := url.Parse(b.toIdP(t, s.gw.URL+resp.Header.Get("Location")))
	if err != nil || !strings.HasPrefix(auth.String(), s.op.Issuer+"/") {
		t.Fatalf("Location %q is not the IdP", auth)
	}
	q := auth.Query()
	for _, p := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(p)) < 43 {
			t.Errorf("%s = %q: want at least 256 bits", p, q.Get(p))
		}
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" || q.Get("client_id") != testClientID ||
		q.Get("redirect_uri") != s.gw.URL+CallbackPath || q.Get("prompt") != "" {
		t.Errorf("authorization request %v", q)
	}
	if q.Get("scope") != "openid profile email offline_access" {
		t.Errorf("scope %q", q.Get("scope"))
	}

	cb := b.finishLogin(t, auth.String(), alice)
	if loc := cb.Header.Get("Location"); loc != "/dcim/devices/?q=leaf" {
		t.Fatalf("after the callback: Location %q, want the page", loc)
	}
	var sessionCookie *http.Cookie
	for _, c := range cb.Cookies() {
		if c.Name == DefaultCookieName {
			sessionCookie = c
		}
	}
	if sessionCookie == nil || !sessionCookie.HttpOnly || sessionCookie.SameSite != http.SameSiteLaxMode || sessionCookie.Path != "/" || sessionCookie.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", sessionCookie)
	}
	if n := len(b.cookieNames(s.gw.URL+CallbackPath, pendingCookiePrefix)); n != 0 {
		t.Errorf("%d pending-login cookies left after the callback", n)
	}

	got := b.reach(t, s.gw.URL+"/dcim/devices/", navigation)
	want := map[string]string{
		"Remote-User": "alice", "Remote-User-Email": "alice@example.com", "Remote-User-First-Name": "Alice",
		"Remote-User-Last-Name": "Liddell", "Remote-User-Group": "netbox-admins|noc",
	}
	for k, v := range want {
		if got.header(k) != v {
			t.Errorf("NetBox saw %s = %q, want %q", k, got.header(k), v)
		}
	}
	if c := got.header("Cookie"); strings.Contains(c, "hhgate") {
		t.Errorf("the gateway's cookie reached NetBox: %q", c)
	}
	if n := s.op.Calls.Codes(); n != 1 {
		t.Errorf("%d code exchanges, want 1", n)
	}
}

// TestNetBoxLoginPageIsTakenOver: NetBox's /login/?next=… starts the SSO
// login and comes back to next.
// Real parts: zitadel example OP.
func TestNetBoxLoginPageIsTakenOver(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	b := newBrowser(t)
	cb := b.login(t, s.gw, "/login/?next=/ipam/prefixes/", alice)
	if loc := cb.Header.Get("Location"); loc != "/ipam/prefixes/" {
		t.Fatalf("Location %q, want next", loc)
	}
	for _, r := range s.gw.upstream.requests() {
		if r.Path == "/login/" {
			t.Fatal("NetBox's login page was served")
		}
	}
}

// TestUnauthenticatedAnswers: scripts get the guard's 401 contract pointing
// at the gateway's login, htmx also an HX-Redirect; navigations go to the
// IdP; nothing reaches NetBox.
// Real parts: zitadel example OP.
func TestUnauthenticatedAnswers(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	page := s.gw.URL + "/plugins/hedgehog/fabrics/7/"
	tests := []struct {
		name         string
		method, path string
		header       http.Header
		wantRedirect string
		wantHX       bool
	}{
		{"fetch from a page", http.MethodPost, "/plugins/hedgehog/fabrics/7/sync/",
			http.Header{"Sec-Fetch-Mode": {"cors"}, "Referer": {page}, "Content-Type": {"application/json"}},
			"/.hhgate/oidc/login?rd=%2Fplugins%2Fhedgehog%2Ffabrics%2F7%2F", false},
		{"API without a token", http.MethodGet, "/api/dcim/devices/", nil,
			"/.hhgate/oidc/login?rd=%2Fapi%2Fdcim%2Fdevices%2F", false},
		{"htmx", http.MethodGet, "/dcim/devices/?page=2", http.Header{"Hx-Request": {"true"}, "Hx-Current-Url": {page}},
			"/.hhgate/oidc/login?rd=%2Fplugins%2Fhedgehog%2Ffabrics%2F7%2F", true},
		{"boosted htmx navigation", http.MethodGet, "/dcim/devices/", http.Header{"Hx-Request": {"true"}, "Hx-Boosted": {"true"}},
			"/.hhgate/oidc/login?rd=%2Fdcim%2Fdevices%2F", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := newBrowser(t).do(t, tt.method, s.gw.URL+tt.path, tt.header)
			c := decodeContract(t, resp, body, http.StatusUnauthorized)
			if c.Error != "authentication_required" || c.Redirect != tt.wantRedirect {
				t.Errorf("contract %+v, want redirect %q", c, tt.wantRedirect)
			}
			if hx := resp.Header.Get("HX-Redirect"); (hx != "") != tt.wantHX || (tt.wantHX && hx != tt.wantRedirect) {
				t.Errorf("HX-Redirect %q", hx)
			}
		})
	}
	t.Run("navigation", func(t *testing.T) {
		if auth := newBrowser(t).toIdP(t, s.gw.URL+"/dcim/devices/"); !strings.HasPrefix(auth, s.op.Issuer+"/") {
			t.Fatalf("navigation ended at %q, want the IdP", auth)
		}
	})
	if n := len(s.gw.upstream.requests()); n != 0 {
		t.Fatalf("%d unauthenticated requests reached NetBox", n)
	}
}

// TestReturnPathsNeverLeaveTheSite: every rd vector ends on this site after
// a complete login.
// Real parts: zitadel example OP.
func TestReturnPathsNeverLeaveTheSite(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	for _, rd := range []string{
		"//evil.example", `/\evil.example`, "https:evil.example", "https://evil.example/x",
		"%2F%2Fevil.example", "%252F%252Fevil.example", "/%0d%0aSet-Cookie:x=1", "/ok\r\nLocation: //evil.example",
	} {
		t.Run(rd, func(t *testing.T) {
			b := newBrowser(t)
			cb := b.finishLogin(t, b.toIdP(t, s.gw.URL+LoginPath+"?rd="+url.QueryEscape(rd)), alice)
			loc := cb.Header.Get("Location")
			if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\\\r\n") {
				t.Fatalf("rd %q ended on %q", rd, loc)
			}
			if u, err := url.Parse(loc); err != nil || u.Host != "" {
				t.Fatalf("rd %q ended on %q", rd, loc)
			}
		})
	}
}

// TestCallbackRefusals: unknown states, replayed callbacks and codes, and
// a nonce that is not this login's all end on a clear page, without a
// session.
// Real parts: zitadel example OP.
func TestCallbackRefusals(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})

	wantRefusal := func(t *testing.T, b *browser, callback, wantText string) {
		t.Helper()
		resp, body := b.get(t, callback, navigation)
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(body), wantText) || !strings.Contains(string(body), `href="/.hhgate/oidc/login`) {
			t.Fatalf("%d %q: %.400s; want a 400 page saying %q with a sign-in link", resp.StatusCode, resp.Header.Get("Content-Type"), body, wantText)
		}
		for _, c := range resp.Cookies() {
			if c.Name == DefaultCookieName && c.MaxAge >= 0 {
				t.Fatal("a refused callback set a session cookie")
			}
		}
	}

	t.Run("unknown state", func(t *testing.T) {
		wantRefusal(t, newBrowser(t), s.gw.URL+CallbackPath+"?state=forged&code=anything", "not valid")
	})
	t.Run("callback replayed", func(t *testing.T) {
		b := newBrowser(t)
		callback, err := oidcop.FollowLogin(b.client, b.toIdP(t, s.gw.URL+"/"), alice.Username, alice.Password)
		if err != nil {
			t.Fatal(err)
		}
		if resp, _ := b.get(t, callback, navigation); resp.StatusCode != http.StatusFound {
			t.Fatalf("first callback: %d", resp.StatusCode)
		}
		wantRefusal(t, newBrowser(t), callback, "not valid") // another browser
		wantRefusal(t, b, callback, "not valid")             // the same one: its state is spent
	})
	t.Run("code replayed with the state cookie copied", func(t *testing.T) {
		b := newBrowser(t)
		callback, err := oidcop.FollowLogin(b.client, b.toIdP(t, s.gw.URL+"/"), alice.Username, alice.Password)
		if err != nil {
			t.Fatal(err)
		}
		cbURL, _ := url.Parse(callback)
		stolen := b.client.Jar.Cookies(cbURL)
		if resp, _ := b.get(t, callback, navigation); resp.StatusCode != http.StatusFound {
			t.Fatalf("first callback: %d", resp.StatusCode)
		}
		attacker := newBrowser(t)
		attacker.client.Jar.SetCookies(cbURL, stolen)
		wantRefusal(t, attacker, callback, "did not accept")
	})
	t.Run("nonce of another login", func(t *testing.T) {
		b := newBrowser(t)
		auth, _ := url.Parse(b.toIdP(t, s.gw.URL+"/"))
		q := auth.Query()
		q.Set("nonce", "nonce-of-an-attacker-chosen-login-0000000000000")
		auth.RawQuery = q.Encode()
		callback, err := oidcop.FollowLogin(b.client, auth.String(), alice.Username, alice.Password)
		if err != nil {
			t.Fatal(err)
		}
		wantRefusal(t, b, callback, "does not belong to this sign-in")
	})
	t.Run("error from the IdP", func(t *testing.T) {
		b := newBrowser(t)
		auth, _ := url.Parse(b.toIdP(t, s.gw.URL+"/"))
		state := auth.Query().Get("state")
		resp, body := b.get(t, s.gw.URL+CallbackPath+"?state="+state+"&error=access_denied&error_description=%3Cscript%3E", navigation)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "access_denied") || strings.Contains(string(body), "<script>") {
			t.Fatalf("%d: %.400s", resp.StatusCode, body)
		}
	})
	if n := len(s.gw.upstream.requests()); n != 0 {
		t.Fatalf("%d requests reached NetBox", n)
	}
}

// TestPendingLoginCookiesAreBounded: tabs that keep starting logins leave
// at most maxPendingLogins state cookies; the newest logins still finish.
// Real parts: zitadel example OP.
func TestPendingLoginCookiesAreBounded(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	b := newBrowser(t)
	var authURLs []string
	for range 3 * maxPendingLogins {
		resp, _ := b.get(t, s.gw.URL+LoginPath+"?rd=/dcim/", navigation)
		authURLs = append(authURLs, resp.Header.Get("Location"))
		for _, c := range resp.Cookies() {
			if strings.HasPrefix(c.Name, pendingCookiePrefix) && c.MaxAge > 0 &&
				(!c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != pendingCookiePath || c.MaxAge > int(pendingLoginTTL.Seconds())) {
				t.Fatalf("pending-login cookie %+v", c)
			}
		}
		if n := len(b.cookieNames(s.gw.URL+CallbackPath, pendingCookiePrefix)); n > maxPendingLogins {
			t.Fatalf("%d pending-login cookies, want at most %d", n, maxPendingLogins)
		}
	}
	if n := len(b.cookieNames(s.gw.URL+"/dcim/", pendingCookiePrefix)); n != 0 {
		t.Errorf("%d pending-login cookies are sent to NetBox pages", n)
	}
	oldest, err := oidcop.FollowLogin(b.client, authURLs[0], alice.Username, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.get(t, oldest, navigation); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the oldest, dropped login: %d, want 400", resp.StatusCode)
	}
	newest := b.finishLogin(t, authURLs[len(authURLs)-1], alice)
	if newest.Header.Get("Location") != "/dcim/" {
		t.Errorf("the newest login ended on %q", newest.Header.Get("Location"))
	}
}

// TestForeignOrTamperedSessionCookieIsNoSession.
// Real parts: zitadel example OP.
func TestForeignOrTamperedSessionCookieIsNoSession(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	b := newBrowser(t)
	b.login(t, s.gw, "/", alice)
	id := b.sessionID(s.gw)
	otherKey := "0000000000000000000000000000000000000000000000000000000000000001"
	foreign := startGateway(t, gatewayOptions{issuer: s.op.Issuer, clock: s.clock.Now, storageDir: s.gw.storageDir, keys: []string{otherKey}})

	tampered := []byte(id)
	tampered[10] ^= 0x01
	tests := []struct {
		name string
		gw   *testGateway
		id   string
	}{
		{"tampered id", s.gw, string(tampered)},
		{"random id", s.gw, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"malformed id", s.gw, "../../etc/passwd"},
		{"session of a gateway with other keys", foreign, id},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tt.gw.URL+"/api/dcim/", nil)
			req.AddCookie(&http.Cookie{Name: DefaultCookieName, Value: tt.id})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
		})
	}
	if got := b.reach(t, s.gw.URL+"/api/dcim/", fetch); got.header("Remote-User") != "alice" {
		t.Fatalf("the real session stopped working: %q", got.header("Remote-User"))
	}
}
