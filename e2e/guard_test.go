//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hhgate/hhgate/testenv"
)

// stack is the stand-in with one user and one connected fabric, and the
// gateway in front of it.
type stack struct {
	netbox   *testenv.NetBox
	gateway  *testenv.Gateway
	fabricID int
}

const (
	user     = "alice"
	password = "correct-horse"
)

func startStack(t *testing.T) *stack {
	t.Helper()
	nb := testenv.StartNetBox(t, testenv.NetBoxOptions{})
	nb.CreateUser(t, testenv.User{Username: user, Password: password, Superuser: true, Token: "0123456789abcdef0123456789abcdef01234567"})
	id := nb.CreateFabric(t, map[string]any{"name": "fab-e2e", "connection_status": "connected"})
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Upstream: nb.Addr})
	return &stack{netbox: nb, gateway: gw, fabricID: id}
}

func (s *stack) fabricPage() string { return fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", s.fabricID) }
func (s *stack) syncPath() string   { return s.fabricPage() + "sync/" }

// browserFetch is the header set Chromium adds to the plugin's fetch() POST:
// on top of X-CSRFToken and Content-Type, the Sec-Fetch-* hints, Origin and
// Referer of the fabric page.
func browserFetch(base, page string) http.Header {
	return http.Header{
		"Sec-Fetch-Mode": {"cors"},
		"Sec-Fetch-Dest": {"empty"},
		"Sec-Fetch-Site": {"same-origin"},
		"Origin":         {base},
		"Referer":        {base + page},
		"Accept":         {"*/*"},
	}
}

func merge(hs ...http.Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		for k, vs := range h {
			out[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
		}
	}
	return out
}

// contract is the guard's JSON answer.
type contract struct {
	Success  *bool  `json:"success"`
	Error    string `json:"error"`
	Message  string `json:"message"`
	Detail   string `json:"detail"`
	Redirect string `json:"redirect"`
}

func decodeContract(t *testing.T, res *http.Response, body []byte) contract {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json; body %.200q", ct, body)
	}
	var c contract
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatalf("body is not JSON: %v: %.200q", err, body)
	}
	if c.Success == nil || *c.Success {
		t.Errorf("success = %v, want false", c.Success)
	}
	if c.Message == "" || c.Detail != c.Message {
		t.Errorf("message %q / detail %q: want the same non-empty text", c.Message, c.Detail)
	}
	if res.Header.Get("X-Hhgate-Intercepted") != c.Error {
		t.Errorf("X-Hhgate-Intercepted = %q, want %q", res.Header.Get("X-Hhgate-Intercepted"), c.Error)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Location") != "" {
		t.Errorf("headers: Cache-Control %q, Location %q", res.Header.Get("Cache-Control"), res.Header.Get("Location"))
	}
	return c
}

// TestExpiredSessionPluginSyncGets401 reproduces the seed report against
// Django directly (a 302 to the login page, which fetch() follows into HTML)
// and proves the fix through the gateway: the same request gets the 401 JSON
// contract, for the plugin's bare headers and for a real browser's.
// Real parts: Django stand-in, hhgate binary.
func TestExpiredSessionPluginSyncGets401(t *testing.T) {
	s := startStack(t)

	direct := testenv.Login(t, s.netbox.URL, user, password)
	s.netbox.ExpireSessions(t, user)
	res, _ := direct.FetchPost(t, s.syncPath())
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/login/?next="+s.syncPath() {
		t.Fatalf("the bug is not reproduced: Django answered %d Location %q", res.StatusCode, res.Header.Get("Location"))
	}

	tests := []struct {
		name         string
		header       func(base string) http.Header
		wantRedirect string
	}{
		{"plugin headers only", func(string) http.Header { return nil }, "/login/?next=/"},
		{"as sent by a browser", func(base string) http.Header { return browserFetch(base, s.fabricPage()) }, "/login/?next=" + s.fabricPage()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			viaGateway := testenv.Login(t, s.gateway.URL, user, password)
			s.netbox.ExpireSessions(t, user)
			h := merge(http.Header{"X-Csrftoken": {viaGateway.CSRFToken}, "Content-Type": {"application/json"}}, tt.header(s.gateway.URL))
			res, body := viaGateway.Do(t, http.MethodPost, s.syncPath(), h, nil)
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; body %.300q", res.StatusCode, body)
			}
			c := decodeContract(t, res, body)
			if c.Error != "authentication_required" || c.Message != "Your session has expired. Please sign in again." || c.Redirect != tt.wantRedirect {
				t.Errorf("answer %+v, want authentication_required with redirect %q", c, tt.wantRedirect)
			}
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}
}

