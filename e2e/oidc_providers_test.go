//go:build e2e

package e2e

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/oidcop"
)

// logoutBound is the documented time within which a logout on one gateway
// takes effect on every gateway sharing the storage (docs/sso.md).
const logoutBound = 5 * time.Second

// remoteAuthNetBox is the Django stand-in trusting the gateway's headers.
func remoteAuthNetBox(t *testing.T) *testenv.NetBox {
	t.Helper()
	return testenv.StartNetBox(t, testenv.NetBoxOptions{Env: map[string]string{
		"REMOTE_AUTH_ENABLED": "1", "REMOTE_AUTH_AUTO_CREATE_USER": "1", "LOGIN_TIMEOUT": "86400",
	}})
}

// signIn navigates to page on the gateway in a fresh browser session,
// follows the redirects to the IdP, signs in there (mockoidc asks nothing)
// and comes back. It returns the session and the IdP's authorization URL.
func signIn(t *testing.T, gatewayURL, issuer, page string, user oidcop.User) (*testenv.Session, *url.URL) {
	t.Helper()
	sess := testenv.NewSession(gatewayURL)
	next := gatewayURL + page
	for hop := 0; hop < 4; hop++ {
		resp, err := sess.Client.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("GET %s: %d, want a redirect towards the IdP", next, resp.StatusCode)
		}
		loc, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if !strings.HasPrefix(loc.String(), issuer+"/") {
			next = loc.String()
			continue
		}
		callback, err := oidcop.FollowLogin(sess.Client, loc.String(), user.Username, user.Password)
		if err != nil {
			t.Fatal(err)
		}
		resp, err = sess.Client.Get(callback)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != page {
			t.Fatalf("callback: %d Location %q, want %s", resp.StatusCode, resp.Header.Get("Location"), page)
		}
		return sess, loc
	}
	t.Fatalf("GET %s: no redirect to the IdP", page)
	return nil, nil
}

// fetchAs is a page's fetch() through the gateway: the status, the body
// and the user NetBox saw.
func fetchAs(t *testing.T, sess *testenv.Session, path string) (*http.Response, []byte, string) {
	t.Helper()
	res, body := sess.Do(t, http.MethodGet, path, http.Header{"Sec-Fetch-Mode": {"cors"}, "Accept": {"application/json"}}, nil)
	return res, body, res.Header.Get("X-Standin-User")
}

// TestSSOProviderWithoutOfflineAccessAndPostOnly: mockoidc does not list
// offline_access in scopes_supported (asking for it is invalid_scope) and
// takes the client only from the POST body although its discovery lists
// client_secret_basic. With the drop-in Caddyfile as shipped (HHGATE_SSO=on), users sign in: the
// login asks no offline_access, and the code exchange falls back from
// Basic to the body once.
// Real parts: mockoidc in-process, Django stand-in in remote-auth mode,
// hhgate binary with the drop-in Caddyfile (HHGATE_SSO=on).
func TestSSOProviderWithoutOfflineAccessAndPostOnly(t *testing.T) {
	carol := &mockoidc.MockUser{Subject: "carol-1", PreferredUsername: "carol", Email: "carol@example.com", EmailVerified: true}
	m := oidcop.StartMock(t, oidcop.MockOptions{Users: []*mockoidc.MockUser{carol}})
	nb := remoteAuthNetBox(t)
	env := ssoEnv(m.Issuer())
	env["HHGATE_OIDC_CLIENT_ID"], env["HHGATE_OIDC_CLIENT_SECRET"] = m.ClientID, m.ClientSecret
	env["XDG_DATA_HOME"] = t.TempDir()
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Caddyfile: ssoCaddyfile(t), Upstream: nb.Addr, Env: env})

	sess, auth := signIn(t, gw.URL, m.Issuer(), "/dcim/", oidcop.User{})
	if scope := auth.Query().Get("scope"); scope != "openid profile email" {
		t.Fatalf("the login asked for %q, want the defaults without offline_access", scope)
	}
	if res, body, user := fetchAs(t, sess, "/api/"); res.StatusCode != http.StatusOK || user != "carol" {
		t.Fatalf("after the login: %d as %q: %.200s", res.StatusCode, user, body)
	}
	if codes, refused := m.Calls.Codes(), m.Calls.RefusedCodes(); codes != 2 || refused != 1 {
		t.Fatalf("%d code exchanges (%d refused), want 2 (1): Basic refused, then the body", codes, refused)
	}
}

