//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/oidcop"
)

const (
	ssoClientID     = "hhgate-e2e"
	ssoClientSecret = "hhgate-e2e-secret"
	apiUser         = "robot"
	apiToken        = "fedcba9876543210fedcba9876543210fedcba98"
)

var ssoUser = oidcop.DefaultUser // alice, groups netbox-admins and noc

// ssoStack is the in-process OIDC provider, the Django stand-in in
// remote-auth mode, and the built gateway with the drop-in Caddyfile (HHGATE_SSO=on) between them.
type ssoStack struct {
	op       *oidcop.Zitadel
	netbox   *testenv.NetBox
	gateway  *testenv.Gateway
	fabricID int
}

func ssoEnv(issuer string) map[string]string {
	return map[string]string{
		"HHGATE_SSO":                  "on",
		"HHGATE_OIDC_ISSUER":          issuer,
		"HHGATE_OIDC_CLIENT_ID":       ssoClientID,
		"HHGATE_OIDC_CLIENT_SECRET":   ssoClientSecret,
		"HHGATE_SESSION_KEY":          base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32)),
		"HHGATE_SESSION_KEY_PREVIOUS": "",
		"HHGATE_OIDC_POST_LOGOUT_URL": "/",
	}
}

func ssoCaddyfile(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "Caddyfile") // with ssoEnv's HHGATE_SSO=on
}

func startSSOStack(t *testing.T) *ssoStack {
	t.Helper()
	op := oidcop.StartZitadel(t, oidcop.ZitadelOptions{})
	nb := testenv.StartNetBox(t, testenv.NetBoxOptions{Env: map[string]string{
		"REMOTE_AUTH_ENABLED":            "1",
		"REMOTE_AUTH_AUTO_CREATE_USER":   "1",
		"REMOTE_AUTH_GROUP_SYNC_ENABLED": "1",
		"REMOTE_AUTH_AUTO_CREATE_GROUPS": "1",
		"REMOTE_AUTH_SUPERUSER_GROUPS":   "netbox-admins",
		"LOGIN_TIMEOUT":                  "86400",
	}})
	nb.CreateUser(t, testenv.User{Username: apiUser, Superuser: true, Token: apiToken})
	id := nb.CreateFabric(t, map[string]any{"name": "fab-sso", "connection_status": "connected"})
	env := ssoEnv(op.Issuer)
	env["XDG_DATA_HOME"] = t.TempDir() // Caddy's storage: the sessions
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Caddyfile: ssoCaddyfile(t), Upstream: nb.Addr, Env: env})
	op.RegisterClient(oidcop.Client{
		ID: ssoClientID, Secret: ssoClientSecret,
		RedirectURIs:           []string{gw.URL + "/.hhgate/oidc/callback"},
		PostLogoutRedirectURIs: []string{gw.URL + "/"},
	})
	return &ssoStack{op: op, netbox: nb, gateway: gw, fabricID: id}
}

func (s *ssoStack) fabricPage() string {
	return fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", s.fabricID)
}

func (s *ssoStack) syncPath() string {
	return s.fabricPage() + "sync/"
}

// login opens page in a fresh browser session: the gateway sends it to
// the IdP, the user signs in on the IdP's form, and the page opens with
// the identity NetBox got from the gateway. The session's CSRFToken is the
// page's.
func (s *ssoStack) login(t *testing.T, page string) *testenv.Session {
	t.Helper()
	sess := testenv.NewSession(s.gateway.URL)
	next := s.gateway.URL + page
	for hop := 0; ; hop++ {
		resp, err := sess.Client.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || hop > 3 {
			t.Fatalf("GET %s: %d, want a redirect towards the IdP", next, resp.StatusCode)
		}
		loc, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if strings.HasPrefix(loc.String(), s.op.Issuer+"/") {
			callback, err := oidcop.FollowLogin(sess.Client, loc.String(), ssoUser.Username, ssoUser.Password)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := sess.Client.Get(callback)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != page {
				t.Fatalf("callback: %d Location %q, want %s", resp.StatusCode, resp.Header.Get("Location"), page)
			}
			break
		}
		next = loc.String()
	}
	resp, body := sess.Get(t, page)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Standin-User") != ssoUser.Username {
		t.Fatalf("GET %s after login: %d as %q: %.300s", page, resp.StatusCode, resp.Header.Get("X-Standin-User"), body)
	}
	sess.CSRFToken = sess.PageCSRFToken(t, page)
	return sess
}

