package sessionguard

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func serveGuard(t *testing.T, g *Guard, r *http.Request, next func(http.ResponseWriter, *http.Request) error) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := g.Serve(rec, r, next); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	return rec
}

// TestShimEndpointGzip: a browser that takes gzip gets the script coded,
// under its own ETag.
func TestShimEndpointGzip(t *testing.T) {
	g := newPagesGuard(t, Config{})
	r := httptest.NewRequest("GET", "http://netbox.example.org/.hhgate/shim.js?v="+g.pages.shimVer, nil)
	r.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	rec := serveGuard(t, g, r, mustNotReachNetBox(t))
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Etag") != `"`+g.pages.shimVer+`-gzip"` ||
		!strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("headers %v", rec.Header())
	}
	if got := gunzipped(t, rec.Body.Bytes()); string(got) != string(shimJS) {
		t.Errorf("decoded body is not the script")
	}
	if rec.Body.Len() >= len(shimJS)/2 {
		t.Errorf("coded script is %d bytes of %d", rec.Body.Len(), len(shimJS))
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "br, gzip;q=0.5": true, "gzip;q=0": false, "gzip; q=0.0": false,
		"*": true, "identity": false, "deflate, br": false, "x-gzip": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestShimEndpoint(t *testing.T) {
	g := newPagesGuard(t, Config{})
	v := g.pages.shimVer
	tests := []struct {
		name, method, target, ifNoneMatch string
		wantStatus                        int
		wantCache                         string
	}{
		{"versioned URL is cached for good", "GET", "/.hhgate/shim.js?v=" + v, "", 200, "public, max-age=31536000, immutable"},
		{"other URL revalidates", "GET", "/.hhgate/shim.js", "", 200, "no-cache"},
		{"stale version revalidates", "GET", "/.hhgate/shim.js?v=0000", "", 200, "no-cache"},
		{"ETag match", "GET", "/.hhgate/shim.js", g.pages.shimETag, 304, "no-cache"},
		{"HEAD", "HEAD", "/.hhgate/shim.js?v=" + v, "", 200, "public, max-age=31536000, immutable"},
		{"POST", "POST", "/.hhgate/shim.js", "", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://netbox.example.org"+tt.target, nil)
			if tt.ifNoneMatch != "" {
				r.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			rec := serveGuard(t, g, r, mustNotReachNetBox(t))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus == 405 {
				return
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control %q, want %q", got, tt.wantCache)
			}
			if rec.Header().Get("Etag") != g.pages.shimETag {
				t.Errorf("ETag %q, want %q", rec.Header().Get("Etag"), g.pages.shimETag)
			}
			if tt.wantStatus == 200 && tt.method == "GET" {
				if rec.Header().Get("Content-Type") != "text/javascript; charset=utf-8" || rec.Body.String() != string(shimJS) {
					t.Errorf("not the shim: %q %.80q", rec.Header().Get("Content-Type"), rec.Body.String())
				}
			}
		})
	}
}

// TestReloginDonePage: the page's policy allows exactly its inline script,
// which tells only a same-origin opener.
func TestReloginDonePage(t *testing.T) {
	g := newPagesGuard(t, Config{BasePath: "/netbox/"})
	rec := serveGuard(t, g, navigation("GET", "/netbox/.hhgate/relogin-done"), mustNotReachNetBox(t))
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	page := rec.Body.String()
	_, rest, _ := strings.Cut(page, "<script>")
	script, _, _ := strings.Cut(rest, "</script>")
	sum := sha256.Sum256([]byte(script))
	wantSource := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src "+wantSource) || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("policy %q does not allow exactly the page's script (%s)", csp, wantSource)
	}
	for _, want := range []string{"window.opener.postMessage(message, window.location.origin)", "BroadcastChannel('hhgate')", `href="/netbox/"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestUnknownEndpointIsNotNetBoxs(t *testing.T) {
	g := newPagesGuard(t, Config{})
	rec := serveGuard(t, g, navigation("GET", "/.hhgate/nothing"), mustNotReachNetBox(t))
	if rec.Code != 404 {
		t.Errorf("status %d, want 404", rec.Code)
	}
}

// netboxCSRFPage answers like NetBox's home page for a session, recording
// the request it got.
type netboxCSRFPage struct {
	got      *http.Request
	status   int
	header   map[string]string
	body     string
	err      error
	cookies  []string
	location string
}

func (n *netboxCSRFPage) serve(w http.ResponseWriter, r *http.Request) error {
	n.got = r
	if n.err != nil {
		return n.err
	}
	for k, v := range n.header {
		w.Header().Set(k, v)
	}
	for _, c := range n.cookies {
		w.Header().Add("Set-Cookie", c)
	}
	if n.location != "" {
		w.Header().Set("Location", n.location)
	}
	w.WriteHeader(n.status)
	_, _ = w.Write([]byte(n.body))
	return nil
}

func csrfFetch(target string) *http.Request {
	r := httptest.NewRequest("GET", "http://netbox.example.org"+target, nil)
	r.Header.Set("Sec-Fetch-Mode", "cors")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Sec-Fetch-Dest", "empty")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Accept-Encoding", "gzip")
	r.Header.Set("Referer", "http://netbox.example.org/plugins/hedgehog/fabrics/35/")
	r.Header.Set("Cookie", "sessionid=abc; csrftoken=old")
	return r
}

func TestCSRFEndpoint(t *testing.T) {
	htmlHeader := map[string]string{"Content-Type": "text/html; charset=utf-8"}
	home := `<!DOCTYPE html><html><head><script type="text/javascript">` + "\n      window.CSRF_TOKEN = \"Fresh0Token1Value\";\n" + `</script></head><body></body></html>`
	tests := []struct {
		name       string
		request    *http.Request
		netbox     netboxCSRFPage
		wantStatus int
		wantToken  string
		wantError  string
		wantCookie string // a Set-Cookie line expected in the answer
	}{
		{name: "token from the page", request: csrfFetch("/.hhgate/csrf"),
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: home, cookies: []string{"csrftoken=new; Path=/"}},
			wantStatus: 200, wantToken: "Fresh0Token1Value", wantCookie: "csrftoken=new; Path=/"},
		{name: "token from the form input", request: csrfFetch("/.hhgate/csrf"),
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: `<form><input type="hidden" name="csrfmiddlewaretoken" value="Input0Token">`},
			wantStatus: 200, wantToken: "Input0Token"},
		{name: "sliding session renewed", request: csrfFetch("/.hhgate/csrf"),
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: home, cookies: []string{"sessionid=abc; Max-Age=600; Path=/"}},
			wantStatus: 200, wantToken: "Fresh0Token1Value", wantCookie: "hhgate_nb_expires="},
		{name: "NetBox wants a login", request: csrfFetch("/.hhgate/csrf"),
			netbox:     netboxCSRFPage{status: 302, location: "/login/", cookies: []string{`sessionid=""; Max-Age=0; Path=/`}},
			wantStatus: 401, wantError: "authentication_required", wantCookie: "hhgate_nb_expires=; Max-Age=0"},
		{name: "NetBox renders the login page", request: csrfFetch("/.hhgate/csrf"),
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: loginPage},
			wantStatus: 401, wantError: "authentication_required"},
		{name: "NetBox down", request: csrfFetch("/.hhgate/csrf"),
			netbox:     netboxCSRFPage{err: errors.New("dial tcp: connection refused")},
			wantStatus: 502, wantError: "upstream_unavailable"},
		{name: "page without a token", request: csrfFetch("/.hhgate/csrf"),
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: "<html></html>"},
			wantStatus: 502, wantError: "internal_error"},
		{name: "token with odd characters is refused", request: csrfFetch("/.hhgate/csrf"),
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: `window.CSRF_TOKEN = "a<b";`},
			wantStatus: 502, wantError: "internal_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newPagesGuard(t, Config{Now: fixedClock})
			nb := tt.netbox
			rec := serveGuard(t, g, tt.request, nb.serve)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			// What NetBox was asked: a page load of csrf_page with the user's cookies.
			if nb.got.Method != "GET" || nb.got.URL.Path != "/" || nb.got.URL.RawQuery != "" || nb.got.Header.Get("Cookie") != "sessionid=abc; csrftoken=old" ||
				nb.got.Header.Get("Accept") != "text/html" || nb.got.Header.Get("Accept-Encoding") != "" || nb.got.Header.Get("Sec-Fetch-Mode") != "" {
				t.Errorf("NetBox got %s %s with %v", nb.got.Method, nb.got.URL, nb.got.Header)
			}
			var body struct {
				CSRFToken string `json:"csrf_token"`
				Error     string `json:"error"`
				Redirect  string `json:"redirect"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("not JSON: %s", rec.Body)
			}
			if body.CSRFToken != tt.wantToken || body.Error != tt.wantError {
				t.Errorf("answer %s", rec.Body)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
			}
			if tt.wantError == "authentication_required" && body.Redirect != "/login/?next=/plugins/hedgehog/fabrics/35/" {
				t.Errorf("redirect %q, want the login page coming back to the user's page", body.Redirect)
			}
			if tt.wantCookie != "" && !strings.Contains(strings.Join(rec.Header()["Set-Cookie"], "\n"), tt.wantCookie) {
				t.Errorf("Set-Cookie %q lacks %q", rec.Header()["Set-Cookie"], tt.wantCookie)
			}
		})
	}
}