// runValidate runs `hhgate validate --config Caddyfile` with the SSO
// environment and issuer, and returns its output, how long it took and
// its error.
func runValidate(t *testing.T, issuer string) ([]byte, time.Duration, error) {
	t.Helper()
	bin, err := testenv.GatewayBinary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "validate", "--config", ssoCaddyfile(t), "--adapter", "caddyfile")
	cmd.Env = append(testenv.InheritedEnv(), "NETBOX_STATIC_ROOT=off", "HHGATE_ADMIN=off", "HHGATE_LISTEN=127.0.0.1:1", "XDG_DATA_HOME="+t.TempDir())
	for k, v := range ssoEnv(issuer) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	start := time.Now()
	out, err := cmd.CombinedOutput()
	return out, time.Since(start), err
}

// TestSSOValidateWithTheIdPDown: `hhgate validate --config Caddyfile`
// passes whether the IdP refuses connections or accepts them and never
// answers, and does not wait for it: the module does no network I/O while
// the configuration loads (it used to wait up to 3 s for discovery).
// Real parts: hhgate binary, a TCP listener that never answers.
func TestSSOValidateWithTheIdPDown(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for _, idp := range []struct{ name, issuer string }{
		{"connection refused", "http://" + testenv.ClosedAddr(t)},
		{"never answers", "http://" + silent.Addr().String()},
	} {
		t.Run(idp.name, func(t *testing.T) {
			out, took, err := runValidate(t, idp.issuer)
			t.Logf("hhgate validate took %s", took)
			if err != nil || !strings.Contains(string(out), "Valid configuration") {
				t.Fatalf("validate: %v\n%s", err, out)
			}
			if took > 2500*time.Millisecond {
				t.Errorf("validate took %s: it waited for the IdP", took)
			}
			if strings.Contains(string(out), ssoClientSecret) {
				t.Fatalf("output shows the client secret:\n%s", out)
			}
		})
	}
}

