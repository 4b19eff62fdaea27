package sessionguard

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/netboxhttp"
)

// Session-aware pages (Config.InjectScript): the guard adds the shim script
// to NetBox's HTML pages, records the session's expiry in a cookie of its
// own, and answers a few requests itself under <base_path>.hhgate/:
//
//	shim.js       the script (embedded; versioned URL, ETag)
//	relogin-done  the page the sign-in popup ends on; it tells its opener
//	csrf          GET: a fresh CSRF token, from a NetBox page fetched with
//	              the user's cookies (its window.CSRF_TOKEN, else the CSRF
//	              cookie, else a form's token)
//	session       GET: what the gateway knows of the session, from cookies
//
// They live under NetBox's BASE_PATH because NetBox's cookies are scoped to
// it: /netbox/.hhgate/csrf receives the session cookie, /.hhgate/csrf would
// not.

// DefaultWarnBefore is how long before the session expires the page warns
// by default.
const DefaultWarnBefore = 2 * time.Minute

// EndpointDir is the directory, under the base path, of the guard's own
// endpoints.
const EndpointDir = ".hhgate/"

var (
	//go:embed shim/shim.js
	shimJS []byte
	//go:embed shim/relogin-done.html
	reloginDoneTemplate string
)

// pages is the configuration of session-aware pages, built once.
type pages struct {
	base                string // NetBox's base path, "/" or "/netbox/"
	prefix              string // base + EndpointDir
	loginPath           string
	csrfPage            string
	sessionCookie       string
	csrfCookie          string
	sessionCookiePrefix string // sessionCookie + "=", to spot its Set-Cookie
	cookiePath          string // Path of the expiry cookie: NetBox's cookie path
	warnBefore          time.Duration
	now                 func() time.Time
	log                 *zap.Logger

	tag       []byte // the <script> element without a nonce
	tagPrefix string // the element up to where a nonce attribute goes
	shimETag  string
	shimVer   string // the ?v= of the script URL: the shim's hash

	reloginPage []byte
	reloginCSP  string
}

func newPages(cfg Config, base, loginPath string) (*pages, error) {
	p := &pages{
		base:          base,
		prefix:        base + EndpointDir,
		loginPath:     loginPath,
		csrfPage:      cmp.Or(cfg.CSRFPage, base),
		sessionCookie: cmp.Or(cfg.SessionCookie, "sessionid"),
		csrfCookie:    cmp.Or(cfg.CSRFCookie, "csrftoken"),
		warnBefore:    cfg.WarnBefore,
		now:           cfg.Now,
		log:           cfg.Logger,
	}
	if p.warnBefore == 0 {
		p.warnBefore = DefaultWarnBefore
	}
	if p.warnBefore < time.Second {
		return nil, fmt.Errorf("warn_before: %s must be at least 1s", cfg.WarnBefore)
	}
	if err := netboxhttp.CheckPath(p.csrfPage); err != nil {
		return nil, fmt.Errorf("csrf_page: %w", err)
	}
	if !netboxhttp.IsCookieName(p.sessionCookie) {
		return nil, fmt.Errorf("session_cookie: %q is not a cookie name", p.sessionCookie)
	}
	if !netboxhttp.IsCookieName(p.csrfCookie) {
		return nil, fmt.Errorf("csrf_cookie: %q is not a cookie name", p.csrfCookie)
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = zap.NewNop()
	}
	p.sessionCookiePrefix = p.sessionCookie + "="
	p.cookiePath = strings.TrimSuffix(base, "/")
	if p.cookiePath == "" {
		p.cookiePath = "/"
	}

	sum := sha256.Sum256(shimJS)
	p.shimVer = hex.EncodeToString(sum[:8])
	p.shimETag = `"` + p.shimVer + `"`
	p.tagPrefix = `<script src="` + html.EscapeString(p.prefix+"shim.js?v="+p.shimVer) + `" defer` +
		` data-hhgate-login="` + html.EscapeString(loginPath) + `"` +
		` data-hhgate-warn="` + strconv.Itoa(int(p.warnBefore/time.Second)) + `"`
	p.tag = []byte(p.tagPrefix + `></script>`)

	page, csp, err := reloginDonePage(base)
	if err != nil {
		return nil, err
	}
	p.reloginPage, p.reloginCSP = page, csp
	return p, nil
}

// scriptTag is the element to inject, carrying the page's CSP nonce.
func (p *pages) scriptTag(nonce string) []byte {
	if nonce == "" {
		return p.tag
	}
	return []byte(p.tagPrefix + ` nonce="` + nonce + `"></script>`)
}