// TestOIDCNetBoxSessionExpiryIsInvisible is the core UX win: NetBox's
// session lapses while the gateway session lives; the plugin's sync fetch
// from the open page still succeeds (NetBox silently logs the user back in
// from the gateway's headers), and no redirect reaches the browser. The
// re-login rotated NetBox's CSRF token, so the page's next unsafe request
// gets the guard's 403 csrf_failed JSON, never Django's HTML page.
// Real parts: zitadel example OP (in-process), Django stand-in in
// remote-auth mode, hhgate binary with the drop-in Caddyfile (HHGATE_SSO=on).
func TestOIDCNetBoxSessionExpiryIsInvisible(t *testing.T) {
	s := startSSOStack(t)
	sess := s.login(t, s.fabricPage())
	pageToken := sess.CSRFToken
	oldCSRFCookie := sess.Cookie("csrftoken")

	s.netbox.ExpireSessions(t, ssoUser.Username)
	header := merge(http.Header{"X-Csrftoken": {pageToken}, "Content-Type": {"application/json"}}, browserFetch(s.gateway.URL, s.fabricPage()))
	res, body := sess.Do(t, http.MethodPost, s.syncPath(), header, nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Location") != "" {
		t.Fatalf("sync after NetBox's session expired: %d Location %q: %.300s", res.StatusCode, res.Header.Get("Location"), body)
	}
	var answer map[string]any
	if err := json.Unmarshal(body, &answer); err != nil || answer["success"] != true {
		t.Fatalf("sync answer %s (%v)", body, err)
	}
	if u := res.Header.Get("X-Standin-User"); u != ssoUser.Username {
		t.Fatalf("NetBox served the sync as %q, want %q", u, ssoUser.Username)
	}
	if sess.Cookie("csrftoken") == oldCSRFCookie {
		t.Fatal("precondition: NetBox's silent re-login did not rotate the CSRF token")
	}

	res, body = sess.Do(t, http.MethodPost, s.syncPath(), header, nil)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("the old page token: %d, want 403: %.300s", res.StatusCode, body)
	}
	if c := decodeContract(t, res, body); c.Error != "csrf_failed" || c.Redirect != s.fabricPage() {
		t.Fatalf("answer %+v, want csrf_failed redirecting to the page", c)
	}
}

// TestOIDCSpoofedIdentityHeadersNeverReachNetBox: a client-sent
// Remote-User (any spelling) never reaches Django: not without a gateway
// session (a public path, an API token), not with one. Django would log in
// whoever the header names, creating a session; the session count proves
// it did not.
// Real parts: zitadel example OP, Django stand-in in remote-auth mode,
// hhgate binary with the drop-in Caddyfile (HHGATE_SSO=on).
func TestOIDCSpoofedIdentityHeadersNeverReachNetBox(t *testing.T) {
	s := startSSOStack(t)
	sess := s.login(t, "/")
	variants := []string{"Remote-User", "remote-user", "REMOTE-USER", "Remote_User", "REMOTE_USER"}

	send := func(t *testing.T, client *http.Client, path, key string, extra http.Header) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.gateway.URL+path, nil)
		req.Header[key] = []string{"mallory"} // the raw key, as written
		req.Header["Remote-User-Group"] = []string{"netbox-admins"}
		for k, v := range extra {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	anonymous := testenv.NewSession(s.gateway.URL).Client
	// A browser holding only the gateway's cookie: with NetBox's session
	// cookie Django would take the user from its session instead.
	gatewayOnly := testenv.NewSession(s.gateway.URL)
	gwURL, _ := url.Parse(s.gateway.URL)
	gatewayOnly.Client.Jar.SetCookies(gwURL, []*http.Cookie{{Name: "hhgate_session", Value: sess.Cookie("hhgate_session"), Path: "/"}})
	for _, key := range variants {
		t.Run(key, func(t *testing.T) {
			before := s.netbox.SessionCount(t)
			tests := []struct {
				name     string
				client   *http.Client
				path     string
				extra    http.Header
				wantUser string
			}{
				{"no session, public path", anonymous, "/static/htmx.min.js", nil, ""},
				{"no session, API token", anonymous, "/api/", http.Header{"Authorization": {"Token " + apiToken}}, apiUser},
				{"gateway session", sess.Client, "/", nil, ssoUser.Username},
				{"gateway session and API token", gatewayOnly.Client, "/api/", http.Header{"Authorization": {"Token " + apiToken}}, apiUser},
			}
			for _, tt := range tests {
				resp := send(t, tt.client, tt.path, key, tt.extra)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Standin-User") != tt.wantUser {
					t.Errorf("%s: %d as %q, want 200 as %q", tt.name, resp.StatusCode, resp.Header.Get("X-Standin-User"), tt.wantUser)
				}
			}
			if after := s.netbox.SessionCount(t); after != before {
				t.Errorf("Django created %d sessions: a spoofed header got through", after-before)
			}
		})
	}
}