// TestSSOIdPDownExpiredTokensGet503: with the IdP down, a session that needs
// no renewal keeps working, one whose tokens have expired gets 503
// idp_unavailable (JSON for a fetch, a clear page for a navigation) and
// not "sign in again", and once the IdP is back the same session is
// renewed. Tokens live 10 s on the real clock (renewal due after 5 s).
// Real parts: zitadel example OP, Django stand-in in remote-auth mode,
// hhgate binary with the drop-in Caddyfile (HHGATE_SSO=on).
func TestSSOIdPDownExpiredTokensGet503(t *testing.T) {
	const tokenTTL = 10 * time.Second
	op := oidcop.StartZitadel(t, oidcop.ZitadelOptions{AccessTTL: tokenTTL, IDTokenTTL: tokenTTL})
	nb := remoteAuthNetBox(t)
	env := ssoEnv(op.Issuer)
	env["XDG_DATA_HOME"] = t.TempDir()
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Caddyfile: ssoCaddyfile(t), Upstream: nb.Addr, Env: env})
	op.RegisterClient(oidcop.Client{ID: ssoClientID, Secret: ssoClientSecret, RedirectURIs: []string{gw.URL + "/.hhgate/oidc/callback"}})
	sess, _ := signIn(t, gw.URL, op.Issuer, "/", ssoUser)
	issued := time.Now()

	op.SetOutage(true)
	res, body, user := fetchAs(t, sess, "/api/")
	if time.Since(issued) < tokenTTL/2 && (res.StatusCode != http.StatusOK || user != ssoUser.Username) {
		t.Fatalf("a session not due for renewal during the outage: %d as %q: %.200s", res.StatusCode, user, body)
	}
	// Poll until the answer changes: 200 while the tokens are valid (the
	// failed renewals keep the session), then 503.
	for res.StatusCode == http.StatusOK {
		if time.Since(issued) > 3*tokenTTL {
			t.Fatalf("still 200 %s after the login with the IdP down", time.Since(issued))
		}
		time.Sleep(100 * time.Millisecond) // polling a condition, bounded above
		res, body, _ = fetchAs(t, sess, "/api/")
	}
	t.Logf("503 after %s (tokens valid for %s)", time.Since(issued).Round(time.Millisecond), tokenTTL)
	if c := decodeContract(t, res, body); res.StatusCode != http.StatusServiceUnavailable || c.Error != "idp_unavailable" {
		t.Fatalf("expired tokens, IdP down: %d %+v, want 503 idp_unavailable", res.StatusCode, c)
	}
	res, body = sess.Do(t, http.MethodGet, "/dcim/", http.Header{"Sec-Fetch-Mode": {"navigate"}, "Sec-Fetch-Dest": {"document"}}, nil)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), "You are still signed in") {
		t.Fatalf("navigation: %d %q %.300s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}

	op.SetOutage(false)
	back := time.Now()
	for {
		res, body, user = fetchAs(t, sess, "/api/")
		if res.StatusCode == http.StatusOK {
			break
		}
		if res.StatusCode != http.StatusServiceUnavailable || time.Since(back) > 10*time.Second {
			t.Fatalf("after the outage: %d %.200s", res.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond) // polling a condition, bounded above
	}
	if user != ssoUser.Username || op.Calls.Refreshes() == 0 {
		t.Fatalf("after the outage: as %q, %d refreshes", user, op.Calls.Refreshes())
	}
	t.Logf("renewed %s after the IdP came back", time.Since(back).Round(time.Millisecond))
}

// TestSSOLogoutReachesASecondGateway: two gateway processes share one
// file_system storage directory; a browser signed in on the first is known
// to the second; after a logout on the first, the second answers the same
// session cookie with 401 within the documented bound.
// Real parts: zitadel example OP, Django stand-in in remote-auth mode, two
// hhgate processes with the drop-in Caddyfile (HHGATE_SSO=on) and one storage directory.
func TestSSOLogoutReachesASecondGateway(t *testing.T) {
	op := oidcop.StartZitadel(t, oidcop.ZitadelOptions{})
	nb := remoteAuthNetBox(t)
	env := ssoEnv(op.Issuer)
	env["XDG_DATA_HOME"] = t.TempDir() // one storage for both
	first := testenv.StartGateway(t, testenv.GatewayOptions{Caddyfile: ssoCaddyfile(t), Upstream: nb.Addr, Env: env})
	second := testenv.StartGateway(t, testenv.GatewayOptions{Caddyfile: ssoCaddyfile(t), Upstream: nb.Addr, Env: env})
	op.RegisterClient(oidcop.Client{
		ID: ssoClientID, Secret: ssoClientSecret,
		RedirectURIs:           []string{first.URL + "/.hhgate/oidc/callback"},
		PostLogoutRedirectURIs: []string{first.URL + "/"},
	})
	sess, _ := signIn(t, first.URL, op.Issuer, "/", ssoUser)

	// The same browser on the second gateway: only the gateway's cookie.
	other := testenv.NewSession(second.URL)
	secondURL, _ := url.Parse(second.URL)
	other.Client.Jar.SetCookies(secondURL, []*http.Cookie{{Name: "hhgate_session", Value: sess.Cookie("hhgate_session"), Path: "/"}})
	for range 3 { // the second gateway now holds the session in memory
		if res, body, user := fetchAs(t, other, "/api/"); res.StatusCode != http.StatusOK || user != ssoUser.Username {
			t.Fatalf("second gateway before the logout: %d as %q: %.200s", res.StatusCode, user, body)
		}
	}

	res, _ := sess.Get(t, "/logout/")
	loggedOut := time.Now()
	if res.StatusCode != http.StatusFound || sess.Cookie("hhgate_session") != "" {
		t.Fatalf("logout on the first gateway: %d, cookie left %v", res.StatusCode, sess.Cookie("hhgate_session") != "")
	}
	for {
		res, body, user := fetchAs(t, other, "/api/")
		if res.StatusCode == http.StatusUnauthorized {
			if c := decodeContract(t, res, body); c.Error != "authentication_required" {
				t.Fatalf("second gateway after the logout: %+v", c)
			}
			break
		}
		if res.StatusCode != http.StatusOK || user != ssoUser.Username {
			t.Fatalf("second gateway after the logout: %d as %q: %.200s", res.StatusCode, user, body)
		}
		if time.Since(loggedOut) > logoutBound {
			t.Fatalf("the second gateway still serves the session %s after the logout (bound %s)", time.Since(loggedOut), logoutBound)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, bounded above
	}
	t.Logf("logout reached the second gateway after %s (bound %s)", time.Since(loggedOut).Round(time.Millisecond), logoutBound)
}