// serveWithPages is Guard.Serve with session-aware pages on. Navigations
// are wrapped too (to inject and to record the expiry), with a pooled
// writer; programmatic requests get the usual interceptWriter on top.
func (g *Guard) serveWithPages(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request) error) error {
	p := g.pages
	if p.ownEndpoint(r.URL.Path) {
		return g.serveEndpoint(w, r, next)
	}
	programmatic := g.site.IsProgrammatic(r)
	inject := !programmatic && r.Method != http.MethodHead
	if inject {
		// Ask NetBox for an uncompressed page, so the script goes in without
		// decoding. reverse_proxy's transport still compresses the hop to
		// NetBox when it can (it adds gzip and decodes transparently), and
		// Caddy's encode handler, in front, compresses toward the browser.
		delete(r.Header, "Accept-Encoding")
	}
	pw := p.newPageWriter(w, r, inject)
	defer pw.release()
	if !programmatic {
		err := next(pw, r)
		if ferr := pw.finish(); err == nil {
			err = ferr
		}
		return err
	}
	iw := newInterceptWriter(pw, g, r)
	err := next(iw, r)
	if err != nil {
		err = iw.fail(err)
	} else {
		err = iw.finish()
	}
	if ferr := pw.finish(); err == nil {
		err = ferr
	}
	return err
}

// ownEndpoint reports whether path is one of the guard's endpoints.
// <base_path>.hhgate/fabrics/… belongs to the handlers after the guard
// (hedgehog_sync's fabrics/<id>/plan): it goes on like any programmatic
// request, so that their answers get the guard's treatment too.
func (p *pages) ownEndpoint(path string) bool {
	name, ok := strings.CutPrefix(path, p.prefix)
	return ok && !strings.HasPrefix(name, "fabrics/")
}

// serveEndpoint answers <base_path>.hhgate/… without NetBox (csrf asks it).
func (g *Guard) serveEndpoint(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request) error) error {
	p := g.pages
	name := r.URL.Path[len(p.prefix):]
	safe := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case name == "csrf" && r.Method == http.MethodGet:
		return g.serveCSRF(w, r, next)
	case name == "csrf":
		methodNotAllowed(w, "GET")
	case strings.HasPrefix(name, "fabrics/"):
		// The fabric endpoints (events, plan) belong to hedgehog_sync,
		// after the guard.
		return next(w, r)
	case name != "shim.js" && name != "relogin-done" && name != "session":
		http.NotFound(w, r)
	case !safe:
		methodNotAllowed(w, "GET, HEAD")
	case name == "shim.js":
		p.serveShim(w, r)
	case name == "relogin-done":
		p.serveReloginDone(w)
	default:
		p.serveSession(w, r)
	}
	return nil
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

// serveShim serves the script, gzip-coded when the browser takes it (the
// script is readable, comments and all; coded it is a third of the size).
// The injected URL carries the script's hash, so that URL can be cached for
// good; any other URL revalidates by ETag.
func (p *pages) serveShim(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == p.shimVer {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body, etag := shimJS, p.shimETag
	if acceptsGzip(netboxhttp.First(r.Header, "Accept-Encoding")) {
		body, etag = shimJSGzip(), `"`+p.shimVer+`-gzip"`
		h.Set(hdrContentEnc, "gzip")
	}
	h.Set("Etag", etag)
	http.ServeContent(w, r, "shim.js", time.Time{}, bytes.NewReader(body))
}

// shimJSGzip is the script gzip-coded, once per process.
var shimJSGzip = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(shimJS)                                // writes to memory do not fail
	_ = zw.Close()
	return b.Bytes()
})

// acceptsGzip reads an Accept-Encoding header: gzip (or *) listed without
// q=0.
func acceptsGzip(acceptEncoding string) bool {
	for item := range strings.SplitSeq(acceptEncoding, ",") {
		name, params, _ := strings.Cut(item, ";")
		name = strings.TrimSpace(name)
		if !strings.EqualFold(name, "gzip") && name != "*" {
			continue
		}
		key, value, ok := strings.Cut(params, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(key), "q") {
			return true
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		return err != nil || q > 0
	}
	return false
}

// serveReloginDone serves the page the sign-in popup lands on. Its only
// script is allowed by hash, nothing else is.
func (p *pages) serveReloginDone(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", p.reloginCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.reloginPage)
}

// reloginDonePage fills in the page's link home and builds its policy,
// which allows its inline script by hash.
func reloginDonePage(base string) ([]byte, string, error) {
	page := strings.ReplaceAll(reloginDoneTemplate, "{{home}}", html.EscapeString(base))
	_, rest, ok := strings.Cut(page, "<script>")
	script, _, ok2 := strings.Cut(rest, "</script>")
	if !ok || !ok2 {
		return nil, "", fmt.Errorf("relogin-done page: no inline script")
	}
	sum := sha256.Sum256([]byte(script))
	csp := "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return []byte(page), csp, nil
}
