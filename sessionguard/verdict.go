package sessionguard

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/hhgate/hhgate/netboxhttp"
)

// verdict is what the guard makes of an upstream answer.
type verdict uint8

const (
	pass           verdict = iota // not a "log in" answer: send it as it is
	authRequired                  // NetBox wants the user to log in
	csrfFailed                    // NetBox refused the CSRF token
	upstreamFailed                // NetBox (or a server in front of it) failed with an HTML or text page
)

// inspection says which part of a body must be read before a verdict.
type inspection uint8

const (
	inspectNone inspection = iota
	// inspect403HTML: Django's CSRF failure page (or NetBox's GraphQL
	// "No credentials provided.") is an HTML 403.
	inspect403HTML
	// inspect403JSON: DRF's {"detail": …} 403.
	inspect403JSON
	// inspectLoginPage: a 200 HTML page that may be the login form, when the
	// request was for another path (a redirect followed by something between
	// the browser and us, or a view rendering the login page itself).
	inspectLoginPage
)

// Body sizes read before a verdict. Django's CSRF page is ≈2.9 KB and a DRF
// detail far less; NetBox's login form is found near the top of the page.
const (
	limit403Body   = 64 << 10
	limitLoginPeek = 16 << 10
)

// Markers of NetBox answers.
const (
	markerCSRFPage       = "CSRF verification failed"
	markerGraphQLNoCreds = "No credentials provided."
	detailNoCredentials  = "Authentication credentials were not provided."
	detailCSRFPrefix     = "CSRF Failed"
)

// judgeHeader decides from the status and headers alone, or says which body
// inspection is needed. Only the answers NetBox gives when it wants a login
// are ever held back; everything else streams.
func (g *Guard) judgeHeader(r *http.Request, status int, h http.Header) (verdict, inspection) {
	switch {
	case status >= 300 && status < 400 && status != http.StatusNotModified:
		if netboxhttp.IsLoginLocation(netboxhttp.First(h, hdrLocation), r.URL.Path, r.Host, g.site.LoginPath()) {
			return authRequired, inspectNone
		}
	case status == http.StatusForbidden:
		if !inspectableEncoding(netboxhttp.First(h, hdrContentEnc)) {
			return pass, inspectNone
		}
		ct := netboxhttp.First(h, netboxhttp.HeaderContentType)
		if netboxhttp.IsJSONContentType(ct) {
			return pass, inspect403JSON
		}
		if netboxhttp.IsHTMLContentType(ct) {
			return pass, inspect403HTML
		}
	case status == http.StatusOK:
		if r.URL.Path != g.site.LoginPath() && netboxhttp.IsHTMLContentType(netboxhttp.First(h, netboxhttp.HeaderContentType)) &&
			inspectableEncoding(netboxhttp.First(h, hdrContentEnc)) {
			return pass, inspectLoginPage
		}
	case status >= 500 && status <= 599:
		// A script cannot read Django's or gunicorn's error page either; an
		// API's JSON error passes untouched.
		if ct := netboxhttp.First(h, netboxhttp.HeaderContentType); netboxhttp.IsHTMLContentType(ct) || netboxhttp.IsPlainTextContentType(ct) {
			return upstreamFailed, inspectNone
		}
	}
	return pass, inspectNone
}

// judgeBody decides from the (possibly truncated) body.
func (g *Guard) judgeBody(r *http.Request, kind inspection, contentEncoding string, body []byte) verdict {
	body = decoded(contentEncoding, body)
	noAuthorization := len(r.Header[hdrAuthorization]) == 0
	switch kind {
	case inspect403HTML:
		if bytes.Contains(body, []byte(markerCSRFPage)) {
			return csrfFailed
		}
		if noAuthorization && bytes.Equal(bytes.TrimSpace(body), []byte(markerGraphQLNoCreds)) {
			return authRequired
		}
	case inspect403JSON:
		var drf struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal(body, &drf) != nil {
			return pass
		}
		if strings.HasPrefix(drf.Detail, detailCSRFPrefix) {
			return csrfFailed
		}
		if noAuthorization && drf.Detail == detailNoCredentials {
			return authRequired
		}
	case inspectLoginPage:
		if g.isLoginForm(body) {
			return authRequired
		}
	}
	return pass
}

// isLoginForm looks for NetBox's login form: a form posting to the login
// path together with a password field.
func (g *Guard) isLoginForm(page []byte) bool {
	return (bytes.Contains(page, g.formActionDQ) || bytes.Contains(page, g.formActionSQ)) &&
		(bytes.Contains(page, []byte(`name="password"`)) || bytes.Contains(page, []byte(`name='password'`)))
}

// inspectableEncoding reports the content codings whose body the guard can
// read: none, and gzip. Anything else is streamed untouched.
func inspectableEncoding(contentEncoding string) bool {
	return contentEncoding == "" || strings.EqualFold(contentEncoding, "identity") || strings.EqualFold(contentEncoding, "gzip")
}

// decoded returns body without its gzip coding. A truncated stream yields
// what could be decoded, which is enough to look for a marker.
func decoded(contentEncoding string, body []byte) []byte {
	if !strings.EqualFold(contentEncoding, "gzip") {
		return body
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(io.LimitReader(zr, limit403Body))
	return out
}
