package sessionguard

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/netboxhttp"
)

// CSRFAnswer is the JSON of GET <base_path>.hhgate/csrf.
type CSRFAnswer struct {
	CSRFToken string `json:"csrf_token"`
}

// csrfPageLimit is how much of the CSRF page is kept to recognise NetBox's
// login form; the token itself is looked for in the whole page, streamed.
const csrfPageLimit = limit403Body

// Request headers not forwarded with the CSRF page request: they describe
// the shim's fetch, not a page load, or would make NetBox answer with less
// than the page (304, a range, a compressed body).
var csrfDroppedHeaders = [...]string{
	"Accept-Encoding", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since",
	"Range", "If-Range", "Content-Type", "Content-Length", "Origin", "X-Requested-With",
	netboxhttp.HeaderHXRequest, netboxhttp.HeaderHXBoosted, netboxhttp.HeaderHXCurrentURL, "Hx-Target", "Hx-Trigger", "Hx-Trigger-Name",
	netboxhttp.HeaderSecFetchMode, netboxhttp.HeaderSecFetchDest, "Sec-Fetch-User",
}

// serveCSRF answers GET .hhgate/csrf: it has the next handler (NetBox)
// render csrf_page with the user's own request headers — cookies included —
// and answers a token NetBox accepts as X-CSRFToken: the page's
// window.CSRF_TOKEN (NetBox ≥ 3.4, in the head), else the CSRF cookie in
// force (the one this render set, else the browser's: NetBox 3.x scripts
// read it), else the page's first csrfmiddlewaretoken input. NetBox's
// Set-Cookie lines go to the browser, so cookie and token stay a pair (a
// page render sets csrftoken when the browser had none; a
// LOGIN_PERSISTENCE session is renewed). If NetBox wants a login the answer
// is the guard's 401.
//
// The token is the one NetBox already gives its pages' scripts; another
// site cannot read this answer (no CORS, and the request is refused when
// the browser says it comes from another site).
func (g *Guard) serveCSRF(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request) error) error {
	p := g.pages
	if site := netboxhttp.First(r.Header, "Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		http.Error(w, "cross-site request refused", http.StatusForbidden)
		return nil
	}
	sub := p.csrfPageRequest(r)
	rec := &pageRecorder{header: http.Header{}, limit: csrfPageLimit,
		cookieName: p.csrfCookie, reqCookie: requestCSRFCookie(r, p.csrfCookie)}
	defer rec.close() // also when next panics: the scanner must not wait for ever
	err := next(rec, sub)

	h := w.Header()
	for _, line := range rec.header["Set-Cookie"] {
		h.Add("Set-Cookie", line)
	}
	p.trackSessionCookie(h, r)
	if err != nil {
		if g.answerError(w, r, err) {
			return nil
		}
		return err
	}
	body := decoded(netboxhttp.First(rec.header, hdrContentEnc), rec.body)
	if rec.status >= 300 && rec.status < 400 && netboxhttp.IsLoginLocation(netboxhttp.First(rec.header, hdrLocation), sub.URL.Path, r.Host, g.site.LoginPath()) ||
		rec.status == http.StatusOK && netboxhttp.IsHTMLContentType(netboxhttp.First(rec.header, netboxhttp.HeaderContentType)) && g.isLoginForm(body) {
		page := netboxhttp.CurrentPage(r)
		if strings.HasPrefix(page, p.prefix) {
			page = p.base // a direct visit: come back to NetBox, not here
		}
		g.site.WriteAuthRequired(w, r, g.site.LoginURL(page))
		g.notify(r, netboxhttp.CodeAuthenticationRequired, rec.status)
		return nil
	}
	if token := rec.token(); token != "" {
		writeEndpointJSON(w, http.StatusOK, CSRFAnswer{CSRFToken: token})
		return nil
	}
	// NetBox answered, but there is no token to be had: the browser holds no
	// CSRF cookie and the page sets and shows none. The page's requests
	// then go as they were.
	p.log.Warn("csrf_page gave no CSRF token and the browser has no CSRF cookie",
		zap.String("csrf_page", p.csrfPage), zap.String("csrf_cookie", p.csrfCookie), zap.Int("upstream_status", rec.status))
	if rec.status >= 500 {
		netboxhttp.Write(w, rec.status, netboxhttp.NewBody(netboxhttp.CodeUpstreamError, "NetBox could not render the page the CSRF token comes from.", ""))
		return nil
	}
	writeEndpointJSON(w, http.StatusOK, CSRFAnswer{})
	return nil
}

