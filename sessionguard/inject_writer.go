package sessionguard

import (
	"net/http"
	"strings"
	"sync"

	"github.com/hhgate/hhgate/netboxhttp"
)

// pageWriterState is where a pageWriter stands with the upstream answer.
type pageWriterState uint8

const (
	pageUndecided pageWriterState = iota // no status yet
	pagePassing                          // not injected: bytes go straight through
	pageInjecting                        // identity HTML: through headInjector
)

// pageWriter is the ResponseWriter every request gets while session-aware
// pages are on. At WriteHeader it records NetBox's session expiry from the
// session Set-Cookie (all requests), and for a navigation answered 200
// text/html it adds the shim <script> before </head> while streaming.
// Everything else passes through untouched.
//
// pageWriters are pooled, so that wrapping costs no allocation per request.
type pageWriter struct {
	wrappedWriter
	p      *pages
	r      *http.Request
	inject bool // a navigation whose 200 HTML answer gets the script
	state  pageWriterState
	head   headInjector
}

var pageWriterPool = sync.Pool{New: func() any { return new(pageWriter) }}

func (p *pages) newPageWriter(w http.ResponseWriter, r *http.Request, inject bool) *pageWriter {
	pw := pageWriterPool.Get().(*pageWriter)
	*pw = pageWriter{wrappedWriter: wrappedWriter{w: w, hooks: pw}, p: p, r: r, inject: inject}
	return pw
}

// release returns pw to the pool; pw must not be used after.
func (pw *pageWriter) release() {
	*pw = pageWriter{}
	pageWriterPool.Put(pw)
}

func (pw *pageWriter) WriteHeader(status int) {
	if pw.state != pageUndecided {
		return
	}
	if status >= 100 && status < 200 && status != http.StatusSwitchingProtocols {
		pw.w.WriteHeader(status) // informational: pass on, stay undecided
		return
	}
	h := pw.w.Header()
	pw.p.trackSessionCookie(h, pw.r)
	pw.state = pagePassing
	if pw.inject && status == http.StatusOK && netboxhttp.IsHTMLContentType(netboxhttp.First(h, netboxhttp.HeaderContentType)) {
		pw.startInjecting(h)
	}
	pw.w.WriteHeader(status)
}

// startInjecting injects into uncompressed answers only. The guard asked
// NetBox for one (reverse_proxy's transport decodes what it compresses on
// the hop), and compression toward the browser is Caddy's encode handler's
// job, in front of the guard; a coded answer is something in between that
// compresses regardless, and is left alone.
func (pw *pageWriter) startInjecting(h http.Header) {
	if enc := netboxhttp.First(h, hdrContentEnc); enc != "" && !strings.EqualFold(enc, "identity") {
		return
	}
	pw.state = pageInjecting
	pw.head.reset(pw.w, pw.p.scriptTag(scriptNonce(h)))
	// The body grows; an ETag still names it (the same page always gets the
	// same tag), but its length is no longer NetBox's.
	delete(h, "Content-Length")
}

func (pw *pageWriter) Write(b []byte) (int, error) {
	if pw.state == pageUndecided {
		pw.WriteHeader(http.StatusOK)
	}
	switch pw.state {
	case pageInjecting:
		return pw.head.Write(b)
	}
	return pw.w.Write(b)
}

// beforeFlush: bytes held back by the injector (at most a partial
// "</head") stay held: they cannot be sent before the next byte is known.
func (pw *pageWriter) beforeFlush() (bool, error) {
	if pw.state == pageUndecided {
		pw.WriteHeader(http.StatusOK)
	}
	return true, nil
}

func (pw *pageWriter) beforeHijack() { pw.state = pagePassing }

// finish ends the body after the next handler returned: what the injector
// still holds goes out.
func (pw *pageWriter) finish() error {
	switch pw.state {
	case pageInjecting:
		return pw.head.Close()
	}
	return nil
}
