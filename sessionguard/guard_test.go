package sessionguard

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hhgate/hhgate/netboxhttp"
)

const (
	csrfPage  = `<!DOCTYPE html><html lang="en"><head><title>403 Forbidden</title></head><body><div id="summary"><h1>Forbidden <span>(403)</span></h1><p>CSRF verification failed. Request aborted.</p></div></body></html>`
	loginPage = `<!DOCTYPE html><html><head><title>Home | NetBox</title></head><body><form action="/login/" method="post"><input type="hidden" name="csrfmiddlewaretoken" value="x"><input type="hidden" name="next" value="/"><input type="text" name="username" id="id_username"><input type="password" name="password" id="id_password"></form></body></html>`
)

// upstream is a canned answer of the next handler.
type upstream struct {
	status int
	header map[string]string
	body   string
}

func (u upstream) serve(w http.ResponseWriter, _ *http.Request) error {
	for k, v := range u.header {
		w.Header().Set(k, v)
	}
	w.Header().Add("Set-Cookie", "sessionid=abc; Path=/; HttpOnly")
	w.WriteHeader(u.status)
	_, _ = io.WriteString(w, u.body)
	return nil
}

func newTestGuard(t testing.TB) *Guard {
	t.Helper()
	g, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// pluginSync is the request the Hedgehog plugin's "Sync" button sends.
func pluginSync() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://netbox.example.org/plugins/hedgehog/fabrics/35/sync/", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-CSRFToken", "token")
	r.Header.Set("Referer", "http://netbox.example.org/plugins/hedgehog/fabrics/35/")
	return r
}

