package oidcsession

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/netboxhttp"
)

// CodeIdPUnavailable is the JSON error code of a 503 answered because the
// identity provider is needed and cannot be reached.
const CodeIdPUnavailable = "idp_unavailable"

// Texts of the gateway's own answers.
const (
	msgIdPUnavailable   = "The sign-in service is not reachable right now. Please try again in a moment."
	msgStoreUnavailable = "The sign-in session store is not reachable right now. Please try again in a moment."
	// msgRenewalUnavailable: the session is intact, its tokens have expired,
	// and the IdP cannot renew them. Nobody needs to sign in again.
	msgRenewalUnavailable = "You are still signed in, but your sign-in must be renewed at the identity provider, " +
		"which is not reachable right now. Please try again in a moment; you will not have to sign in again."
)

var errMissingIDToken = errors.New("the token response carries no ID token")

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; }
a.button { display: inline-block; margin-top: 1rem; padding: .5rem 1rem; background: #1f6feb; color: #fff; border-radius: 4px; text-decoration: none; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{if .Link}}<p><a class="button" href="{{.Link}}">{{.LinkText}}</a></p>{{end}}
</body>
</html>
`))

type page struct {
	Title, Message, Link, LinkText string
}

// writePage answers with a small HTML page, never cached.
func writePage(w http.ResponseWriter, status int, p page) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		http.Error(w, p.Title, status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage is the clear page a failed sign-in ends on, with a link to try
// again.
func (h *Handler) errorPage(w http.ResponseWriter, _ *http.Request, status int, title, message, retry string) {
	writePage(w, status, page{Title: title, Message: message, Link: retry, LinkText: "Sign in again"})
}

// answerUnavailable is the 503 for a request that needs the session store
// while it cannot be reached: JSON for scripts (the upstream_unavailable
// code the guard uses), a plain page for navigations.
func (h *Handler) answerUnavailable(w http.ResponseWriter, r *http.Request, message string) {
	h.answer503(w, r, netboxhttp.CodeUpstreamUnavailable, page{Title: "Sign-in unavailable", Message: message})
}

// answerIdPUnavailable is the 503 for a request that needs the IdP while it
// cannot be reached: JSON idp_unavailable for scripts, a page for
// navigations with a link that tries the same page again.
func (h *Handler) answerIdPUnavailable(w http.ResponseWriter, r *http.Request, message string) {
	p := page{Title: "Sign-in service unreachable", Message: message}
	if r.Method == http.MethodGet {
		p.Link, p.LinkText = h.returnPath(r.URL.RequestURI(), r), "Try again"
	}
	h.answer503(w, r, CodeIdPUnavailable, p)
}

// answerSessionError answers a request whose session could not be checked
// (liveSession's error).
func (h *Handler) answerSessionError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errIdPUnavailable) {
		h.answerIdPUnavailable(w, r, msgRenewalUnavailable)
		return
	}
	h.log.Error("reading the session store", zap.Error(err))
	h.answerUnavailable(w, r, msgStoreUnavailable)
}

func (h *Handler) answer503(w http.ResponseWriter, r *http.Request, code string, p page) {
	w.Header().Set("Retry-After", "5")
	if h.isScript(r) {
		netboxhttp.Write(w, http.StatusServiceUnavailable, netboxhttp.NewBody(code, p.Message, ""))
		return
	}
	writePage(w, http.StatusServiceUnavailable, p)
}
