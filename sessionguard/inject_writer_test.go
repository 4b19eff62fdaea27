package sessionguard

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

const netboxPage = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8" /><title>Fabric | NetBox</title>` +
	`<script type="text/javascript">window.CSRF_TOKEN = "tok";</script></head><body><main>page</main></body></html>`

func newPagesGuard(t testing.TB, cfg Config) *Guard {
	t.Helper()
	cfg.InjectScript = true
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// page is an upstream that answers body with the given headers, in writes
// of chunk bytes (0: one write), and records the request it got.
type page struct {
	status int
	header map[string]string
	body   []byte
	chunk  int
	got    *http.Request
}

func (u *page) serve(w http.ResponseWriter, r *http.Request) error {
	u.got = r
	for k, v := range u.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(u.status)
	body := u.body
	for len(body) > 0 {
		n := len(body)
		if u.chunk > 0 {
			n = min(n, u.chunk)
		}
		if _, err := w.Write(body[:n]); err != nil {
			return err
		}
		body = body[n:]
	}
	return nil
}

func navigation(method, target string) *http.Request {
	r := httptest.NewRequest(method, "http://netbox.example.org"+target, nil)
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	r.Header.Set("Sec-Fetch-Dest", "document")
	r.Header.Set("Accept-Encoding", "gzip, deflate, br")
	return r
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("answer is not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("answer is not complete gzip: %v", err)
	}
	return out
}

func TestInjection(t *testing.T) {
	g := newPagesGuard(t, Config{})
	tag := string(g.pages.tag)
	injected := strings.Replace(netboxPage, "</head>", tag+"</head>", 1)
	html := map[string]string{"Content-Type": "text/html; charset=utf-8", "Content-Length": strconv.Itoa(len(netboxPage))}
	cors := func(method, target string) *http.Request {
		r := navigation(method, target)
		r.Header.Set("Sec-Fetch-Mode", "cors")
		r.Header.Set("Sec-Fetch-Dest", "empty")
		return r
	}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range html {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	tests := []struct {
		name         string
		request      *http.Request
		upstream     page
		wantBody     string // decoded
		wantInjected bool
		wantCL       bool // the upstream's Content-Length was kept
		wantAE       bool // Accept-Encoding reached the upstream
	}{
		{name: "navigation page", request: navigation("GET", "/dcim/"), upstream: page{status: 200, header: html, body: []byte(netboxPage)},
			wantBody: injected, wantInjected: true},
		{name: "navigation page in 7-byte writes", request: navigation("GET", "/dcim/"), upstream: page{status: 200, header: html, body: []byte(netboxPage), chunk: 7},
			wantBody: injected, wantInjected: true},
		{name: "form POST answered with a page", request: navigation("POST", "/dcim/devices/add/"), upstream: page{status: 200, header: html, body: []byte(netboxPage)},
			wantBody: injected, wantInjected: true},
		{name: "HEAD is not touched", request: navigation("HEAD", "/dcim/"), upstream: page{status: 200, header: html},
			wantBody: "", wantCL: true, wantAE: true},
		{name: "JSON navigation", request: navigation("GET", "/api/"), upstream: page{status: 200, header: map[string]string{"Content-Type": "application/json", "Content-Length": "13"}, body: []byte(`{"</head>":1}`)},
			wantBody: `{"</head>":1}`, wantCL: true},
		{name: "404 page", request: navigation("GET", "/nope/"), upstream: page{status: 404, header: html, body: []byte(netboxPage)},
			wantBody: netboxPage, wantCL: true},
		{name: "redirect", request: navigation("GET", "/"), upstream: page{status: 302, header: map[string]string{"Location": "/login/", "Content-Length": "0"}},
			wantBody: "", wantCL: true},
		{name: "programmatic HTML is never injected", request: cors("GET", "/plugins/hedgehog/fabrics/1/status/"), upstream: page{status: 200, header: html, body: []byte(netboxPage)},
			wantBody: netboxPage, wantCL: true, wantAE: true},
		// Compression toward the browser is encode's, in front of the guard.
		{name: "gzip upstream is left alone", request: navigation("GET", "/dcim/"), upstream: page{status: 200, header: with(map[string]string{"Content-Encoding": "gzip", "Content-Length": "999"}), body: gzipped(t, []byte(netboxPage)), chunk: 16},
			wantBody: netboxPage, wantCL: true},
		{name: "brotli upstream is left alone", request: navigation("GET", "/dcim/"), upstream: page{status: 200, header: with(map[string]string{"Content-Encoding": "br"}), body: []byte("\x0b\x02\x80<br>")},
			wantBody: "\x0b\x02\x80<br>", wantCL: true},
		// Whether a page has a </head> is only known later: its length is
		// dropped as soon as it could change.
		{name: "page without </head>", request: navigation("GET", "/dcim/"), upstream: page{status: 200, header: with(map[string]string{"Content-Length": "15"}), body: []byte("<p>fragment</p>")},
			wantBody: "<p>fragment</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := tt.upstream
			rec := httptest.NewRecorder()
			if err := g.Serve(rec, tt.request, up.serve); err != nil {
				t.Fatal(err)
			}
			res := rec.Result()
			body := rec.Body.Bytes()
			if res.Header.Get("Content-Encoding") == "gzip" {
				body = gunzipped(t, body)
			}
			if string(body) != tt.wantBody {
				t.Errorf("body %q\nwant %q", body, tt.wantBody)
			}
			if _, has := res.Header["Content-Length"]; has != tt.wantCL {
				t.Errorf("Content-Length present = %v, want %v", has, tt.wantCL)
			}
			if got := strings.Contains(string(body), `.hhgate/shim.js`); got != tt.wantInjected {
				t.Errorf("injected = %v, want %v", got, tt.wantInjected)
			}
			if got := up.got.Header.Get("Accept-Encoding") != ""; got != tt.wantAE {
				t.Errorf("upstream saw Accept-Encoding = %v, want %v", got, tt.wantAE)
			}
		})
	}
}

// TestInjectionKeepsCSPNonce: the script carries the nonce the page's
// policy allows scripts with.
func TestInjectionKeepsCSPNonce(t *testing.T) {
	g := newPagesGuard(t, Config{})
	up := page{status: 200, body: []byte(netboxPage), header: map[string]string{
		"Content-Type":            "text/html",
		"Content-Security-Policy": "default-src 'self'; script-src 'self' 'nonce-R4nd0m+/='",
	}}
	rec := httptest.NewRecorder()
	if err := g.Serve(rec, navigation("GET", "/"), up.serve); err != nil {
		t.Fatal(err)
	}
	want := ` nonce="R4nd0m+/="></script></head>`
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("no %q in %q", want, rec.Body.String())
	}
	if rec.Header().Get("Content-Security-Policy") != up.header["Content-Security-Policy"] {
		t.Errorf("the policy was changed: %q", rec.Header().Get("Content-Security-Policy"))
	}
}

