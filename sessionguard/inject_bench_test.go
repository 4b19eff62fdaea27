package sessionguard

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// benchPage is a NetBox-sized page (≈32 KiB; NetBox's object pages weigh
// 20–100 KiB) whose </head> comes after ≈1.5 KiB, as in NetBox.
var benchPage = func() []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8" /><title>Fabric | NetBox</title>`)
	for i := range 12 {
		fmt.Fprintf(&b, `<link rel="stylesheet" href="/static/netbox-%d.css?v=4.3.0" />`, i)
	}
	b.WriteString(`<script type="text/javascript">window.CSRF_TOKEN = "token";</script></head><body><table>`)
	for i := 1; b.Len() < 32<<10; i++ {
		fmt.Fprintf(&b, `<tr><td><a href="/dcim/devices/%d/">leaf-%02d</a></td><td>active</td></tr>`, i, i)
	}
	b.WriteString(`</table></body></html>`)
	return []byte(b.String())
}()

// upstreamPage answers benchPage like NetBox: HTML with a Content-Length,
// in the 32 KiB writes of reverse_proxy's copy buffer.
func upstreamPage(header string) func(w http.ResponseWriter, _ *http.Request) error {
	length := strconv.Itoa(len(benchPage))
	return func(w http.ResponseWriter, _ *http.Request) error {
		h := w.Header()
		h["Content-Type"] = []string{"text/html; charset=utf-8"}
		h["Content-Length"] = []string{length}
		if header != "" {
			h[hdrCSP] = []string{header}
		}
		w.WriteHeader(http.StatusOK)
		for body := benchPage; len(body) > 0; {
			n := min(len(body), 32<<10)
			if _, err := w.Write(body[:n]); err != nil {
				return err
			}
			body = body[n:]
		}
		return nil
	}
}

func pageNavigation() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://netbox.example.org/plugins/hedgehog/fabrics/35/", nil)
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	return r
}

// BenchmarkInjection is the cost of session-aware pages on an HTML
// navigation: the same page through the guard with inject_script off and
// on (and with a CSP nonce to copy). `make bench` prints it.
func BenchmarkInjection(b *testing.B) {
	off := newTestGuard(b)
	on := newPagesGuard(b, Config{})
	w := &discardWriter{h: http.Header{}}
	cases := []struct {
		name     string
		g        *Guard
		upstream func(http.ResponseWriter, *http.Request) error
	}{
		{"inject-off", off, upstreamPage("")},
		{"inject-on", on, upstreamPage("")},
		{"inject-on-nonce", on, upstreamPage("script-src 'self' 'nonce-c2VjcmV0LW5vbmNl'")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r := pageNavigation()
			b.SetBytes(int64(len(benchPage)))
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				_ = c.g.Serve(w, r, c.upstream)
			}
		})
	}
}

// TestPagesAllocationBudget holds session-aware pages to their budget, on
// top of the guard's (TestPassthroughAllocationBudget): with inject_script
// on, a navigation costs no extra allocation whether or not its page gets
// the script (the writer is pooled, the tag prebuilt), and a programmatic
// request passing through stays within the guard's two.
func TestPagesAllocationBudget(t *testing.T) {
	g := newPagesGuard(t, Config{})
	programmatic, navigation := passthroughRequests()
	w := &discardWriter{h: http.Header{}}
	measure := func(f func()) float64 { return testing.AllocsPerRun(200, func() { clear(w.h); f() }) }

	base := measure(func() { _ = upstreamJSON(w, programmatic) })
	if got := measure(func() { _ = g.Serve(w, navigation, upstreamJSON) }) - base; got != 0 {
		t.Errorf("navigation passthrough with inject_script: %v extra allocations, want 0", got)
	}
	if got := measure(func() { _ = g.Serve(w, programmatic, upstreamJSON) }) - base; got > 2 {
		t.Errorf("programmatic passthrough with inject_script: %v extra allocations, want ≤ 2", got)
	}

	page := pageNavigation()
	html := upstreamPage("")
	basePage := measure(func() { _ = html(w, page) })
	if got := measure(func() { _ = g.Serve(w, page, html) }) - basePage; got != 0 {
		t.Errorf("injected page: %v extra allocations, want 0", got)
	}
	// A nonce makes the tag per page: one string and its bytes.
	nonce := upstreamPage("script-src 'nonce-abc'")
	baseNonce := measure(func() { _ = nonce(w, page) })
	if got := measure(func() { _ = g.Serve(w, page, nonce) }) - baseNonce; got > 2 {
		t.Errorf("injected page with a CSP nonce: %v extra allocations, want ≤ 2", got)
	}
}
