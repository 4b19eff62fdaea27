package sessionguard

import (
	"bytes"
	"compress/gzip"
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
	// NetBox 3.x: no window.CSRF_TOKEN, and the first form comes after a
	// navigation menu of 120 KB or more.
	menu := strings.Repeat(`<li class="nav-item"><a class="dropdown-item" href="/dcim/sites/">Sites</a></li>`+"\n", 2000)
	netbox3 := `<!DOCTYPE html><html><head><title>Sites</title><script src="/static/netbox.js"></script></head><body><nav>` + menu + `</nav>` +
		`<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="Form0Token"></form></body></html>`
	netbox3Home := `<!DOCTYPE html><html><head><title>Home</title></head><body><nav>` + menu + `</nav></body></html>`
	const withCookie, noCookie = "sessionid=abc; csrftoken=old", "sessionid=abc"
	tests := []struct {
		name       string
		cookie     string // the browser's Cookie header; default withCookie
		netbox     netboxCSRFPage
		wantStatus int
		wantToken  string
		wantError  string
		wantCookie string // a Set-Cookie line expected in the answer
	}{
		{name: "window.CSRF_TOKEN before the cookie",
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: home, cookies: []string{"csrftoken=new; Path=/"}},
			wantStatus: 200, wantToken: "Fresh0Token1Value", wantCookie: "csrftoken=new; Path=/"},
		{name: "NetBox 3: the browser's cookie", cookie: "sessionid=abc; csrftoken=Cookie0Token",
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: netbox3Home},
			wantStatus: 200, wantToken: "Cookie0Token"},
		{name: "NetBox 3: of two cookies the last, as Django", cookie: "csrftoken=Path0Long; sessionid=abc; csrftoken=Path0Short",
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: netbox3Home},
			wantStatus: 200, wantToken: "Path0Short"},
		{name: "NetBox 3: the cookie the render sets",
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: netbox3Home, cookies: []string{"csrftoken=Set0Token; expires=Wed, 01 Dec 2027 20:00:00 GMT; Max-Age=31449600; Path=/; SameSite=Lax"}},
			wantStatus: 200, wantToken: "Set0Token"},
		{name: "NetBox 3: no cookie, the form token 120 KB in", cookie: noCookie,
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: netbox3},
			wantStatus: 200, wantToken: "Form0Token"},
		{name: "a deleted cookie is not used", cookie: withCookie,
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: netbox3, cookies: []string{`csrftoken=""; Max-Age=0; Path=/`}},
			wantStatus: 200, wantToken: "Form0Token"},
		{name: "token from the form input", cookie: noCookie,
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: `<form><input type="hidden" name="csrfmiddlewaretoken" value="Input0Token">`},
			wantStatus: 200, wantToken: "Input0Token"},
		{name: "sliding session renewed",
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: home, cookies: []string{"sessionid=abc; Max-Age=600; Path=/"}},
			wantStatus: 200, wantToken: "Fresh0Token1Value", wantCookie: "hhgate_nb_expires="},
		{name: "NetBox wants a login",
			netbox:     netboxCSRFPage{status: 302, location: "/login/", cookies: []string{`sessionid=""; Max-Age=0; Path=/`}},
			wantStatus: 401, wantError: "authentication_required", wantCookie: "hhgate_nb_expires=; Max-Age=0"},
		{name: "NetBox renders the login page",
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: loginPage},
			wantStatus: 401, wantError: "authentication_required"},
		{name: "NetBox down",
			netbox:     netboxCSRFPage{err: errors.New("dial tcp: connection refused")},
			wantStatus: 502, wantError: "upstream_unavailable"},
		{name: "a wrong csrf_page still gives the cookie",
			netbox:     netboxCSRFPage{status: 404, header: htmlHeader, body: "<html>Page Not Found</html>"},
			wantStatus: 200, wantToken: "old"},
		{name: "NetBox fails, no cookie", cookie: noCookie,
			netbox:     netboxCSRFPage{status: 500, header: htmlHeader, body: "<html>Server Error</html>"},
			wantStatus: 500, wantError: "upstream_error"},
		{name: "no token to be had", cookie: noCookie,
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: "<html></html>"},
			wantStatus: 200, wantToken: ""},
		{name: "token with odd characters is refused", cookie: "sessionid=abc; csrftoken=a%3Cb",
			netbox:     netboxCSRFPage{status: 200, header: htmlHeader, body: `<script>window.CSRF_TOKEN = "a<b";</script>`},
			wantStatus: 200, wantToken: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newPagesGuard(t, Config{Now: fixedClock})
			nb := tt.netbox
			cookie := tt.cookie
			if cookie == "" {
				cookie = withCookie
			}
			r := csrfFetch("/.hhgate/csrf")
			r.Header.Set("Cookie", cookie)
			rec := serveGuard(t, g, r, nb.serve)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			// What NetBox was asked: a page load of csrf_page with the user's cookies.
			if nb.got.Method != "GET" || nb.got.URL.Path != "/" || nb.got.URL.RawQuery != "" || nb.got.Header.Get("Cookie") != cookie ||
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

// TestCSRFEndpointGzipPage: a page NetBox (or the transport) sends
// gzip-coded is scanned decoded.
func TestCSRFEndpointGzipPage(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(`<html><body>` + strings.Repeat("<p>menu</p>", 30000) + `<input name="csrfmiddlewaretoken" value="Zip0Token" type="hidden"></body></html>`))
	_ = zw.Close()
	g := newPagesGuard(t, Config{})
	nb := netboxCSRFPage{status: 200, header: map[string]string{"Content-Type": "text/html", "Content-Encoding": "gzip"}, body: zipped.String()}
	r := csrfFetch("/.hhgate/csrf")
	r.Header.Set("Cookie", "sessionid=abc")
	rec := serveGuard(t, g, r, nb.serve)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"Zip0Token"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
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

// TestFabricEndpointsGoToTheNextHandler: <base>.hhgate/fabrics/… is
// hedgehog_sync's, not the guard's; other unknown endpoints stay 404.
func TestFabricEndpointsGoToTheNextHandler(t *testing.T) {
	g := newPagesGuard(t, Config{BasePath: "/netbox/"})
	reached := ""
	next := func(w http.ResponseWriter, r *http.Request) error {
		reached = r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		_, err := w.Write([]byte(`{"fabric":7}`))
		return err
	}
	r := httptest.NewRequest("GET", "http://netbox.example.org/netbox/.hhgate/fabrics/7/plan", nil)
	r.Header.Set("Sec-Fetch-Mode", "cors")
	rec := serveGuard(t, g, r, next)
	if reached != "/netbox/.hhgate/fabrics/7/plan" || rec.Code != 200 || rec.Body.String() != `{"fabric":7}` {
		t.Errorf("plan: reached %q, answer %d %q", reached, rec.Code, rec.Body)
	}
	reached = ""
	rec = serveGuard(t, g, navigation("GET", "/netbox/.hhgate/fabricsX"), next)
	if reached != "" || rec.Code != 404 {
		t.Errorf("unknown endpoint: reached %q, answer %d", reached, rec.Code)
	}
}

// TestFabricEndpointsPassToTheNextHandler: .hhgate/fabrics/… (the fabric
// events and plan of hedgehog_sync) go on to the next handler unchanged;
// other unknown names stay 404.
func TestFabricEndpointsPassToTheNextHandler(t *testing.T) {
	g := newPagesGuard(t, Config{})
	tests := []struct {
		path     string
		wantNext bool
	}{
		{"/.hhgate/fabrics/7/events", true},
		{"/.hhgate/fabrics/7/plan", true},
		{"/.hhgate/fabricsx", false},
		{"/.hhgate/other", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			reached := false
			r := httptest.NewRequest("GET", "http://netbox.example.org"+tt.path, nil)
			r.Header.Set("Accept", "text/event-stream")
			rec := serveGuard(t, g, r, func(w http.ResponseWriter, got *http.Request) error {
				reached = got.URL.Path == tt.path
				w.Header().Set("Content-Type", "text/event-stream")
				_, err := w.Write([]byte("retry: 3000\n\n"))
				return err
			})
			if reached != tt.wantNext {
				t.Fatalf("next reached = %v, want %v (status %d)", reached, tt.wantNext, rec.Code)
			}
			if tt.wantNext && rec.Body.String() != "retry: 3000\n\n" {
				t.Errorf("body %q passed through changed", rec.Body.String())
			}
			if !tt.wantNext && rec.Code != http.StatusNotFound {
				t.Errorf("status %d, want 404", rec.Code)
			}
		})
	}
}