// TestOIDCLogoutEndsBothSessions: NetBox's /logout/ ends the gateway
// session and NetBox's (without NetBox logging the user straight back in)
// and sends the browser to the IdP's end_session_endpoint, which returns it
// to the site, where it must sign in again.
// Real parts: zitadel example OP, Django stand-in in remote-auth mode,
// hhgate binary with the drop-in Caddyfile (HHGATE_SSO=on).
func TestOIDCLogoutEndsBothSessions(t *testing.T) {
	s := startSSOStack(t)
	sess := s.login(t, "/")
	if sess.Cookie("sessionid") == "" {
		t.Fatal("precondition: no NetBox session")
	}
	sessions := s.netbox.SessionCount(t)

	res, _ := sess.Get(t, "/logout/")
	end, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(end.String(), s.op.Issuer+"/end_session") || end.Query().Get("id_token_hint") == "" {
		t.Fatalf("logout: %d Location %q, want the IdP's end_session_endpoint", res.StatusCode, end)
	}
	if sess.Cookie("hhgate_session") != "" || sess.Cookie("sessionid") != "" {
		t.Fatalf("cookies left: hhgate_session %q, sessionid %q", sess.Cookie("hhgate_session"), sess.Cookie("sessionid"))
	}
	if n := s.netbox.SessionCount(t); n != sessions-1 {
		t.Fatalf("NetBox sessions %d -> %d, want one fewer", sessions, n)
	}
	resp, err := sess.Client.Get(end.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != s.gateway.URL+"/" {
		t.Fatalf("end_session: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	res, body := sess.Do(t, http.MethodGet, "/.hhgate/session", http.Header{"Accept": {"application/json"}}, nil)
	if string(body) != `{"authenticated":false}` {
		t.Fatalf("session status after logout: %d %s", res.StatusCode, body)
	}
	res, _ = sess.Get(t, "/")
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), "/.hhgate/oidc/login") {
		t.Fatalf("after logout: %d Location %q, want a new login", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestOIDCStartsWhileTheIdPIsDown: the gateway starts although discovery
// fails, says so in its log, answers 503 idp_unavailable where the IdP is
// needed, and still serves API clients.
// Real parts: Django stand-in, hhgate binary with the drop-in Caddyfile (HHGATE_SSO=on).
func TestOIDCStartsWhileTheIdPIsDown(t *testing.T) {
	nb := testenv.StartNetBox(t, testenv.NetBoxOptions{Env: map[string]string{"REMOTE_AUTH_ENABLED": "1"}})
	nb.CreateUser(t, testenv.User{Username: apiUser, Superuser: true, Token: apiToken})
	env := ssoEnv("http://" + testenv.ClosedAddr(t))
	env["XDG_DATA_HOME"] = t.TempDir()
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Caddyfile: ssoCaddyfile(t), Upstream: nb.Addr, Env: env})
	sess := testenv.NewSession(gw.URL)

	res, body := sess.Do(t, http.MethodGet, "/api/dcim/", http.Header{"Sec-Fetch-Mode": {"cors"}}, nil)
	if c := decodeContract(t, res, body); res.StatusCode != http.StatusServiceUnavailable || c.Error != "idp_unavailable" {
		t.Fatalf("fetch: %d %+v", res.StatusCode, c)
	}
	res, body = sess.Get(t, "/dcim/")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("navigation: %d %q %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	res, _ = sess.Do(t, http.MethodGet, "/api/", http.Header{"Authorization": {"Token " + apiToken}}, nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Standin-User") != apiUser {
		t.Fatalf("API client: %d as %q", res.StatusCode, res.Header.Get("X-Standin-User"))
	}
	if !strings.Contains(gw.Log(), "identity provider discovery failed") {
		t.Fatalf("the discovery failure is not in the log:\n%s", gw.Log())
	}
}

// TestOIDCMissingSettingFailsAtStartup: the binary refuses the drop-in
// Caddyfile with SSO on but without an issuer or a session key and names
// the variable.
// Real parts: hhgate binary.
func TestOIDCMissingSettingFailsAtStartup(t *testing.T) {
	bin, err := testenv.GatewayBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, missing := range []string{"HHGATE_OIDC_ISSUER", "HHGATE_SESSION_KEY"} {
		want := missing + ": required with HHGATE_SSO=on"
		t.Run(missing, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "run", "--config", ssoCaddyfile(t), "--adapter", "caddyfile")
			cmd.Env = append(testenv.InheritedEnv(), "HHGATE_ADMIN=off", "HHGATE_LISTEN=127.0.0.1:1", "NETBOX_STATIC_ROOT=off", "XDG_DATA_HOME="+t.TempDir())
			for k, v := range ssoEnv("https://idp.example.com") {
				if k == missing {
					v = ""
				}
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("hhgate started without %s:\n%s", missing, out)
			}
			if !strings.Contains(string(out), want) {
				t.Fatalf("output does not say %q:\n%s", want, out)
			}
			if strings.Contains(string(out), ssoClientSecret) {
				t.Fatalf("output shows the client secret:\n%s", out)
			}
		})
	}
}