func TestCSRFEndpointRefuses(t *testing.T) {
	g := newPagesGuard(t, Config{})
	crossSite := csrfFetch("/.hhgate/csrf")
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	post := csrfFetch("/.hhgate/csrf")
	post.Method = http.MethodPost
	for name, tt := range map[string]struct {
		r    *http.Request
		want int
	}{"cross-site": {crossSite, 403}, "POST": {post, 405}} {
		t.Run(name, func(t *testing.T) {
			if rec := serveGuard(t, g, tt.r, mustNotReachNetBox(t)); rec.Code != tt.want {
				t.Errorf("status %d, want %d", rec.Code, tt.want)
			}
		})
	}
}

// TestCSRFEndpointUnderBasePath: endpoints and the page live under NetBox's
// BASE_PATH, where the browser sends NetBox's cookies.
func TestCSRFEndpointUnderBasePath(t *testing.T) {
	g := newPagesGuard(t, Config{BasePath: "/netbox/", CSRFPage: "/netbox/dcim/"})
	nb := netboxCSRFPage{status: 200, header: map[string]string{"Content-Type": "text/html"}, body: `window.CSRF_TOKEN = "T0k";`}
	rec := serveGuard(t, g, csrfFetch("/netbox/.hhgate/csrf"), nb.serve)
	if rec.Code != 200 || nb.got.URL.Path != "/netbox/dcim/" {
		t.Fatalf("status %d, NetBox asked for %q", rec.Code, nb.got.URL.Path)
	}
	rec = serveGuard(t, g, csrfFetch("/.hhgate/csrf"), nb.serve)
	if nb.got.URL.Path != "/.hhgate/csrf" {
		t.Errorf("outside the base path .hhgate/ is NetBox's: got %d", rec.Code)
	}
}

func TestPagesConfigErrors(t *testing.T) {
	for field, cfg := range map[string]Config{
		"warn_before":    {WarnBefore: -time.Second},
		"csrf_page":      {CSRFPage: "dcim/"},
		"session_cookie": {SessionCookie: "a b"},
	} {
		cfg.InjectScript = true
		if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), field+":") {
			t.Errorf("New(%+v) = %v, want an error naming %s", cfg, err, field)
		}
	}
}