func TestGuardRewritesLoginAnswers(t *testing.T) {
	htmx := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "http://netbox.example.org/plugins/hedgehog/fabrics/35/status/", nil)
		r.Header.Set("HX-Request", "true")
		r.Header.Set("HX-Current-URL", "http://netbox.example.org/plugins/hedgehog/fabrics/35/?tab=x")
		return r
	}
	api := func(auth string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "http://netbox.example.org/api/dcim/devices/", nil)
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			return r
		}
	}
	tests := []struct {
		name         string
		request      func() *http.Request
		upstream     upstream
		wantStatus   int
		wantError    string // "" = passed through unchanged
		wantRedirect string
		wantHX       [2]string
	}{
		{
			name:         "302 to login with next",
			request:      pluginSync,
			upstream:     upstream{302, map[string]string{"Location": "/login/?next=/plugins/hedgehog/fabrics/35/sync/", "Content-Type": "text/html; charset=utf-8", "Content-Length": "0"}, ""},
			wantStatus:   401,
			wantError:    "authentication_required",
			wantRedirect: "/login/?next=/plugins/hedgehog/fabrics/35/",
		},
		{
			name:         "bare 302 to login",
			request:      pluginSync,
			upstream:     upstream{302, map[string]string{"Location": "/login/"}, ""},
			wantStatus:   401,
			wantError:    "authentication_required",
			wantRedirect: "/login/?next=/plugins/hedgehog/fabrics/35/",
		},
		{
			name:         "absolute same-host 302",
			request:      pluginSync,
			upstream:     upstream{302, map[string]string{"Location": "http://netbox.example.org/login/?next=/x"}, ""},
			wantStatus:   401,
			wantError:    "authentication_required",
			wantRedirect: "/login/?next=/plugins/hedgehog/fabrics/35/",
		},
		{
			name:       "302 elsewhere passes",
			request:    pluginSync,
			upstream:   upstream{302, map[string]string{"Location": "/plugins/hedgehog/fabrics/35/"}, ""},
			wantStatus: 302,
		},
		{
			name:       "302 to another host's login passes",
			request:    pluginSync,
			upstream:   upstream{302, map[string]string{"Location": "https://sso.example.org/login/"}, ""},
			wantStatus: 302,
		},
		{
			name:         "200 login page",
			request:      pluginSync,
			upstream:     upstream{200, map[string]string{"Content-Type": "text/html; charset=utf-8"}, loginPage},
			wantStatus:   401,
			wantError:    "authentication_required",
			wantRedirect: "/login/?next=/plugins/hedgehog/fabrics/35/",
		},
		{
			name:       "200 HTML that is not the login page passes",
			request:    htmx,
			upstream:   upstream{200, map[string]string{"Content-Type": "text/html"}, `<span class="status">in sync</span>`},
			wantStatus: 200,
		},
		{
			name:       "200 JSON passes",
			request:    pluginSync,
			upstream:   upstream{200, map[string]string{"Content-Type": "application/json"}, `{"success": true, "message": "ok"}`},
			wantStatus: 200,
		},
		{
			name:         "403 CSRF page",
			request:      pluginSync,
			upstream:     upstream{403, map[string]string{"Content-Type": "text/html; charset=utf-8"}, csrfPage},
			wantStatus:   403,
			wantError:    "csrf_failed",
			wantRedirect: "/plugins/hedgehog/fabrics/35/",
		},
		{
			name:       "403 other HTML passes",
			request:    pluginSync,
			upstream:   upstream{403, map[string]string{"Content-Type": "text/html"}, "<h1>Forbidden</h1>"},
			wantStatus: 403,
		},
		{
			name:         "403 DRF no credentials",
			request:      api(""),
			upstream:     upstream{403, map[string]string{"Content-Type": "application/json"}, `{"detail":"Authentication credentials were not provided."}`},
			wantStatus:   401,
			wantError:    "authentication_required",
			wantRedirect: "/login/?next=/api/dcim/devices/",
		},
		{
			name:       "403 DRF no credentials with Authorization passes",
			request:    api("Token abc"),
			upstream:   upstream{403, map[string]string{"Content-Type": "application/json"}, `{"detail":"Authentication credentials were not provided."}`},
			wantStatus: 403,
		},
		{
			name:       "403 DRF invalid token passes",
			request:    api("Token bad"),
			upstream:   upstream{403, map[string]string{"Content-Type": "application/json"}, `{"detail":"Invalid token."}`},
			wantStatus: 403,
		},
		{
			name:       "403 DRF permission denied passes",
			request:    api(""),
			upstream:   upstream{403, map[string]string{"Content-Type": "application/json"}, `{"detail":"You do not have permission to perform this action."}`},
			wantStatus: 403,
		},
		{
			name:         "403 DRF CSRF",
			request:      api(""),
			upstream:     upstream{403, map[string]string{"Content-Type": "application/json"}, `{"detail":"CSRF Failed: CSRF token missing."}`},
			wantStatus:   403,
			wantError:    "csrf_failed",
			wantRedirect: "/api/dcim/devices/",
		},
		{
			name:       "500 HTML page",
			request:    pluginSync,
			upstream:   upstream{500, map[string]string{"Content-Type": "text/html; charset=utf-8"}, "<h1>Server Error (500)</h1>"},
			wantStatus: 500,
			wantError:  "upstream_error",
		},
		{
			name:       "502 plain text from a server in front of NetBox",
			request:    pluginSync,
			upstream:   upstream{502, map[string]string{"Content-Type": "text/plain"}, "Bad Gateway"},
			wantStatus: 502,
			wantError:  "upstream_error",
		},
		{
			name:       "500 JSON from the API passes",
			request:    api(""),
			upstream:   upstream{500, map[string]string{"Content-Type": "application/json"}, `{"error": "boom", "exception": "ValueError"}`},
			wantStatus: 500,
		},
		{
			name:         "htmx 302 gets HX-Redirect",
			request:      htmx,
			upstream:     upstream{302, map[string]string{"Location": "/login/?next=/plugins/hedgehog/fabrics/35/status/"}, ""},
			wantStatus:   401,
			wantError:    "authentication_required",
			wantRedirect: "/login/?next=/plugins/hedgehog/fabrics/35/%3Ftab%3Dx",
			wantHX:       [2]string{"HX-Redirect", "/login/?next=/plugins/hedgehog/fabrics/35/%3Ftab%3Dx"},
		},
		{
			name:         "htmx CSRF gets HX-Refresh",
			request:      htmx,
			upstream:     upstream{403, map[string]string{"Content-Type": "text/html"}, csrfPage},
			wantStatus:   403,
			wantError:    "csrf_failed",
			wantRedirect: "/plugins/hedgehog/fabrics/35/?tab=x",
			wantHX:       [2]string{"HX-Refresh", "true"},
		},
	}
	g := newTestGuard(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := g.Serve(rec, tt.request(), tt.upstream.serve); err != nil {
				t.Fatalf("Serve: %v", err)
			}
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %s)", res.StatusCode, tt.wantStatus, body)
			}
			if got := res.Header.Get("Set-Cookie"); got != "sessionid=abc; Path=/; HttpOnly" {
				t.Errorf("upstream Set-Cookie not kept: %q", got)
			}
			if tt.wantError == "" {
				if string(body) != tt.upstream.body {
					t.Errorf("body changed: %q", body)
				}
				if res.Header.Get("X-Hhgate-Intercepted") != "" {
					t.Errorf("pass-through answer marked as intercepted")
				}
				return
			}
			assertAnswer(t, res, body, tt.wantError, tt.wantRedirect)
			if tt.wantHX[0] != "" && res.Header.Get(tt.wantHX[0]) != tt.wantHX[1] {
				t.Errorf("%s = %q, want %q", tt.wantHX[0], res.Header.Get(tt.wantHX[0]), tt.wantHX[1])
			}
		})
	}
}