// TestScriptTag: the element points at the versioned shim under the base
// path and tells the shim the login path and warn_before.
func TestScriptTag(t *testing.T) {
	g := newPagesGuard(t, Config{BasePath: "/netbox/", WarnBefore: 300e9})
	tag := string(g.pages.tag)
	for _, want := range []string{
		`<script src="/netbox/.hhgate/shim.js?v=` + g.pages.shimVer + `"`, ` defer`,
		` data-hhgate-login="/netbox/login/"`, ` data-hhgate-warn="300"`, `></script>`,
	} {
		if !strings.Contains(tag, want) {
			t.Errorf("tag %q lacks %q", tag, want)
		}
	}
}

// TestInjectionOffLeavesPagesAlone: without inject_script nothing changes,
// Accept-Encoding included.
func TestInjectionOffLeavesPagesAlone(t *testing.T) {
	g := newTestGuard(t)
	up := page{status: 200, header: map[string]string{"Content-Type": "text/html"}, body: []byte(netboxPage)}
	rec := httptest.NewRecorder()
	if err := g.Serve(rec, navigation("GET", "/"), up.serve); err != nil {
		t.Fatal(err)
	}
	if rec.Body.String() != netboxPage || up.got.Header.Get("Accept-Encoding") == "" {
		t.Errorf("page changed or Accept-Encoding dropped with inject_script off")
	}
	rec = httptest.NewRecorder()
	if err := g.Serve(rec, navigation("GET", "/.hhgate/shim.js"), up.serve); err != nil {
		t.Fatal(err)
	}
	if up.got.URL.Path != "/.hhgate/shim.js" {
		t.Errorf("with inject_script off, .hhgate/ must reach NetBox like any path")
	}
}

// flushRecorder counts flushes.
type flushRecorder struct {
	*httptest.ResponseRecorder
	flushes int
}

func (f *flushRecorder) Flush() { f.flushes++; f.ResponseRecorder.Flush() }

// TestInjectionStreamsFlushes: a page NetBox streams (flushing as it goes)
// reaches the browser as it comes, before and after the injection point.
func TestInjectionStreamsFlushes(t *testing.T) {
	g := newPagesGuard(t, Config{})
	rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
	var seenAtFlush []string
	err := g.Serve(rec, navigation("GET", "/"), func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Content-Type", "text/html")
		for _, part := range []string{"<html><head>", "</head><body>", "rows…", "</body></html>"} {
			if _, err := io.WriteString(w, part); err != nil {
				return err
			}
			if err := http.NewResponseController(w).Flush(); err != nil {
				return err
			}
			seenAtFlush = append(seenAtFlush, rec.Body.String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.flushes != 4 {
		t.Errorf("%d flushes reached the client, want 4", rec.flushes)
	}
	if seenAtFlush[0] != "<html><head>" || !strings.HasSuffix(seenAtFlush[2], "rows…") {
		t.Errorf("bytes were held back across flushes: %q", seenAtFlush)
	}
}