// TestValidSessionSyncPassesThroughUnchanged: with a live session the
// plugin's JSON reaches the page byte for byte as Django wrote it.
// Real parts: Django stand-in, hhgate binary.
func TestValidSessionSyncPassesThroughUnchanged(t *testing.T) {
	s := startStack(t)
	direct := testenv.Login(t, s.netbox.URL, user, password)
	wantRes, want := direct.FetchPost(t, s.syncPath())
	if wantRes.StatusCode != http.StatusOK {
		t.Fatalf("direct sync: %d %s", wantRes.StatusCode, want)
	}

	gw := testenv.Login(t, s.gateway.URL, user, password)
	res, body := gw.Do(t, http.MethodPost, s.syncPath(),
		merge(http.Header{"X-Csrftoken": {gw.CSRFToken}, "Content-Type": {"application/json"}}, browserFetch(s.gateway.URL, s.fabricPage())), nil)
	if res.StatusCode != http.StatusOK || string(body) != string(want) {
		t.Fatalf("through the gateway: %d %q; directly: %q", res.StatusCode, body, want)
	}
	if res.Header.Get("X-Hhgate-Intercepted") != "" {
		t.Errorf("a passed-through answer carries the gateway marker")
	}
	if !strings.Contains(string(body), `"success": true`) {
		t.Errorf("Django's sync did not succeed: %s", body)
	}
}

// TestCSRFMismatchGets403CSRFFailed: a page whose token no longer matches
// (NetBox rotated it) gets the JSON 403 instead of Django's HTML page, both
// on the plugin's view and on the REST API.
// Real parts: Django stand-in, hhgate binary.
func TestCSRFMismatchGets403CSRFFailed(t *testing.T) {
	s := startStack(t)
	gw := testenv.Login(t, s.gateway.URL, user, password)

	direct := testenv.Login(t, s.netbox.URL, user, password)
	res, body := direct.Do(t, http.MethodPost, s.syncPath(), http.Header{"X-Csrftoken": {"stale-token-from-an-old-page-000000000000000000000000000000000"}, "Content-Type": {"application/json"}}, nil)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "CSRF verification failed") {
		t.Fatalf("Django did not answer its CSRF page: %d %.200q", res.StatusCode, body)
	}

	tests := []struct {
		name, method, path string
		header             http.Header
		wantRedirect       string
	}{
		{"plugin sync with a stale token", http.MethodPost, s.syncPath(),
			merge(http.Header{"X-Csrftoken": {"stale-token-from-an-old-page-000000000000000000000000000000000"}, "Content-Type": {"application/json"}}, browserFetch(s.gateway.URL, s.fabricPage())),
			s.fabricPage()},
		{"REST API write without a token", http.MethodPost, "/api/plugins/hedgehog/fabrics/",
			http.Header{"Content-Type": {"application/json"}, "Referer": {s.gateway.URL + "/plugins/hedgehog/fabrics/"}},
			"/plugins/hedgehog/fabrics/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := gw.Do(t, tt.method, tt.path, tt.header, strings.NewReader(`{"name":"x"}`))
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403: %.300q", res.StatusCode, body)
			}
			c := decodeContract(t, res, body)
			if c.Error != "csrf_failed" || c.Redirect != tt.wantRedirect {
				t.Errorf("answer %+v, want csrf_failed redirecting to %q", c, tt.wantRedirect)
			}
		})
	}
}

// TestExpiredSessionNavigationKeepsNetBox302: a browser tab (and a client
// without hints) still gets NetBox's own redirect to the login page.
// Real parts: Django stand-in, hhgate binary.
func TestExpiredSessionNavigationKeepsNetBox302(t *testing.T) {
	s := startStack(t)
	tests := []struct {
		name   string
		path   string
		header http.Header
		want   string
	}{
		{"browser navigation", s.fabricPage(), http.Header{
			"Sec-Fetch-Mode": {"navigate"}, "Sec-Fetch-Dest": {"document"},
			"Accept": {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
		}, "/login/?next=" + s.fabricPage()},
		{"client without hints", s.fabricPage(), nil, "/login/?next=" + s.fabricPage()},
		{"home redirects without next", "/", http.Header{"Sec-Fetch-Mode": {"navigate"}}, "/login/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := testenv.Login(t, s.gateway.URL, user, password)
			s.netbox.ExpireSessions(t, user)
			res, _ := gw.Do(t, http.MethodGet, tt.path, tt.header, nil)
			if res.StatusCode != http.StatusFound || res.Header.Get("Location") != tt.want {
				t.Fatalf("got %d Location %q, want 302 %q", res.StatusCode, res.Header.Get("Location"), tt.want)
			}
			if res.Header.Get("X-Hhgate-Intercepted") != "" {
				t.Errorf("navigation answer was rewritten")
			}
		})
	}
}