func assertAnswer(t *testing.T, res *http.Response, body []byte, wantError, wantRedirect string) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("answer is not JSON: %v: %q", err, body)
	}
	redirect, _ := got["redirect"].(string) // absent when there is nowhere to send the user
	if got["success"] != false || got["error"] != wantError || redirect != wantRedirect {
		t.Errorf("answer = %v, want error %q redirect %q", got, wantError, wantRedirect)
	}
	if msg, _ := got["message"].(string); msg == "" || got["detail"] != msg {
		t.Errorf("message %q and detail %q must be the same non-empty text", got["message"], got["detail"])
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json", "Cache-Control": "no-store", "X-Hhgate-Intercepted": wantError,
		"Location": "", "Content-Length": "", "Content-Encoding": "",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if wantError == "authentication_required" && res.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without WWW-Authenticate")
	}
}

func TestGuardLeavesNavigationsAlone(t *testing.T) {
	g := newTestGuard(t)
	r := httptest.NewRequest(http.MethodGet, "http://netbox.example.org/plugins/hedgehog/fabrics/35/", nil)
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	r.Header.Set("Sec-Fetch-Dest", "document")
	var sawWriter http.ResponseWriter
	rec := httptest.NewRecorder()
	err := g.Serve(rec, r, func(w http.ResponseWriter, r *http.Request) error {
		sawWriter = w
		return upstream{302, map[string]string{"Location": "/login/?next=/plugins/hedgehog/fabrics/35/"}, ""}.serve(w, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if sawWriter != rec {
		t.Errorf("navigation got a wrapped writer")
	}
	if rec.Code != 302 || rec.Header().Get("Location") != "/login/?next=/plugins/hedgehog/fabrics/35/" {
		t.Errorf("navigation answer changed: %d %v", rec.Code, rec.Header())
	}
}

func TestGuardProxyErrors(t *testing.T) {
	errDial := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	statuses := map[error]int{}
	g, err := New(Config{StatusOf: func(err error) int { return statuses[err] }})
	if err != nil {
		t.Fatal(err)
	}
	failing := func(err error) func(http.ResponseWriter, *http.Request) error {
		return func(http.ResponseWriter, *http.Request) error { return err }
	}
	for _, status := range []int{502, 503, 504} {
		e := errors.New(http.StatusText(status))
		statuses[e] = status
		rec := httptest.NewRecorder()
		if err := g.Serve(rec, pluginSync(), failing(e)); err != nil {
			t.Fatalf("%d: Serve returned %v, want the error answered", status, err)
		}
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != status || !strings.Contains(string(body), `"error":"upstream_unavailable"`) {
			t.Errorf("%d: got %d %s", status, res.StatusCode, body)
		}
		if strings.Contains(string(body), "127.0.0.1") {
			t.Errorf("answer leaks the upstream address: %s", body)
		}
	}
	statuses[errDial] = 499 // client went away: nothing to answer
	if err := g.Serve(httptest.NewRecorder(), pluginSync(), failing(errDial)); err != errDial {
		t.Errorf("client-gone error swallowed: %v", err)
	}
	nav := httptest.NewRequest(http.MethodGet, "/", nil)
	nav.Header.Set("Sec-Fetch-Mode", "navigate")
	statuses[errDial] = 502
	if err := g.Serve(httptest.NewRecorder(), nav, failing(errDial)); err != errDial {
		t.Errorf("navigation error not left to the server: %v", err)
	}
}

func TestGuardReadsGzippedAnswers(t *testing.T) {
	var zbuf bytes.Buffer
	zw := gzip.NewWriter(&zbuf)
	_, _ = zw.Write([]byte(csrfPage))
	_ = zw.Close()
	rec := httptest.NewRecorder()
	up := upstream{403, map[string]string{"Content-Type": "text/html", "Content-Encoding": "gzip"}, zbuf.String()}
	if err := newTestGuard(t).Serve(rec, pluginSync(), up.serve); err != nil {
		t.Fatal(err)
	}
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	assertAnswer(t, res, body, "csrf_failed", "/plugins/hedgehog/fabrics/35/")
}

func TestGuardStreamsLargeHTMLAfterPeek(t *testing.T) {
	page := "<html><body>" + strings.Repeat("x", 3*limitLoginPeek) + "</body></html>"
	rec := httptest.NewRecorder()
	err := newTestGuard(t).Serve(rec, pluginSync(), func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/html")
		for chunk := range strings.SplitSeq(page, "</body>") { // two writes, the first larger than the peek
			_, _ = io.WriteString(w, chunk)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || rec.Body.String() != strings.Replace(page, "</body>", "", 1) {
		t.Fatalf("large page altered: status %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

// TestGuardFlushesWhileInspecting proves a streamed HTML answer (the kind the
// guard peeks into) reaches the client at the upstream's flush, before the
// upstream finishes.
func TestGuardFlushesWhileInspecting(t *testing.T) {
	g := newTestGuard(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = g.Serve(w, r, func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<p>first</p>\n")
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush: %v", err)
			}
			<-release
			_, _ = io.WriteString(w, "<p>second</p>\n")
			return nil
		})
	}))
	defer srv.Close()
	defer close(release)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/partial/", nil)
	req.Header.Set("HX-Request", "true")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || line != "<p>first</p>\n" {
		t.Fatalf("first chunk = %q, %v; want it before the upstream finished", line, err)
	}
}

// TestGuardStreamsServerSentEvents proves a non-candidate answer streams
// event by event.
func TestGuardStreamsServerSentEvents(t *testing.T) {
	g := newTestGuard(t)
	next := make(chan string)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = g.Serve(w, r, func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(200)
			w.(http.Flusher).Flush() // headers out before the first event
			for ev := range next {
				_, _ = io.WriteString(w, "data: "+ev+"\n\n")
				w.(http.Flusher).Flush()
			}
			return nil
		})
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/events/", nil)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	for _, ev := range []string{"one", "two"} {
		next <- ev
		line, err := br.ReadString('\n')
		if err != nil || line != "data: "+ev+"\n" {
			t.Fatalf("event %q arrived as %q, %v", ev, line, err)
		}
		_, _ = br.ReadString('\n')
	}
	close(next)
}

// TestGuardPassesHijack proves a websocket upgrade works through the guard.
func TestGuardPassesHijack(t *testing.T) {
	g := newTestGuard(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = g.Serve(w, r, func(w http.ResponseWriter, r *http.Request) error {
			conn, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return err
			}
			defer conn.Close()
			_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello")
			return brw.Flush()
		})
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ws/", nil)
	req.Header.Set("Sec-Fetch-Mode", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 101 {
		t.Fatalf("status %d, want 101", res.StatusCode)
	}
	rest, _ := io.ReadAll(res.Body.(io.Reader))
	if string(rest) != "hello" {
		t.Fatalf("after upgrade read %q", rest)
	}
}

func TestNewNamesTheBadField(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{LoginPath: "login/"}, "login_path"},
		{Config{LoginPath: "//evil/login/"}, "login_path"},
		{Config{LoginPath: "/login/?x"}, "login_path"},
		{Config{BasePath: "netbox/"}, "base_path"},
		{Config{BasePath: "/netbox"}, "base_path"},
		{Config{APIPrefixes: []string{"/api/", "graphql"}}, "api_prefix[1]"},
		{Config{AJAXPaths: []string{"/a/[/"}}, "ajax_path[0]"},
		{Config{Texts: netboxhttp.Texts{Message: "   "}}, "message"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want+":") {
			t.Errorf("New(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
}

func TestBasePathDefaults(t *testing.T) {
	g, err := New(Config{BasePath: "/netbox/"})
	if err != nil {
		t.Fatal(err)
	}
	if g.site.LoginPath() != "/netbox/login/" {
		t.Errorf("login path %q", g.site.LoginPath())
	}
	if !g.site.IsProgrammatic(httptest.NewRequest("GET", "/netbox/api/x/", nil)) || g.site.IsProgrammatic(httptest.NewRequest("GET", "/api/x/", nil)) {
		t.Errorf("API prefix does not follow base_path")
	}
	rec := httptest.NewRecorder()
	_ = g.Serve(rec, pluginSyncAt("/netbox/plugins/hedgehog/fabrics/1/sync/"), upstream{302, map[string]string{"Location": "/netbox/login/?next=/netbox/x"}, ""}.serve)
	if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"redirect":"/netbox/login/?next=/netbox/plugins/hedgehog/fabrics/1/"`) {
		t.Errorf("BASE_PATH login redirect not rewritten: %d %s", rec.Code, rec.Body)
	}
}

func pluginSyncAt(path string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://netbox.example.org"+path, nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Referer", "http://netbox.example.org/netbox/plugins/hedgehog/fabrics/1/")
	return r
}