// csrfPageRequest is r turned into a page load of csrf_page.
func (p *pages) csrfPageRequest(r *http.Request) *http.Request {
	sub := r.Clone(r.Context())
	sub.Method = http.MethodGet
	u := *r.URL
	u.Path, u.RawPath, u.RawQuery, u.Fragment = p.csrfPage, "", "", ""
	sub.URL = &u
	sub.RequestURI = p.csrfPage
	sub.Body, sub.ContentLength = http.NoBody, 0
	for _, k := range csrfDroppedHeaders {
		delete(sub.Header, k)
	}
	sub.Header.Set(netboxhttp.HeaderAccept, "text/html")
	return sub
}

// pageRecorder is the ResponseWriter of the internal CSRF page request: it
// keeps the headers, the status and the head of the body (for the login
// form check), and streams a 200 HTML page past a token scanner.
type pageRecorder struct {
	header http.Header
	status int
	body   []byte
	limit  int

	cookieName string
	reqCookie  string // the browser's CSRF cookie
	cookie     string // the CSRF cookie in force after this answer
	scan       *pageScan
}

func (rec *pageRecorder) Header() http.Header { return rec.header }

func (rec *pageRecorder) WriteHeader(status int) {
	if rec.status != 0 || (status >= 100 && status < 200) {
		return
	}
	rec.status = status
	rec.cookie = rec.reqCookie
	if tok, set := csrfCookieToken(rec.header["Set-Cookie"], rec.cookieName); set {
		rec.cookie = tok
	}
	enc := netboxhttp.First(rec.header, hdrContentEnc)
	if status == http.StatusOK && netboxhttp.IsHTMLContentType(netboxhttp.First(rec.header, netboxhttp.HeaderContentType)) && inspectableEncoding(enc) {
		// With a cookie token at hand only the head is worth reading
		// (window.CSRF_TOKEN); without one, a form's token anywhere.
		rec.scan = startPageScan(strings.EqualFold(enc, "gzip"), rec.cookie != "")
	}
}

func (rec *pageRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	if room := rec.limit - len(rec.body); room > 0 {
		rec.body = append(rec.body, b[:min(room, len(b))]...)
	}
	if rec.scan != nil {
		rec.scan.write(b)
	}
	return len(b), nil
}

// Flush is a no-op: the answer is built once the page is read.
func (rec *pageRecorder) Flush() {}

// token is the token the page gives its scripts, else the CSRF cookie in
// force; "" when there is neither.
func (rec *pageRecorder) token() string {
	if rec.scan != nil {
		if tok := rec.scan.finish(); tok != "" {
			return tok
		}
	}
	return rec.cookie
}

// close ends a scan that is still running (the page was not needed).
func (rec *pageRecorder) close() {
	if rec.scan != nil {
		rec.scan.finish()
	}
}

// pageScan runs scanCSRFToken over a page as it is written: the writer
// feeds a pipe, the scanner reads it in its own goroutine. Once the scanner
// is done the rest of the page is dropped unread.
type pageScan struct {
	pw      *io.PipeWriter
	result  chan string
	stopped bool
	token   string
	done    bool
}

func startPageScan(gzipped, stopAtBody bool) *pageScan {
	pr, pw := io.Pipe()
	s := &pageScan{pw: pw, result: make(chan string, 1)}
	go func() {
		var tok string
		var src io.Reader = pr
		if gzipped {
			if zr, err := gzip.NewReader(pr); err == nil {
				src = zr
			} else {
				src = nil
			}
		}
		if src != nil {
			tok = scanCSRFToken(src, stopAtBody)
		}
		pr.CloseWithError(errScanDone)
		s.result <- tok
	}()
	return s
}

func (s *pageScan) write(b []byte) {
	if s.stopped {
		return
	}
	if _, err := s.pw.Write(b); err != nil {
		s.stopped = true
	}
}

// finish ends the page and waits for the scanner's answer.
func (s *pageScan) finish() string {
	if !s.done {
		s.done = true
		s.pw.Close()
		s.token = <-s.result
	}
	return s.token
}