// TestExpiredSessionHTMXPartialGets401WithHXRedirect: htmx's request for the
// fabric status partial gets a 401 with HX-Redirect to the login page for
// the page the user is on, which htmx follows as a full navigation.
// Real parts: Django stand-in, hhgate binary.
func TestExpiredSessionHTMXPartialGets401WithHXRedirect(t *testing.T) {
	s := startStack(t)
	gw := testenv.Login(t, s.gateway.URL, user, password)
	partial := s.fabricPage() + "status/"

	res, body := gw.Get(t, partial)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "data-sync-status") {
		t.Fatalf("partial with a live session: %d %.200q", res.StatusCode, body)
	}

	s.netbox.ExpireSessions(t, user)
	res, body = gw.Do(t, http.MethodGet, partial, http.Header{
		"Hx-Request":     {"true"},
		"Hx-Current-Url": {s.gateway.URL + s.fabricPage()},
		"Hx-Target":      {"fabric-status"},
		"Accept":         {"*/*"},
	}, nil)
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401: %.300q", res.StatusCode, body)
	}
	c := decodeContract(t, res, body)
	want := "/login/?next=" + s.fabricPage()
	if c.Error != "authentication_required" || c.Redirect != want || res.Header.Get("HX-Redirect") != want {
		t.Errorf("answer %+v HX-Redirect %q, want both %q", c, res.Header.Get("HX-Redirect"), want)
	}
}

// TestAPIAnswers: the REST API through the gateway. An expired (or absent)
// session gets the 401 contract; a bad token keeps NetBox's own 403; a good
// token works.
// Real parts: Django stand-in, hhgate binary.
func TestAPIAnswers(t *testing.T) {
	s := startStack(t)
	const api = "/api/plugins/hedgehog/fabrics/"

	t.Run("expired session gets 401", func(t *testing.T) {
		gw := testenv.Login(t, s.gateway.URL, user, password)
		if res, body := gw.Get(t, api); res.StatusCode != http.StatusOK {
			t.Fatalf("live session: %d %.200q", res.StatusCode, body)
		}
		s.netbox.ExpireSessions(t, user)
		res, body := gw.Do(t, http.MethodGet, api, http.Header{"Referer": {s.gateway.URL + "/plugins/hedgehog/fabrics/"}}, nil)
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401: %.300q", res.StatusCode, body)
		}
		if c := decodeContract(t, res, body); c.Error != "authentication_required" || c.Redirect != "/login/?next=/plugins/hedgehog/fabrics/" {
			t.Errorf("answer %+v", c)
		}
	})
	t.Run("no credentials gets 401", func(t *testing.T) {
		res, body := testenv.NewSession(s.gateway.URL).Get(t, api)
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401: %.300q", res.StatusCode, body)
		}
		if c := decodeContract(t, res, body); c.Redirect != "/login/?next="+api {
			t.Errorf("redirect %q", c.Redirect)
		}
	})
	t.Run("bad token keeps NetBox's 403", func(t *testing.T) {
		direct, want := testenv.NewSession(s.netbox.URL).Do(t, http.MethodGet, api, http.Header{"Authorization": {"Token bad"}}, nil)
		res, body := testenv.NewSession(s.gateway.URL).Do(t, http.MethodGet, api, http.Header{"Authorization": {"Token bad"}}, nil)
		if res.StatusCode != http.StatusForbidden || direct.StatusCode != http.StatusForbidden || string(body) != string(want) {
			t.Fatalf("gateway %d %q, NetBox %d %q", res.StatusCode, body, direct.StatusCode, want)
		}
		if res.Header.Get("X-Hhgate-Intercepted") != "" {
			t.Errorf("NetBox's token 403 was rewritten")
		}
	})
	t.Run("good token works", func(t *testing.T) {
		res, body := testenv.NewSession(s.gateway.URL).Do(t, http.MethodGet, api, http.Header{"Authorization": {"Token 0123456789abcdef0123456789abcdef01234567"}}, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"fab-e2e"`) {
			t.Fatalf("status %d: %.300q", res.StatusCode, body)
		}
	})
}

// TestUpstreamDown: with NetBox unreachable, programmatic requests get a 502
// JSON answer that names no address; navigations get the server's plain 502.
// Real parts: hhgate binary (its upstream is a closed port).
func TestUpstreamDown(t *testing.T) {
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Upstream: testenv.ClosedAddr(t)})
	client := testenv.NewSession(gw.URL)

	res, body := client.Do(t, http.MethodPost, "/plugins/hedgehog/fabrics/1/sync/", http.Header{"Content-Type": {"application/json"}, "X-Csrftoken": {"x"}}, nil)
	if res.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502: %q", res.StatusCode, body)
	}
	if c := decodeContract(t, res, body); c.Error != "upstream_unavailable" {
		t.Errorf("answer %+v", c)
	}
	if strings.Contains(string(body), "127.0.0.1") {
		t.Errorf("answer leaks the upstream address: %s", body)
	}

	res, body = client.Do(t, http.MethodGet, "/dcim/devices/", http.Header{"Sec-Fetch-Mode": {"navigate"}, "Accept": {"text/html"}}, nil)
	if res.StatusCode != http.StatusBadGateway || res.Header.Get("Content-Type") == "application/json" || res.Header.Get("X-Hhgate-Intercepted") != "" {
		t.Fatalf("navigation: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}
