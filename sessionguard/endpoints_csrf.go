package sessionguard

import (
	"bytes"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/jsonerror"
)

// CSRFAnswer is the JSON of GET <base_path>.hhgate/csrf.
type CSRFAnswer struct {
	CSRFToken string `json:"csrf_token"`
}

// csrfPageLimit is how much of the CSRF page is read: NetBox puts
// window.CSRF_TOKEN in the head, and the login form is near the top.
const csrfPageLimit = limit403Body

// Request headers not forwarded with the CSRF page request: they describe
// the shim's fetch, not a page load, or would make NetBox answer with less
// than the page (304, a range, a compressed body).
var csrfDroppedHeaders = [...]string{
	"Accept-Encoding", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since",
	"Range", "If-Range", "Content-Type", "Content-Length", "Origin", "X-Requested-With",
	hdrHXRequest, hdrHXBoosted, hdrHXCurrentURL, "Hx-Target", "Hx-Trigger", "Hx-Trigger-Name",
	hdrSecFetchMode, hdrSecFetchDest, "Sec-Fetch-User",
}

// serveCSRF answers GET .hhgate/csrf: it has the next handler (NetBox)
// render csrf_page with the user's own request headers — cookies included —
// and answers the page's window.CSRF_TOKEN as JSON. NetBox's Set-Cookie
// lines go to the browser, so cookie and token stay a pair (a page render
// sets csrftoken when the browser had none; a LOGIN_PERSISTENCE session is
// renewed). If NetBox wants a login the answer is the guard's 401.
//
// The token is the one every NetBox page already holds for its scripts;
// another site cannot read this answer (no CORS, and the request is refused
// when the browser says it comes from another site).
func (g *Guard) serveCSRF(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request) error) error {
	p := g.pages
	if site := first(r.Header, "Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		http.Error(w, "cross-site request refused", http.StatusForbidden)
		return nil
	}
	sub := p.csrfPageRequest(r)
	rec := &pageRecorder{header: http.Header{}, limit: csrfPageLimit}
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
	body := decoded(first(rec.header, hdrContentEnc), rec.body)
	switch {
	case rec.status >= 300 && rec.status < 400 && IsLoginLocation(first(rec.header, hdrLocation), sub.URL.Path, r.Host, g.loginPath),
		rec.status == http.StatusOK && isHTMLContentType(first(rec.header, hdrContentType)) && g.isLoginForm(body):
		page := CurrentPage(r)
		if strings.HasPrefix(page, p.prefix) {
			page = p.base // a direct visit: come back to NetBox, not here
		}
		g.AnswerAuthRequired(w, r, func(string) string { return LoginURL(g.loginPath, page) })
		g.notify(r, jsonerror.CodeAuthenticationRequired, rec.status)
		return nil
	case rec.status == http.StatusOK:
		if token := findCSRFToken(body); token != "" {
			writeEndpointJSON(w, http.StatusOK, CSRFAnswer{CSRFToken: token})
			return nil
		}
	}
	p.log.Warn("csrf_page gave no CSRF token",
		zap.String("csrf_page", p.csrfPage), zap.Int("upstream_status", rec.status))
	jsonerror.Write(w, http.StatusBadGateway, jsonerror.New(jsonerror.CodeInternal, DefaultInternalMessage, ""))
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
	sub.Header.Set(hdrAccept, "text/html")
	return sub
}

// findCSRFToken reads window.CSRF_TOKEN = "…" (NetBox's base template), or
// else the first csrfmiddlewaretoken input.
func findCSRFToken(page []byte) string {
	if tok := valueAfter(page, []byte("window.CSRF_TOKEN"), '='); tok != "" {
		return tok
	}
	return valueAfter(page, []byte(`name="csrfmiddlewaretoken"`), 0)
}

// valueAfter finds marker, then (if sep is not 0) sep, then a quoted
// value, skipping spaces and, for an input, a `value=`. It answers only
// values that look like a token.
func valueAfter(page, marker []byte, sep byte) string {
	i := bytes.Index(page, marker)
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(page[i+len(marker):], " \t\r\n")
	if sep != 0 {
		if len(rest) == 0 || rest[0] != sep {
			return ""
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	} else {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if !bytes.HasPrefix(rest, []byte("value=")) {
			return ""
		}
		rest = rest[len("value="):]
	}
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	end := bytes.IndexByte(rest[1:], rest[0])
	if end <= 0 || end > 256 {
		return ""
	}
	tok := rest[1 : 1+end]
	for _, c := range tok {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return string(tok)
}

// pageRecorder is the ResponseWriter of the internal CSRF page request: it
// keeps the headers, the status and the head of the body.
type pageRecorder struct {
	header http.Header
	status int
	body   []byte
	limit  int
}

func (rec *pageRecorder) Header() http.Header { return rec.header }

func (rec *pageRecorder) WriteHeader(status int) {
	if rec.status == 0 && (status < 100 || status >= 200) {
		rec.status = status
	}
}

func (rec *pageRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if room := rec.limit - len(rec.body); room > 0 {
		rec.body = append(rec.body, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

// Flush is a no-op: the answer is built once the page is read.
func (rec *pageRecorder) Flush() {}
