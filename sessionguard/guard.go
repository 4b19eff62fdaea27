package sessionguard

import (
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/netboxhttp"
)

// Config configures a Guard. Field errors name the Caddy configuration field.
type Config struct {
	// BasePath is NetBox's BASE_PATH as a path ("/" or "/netbox/"); it
	// prefixes the defaults of LoginPath and APIPrefixes.
	BasePath string
	// LoginPath is NetBox's LOGIN_URL path. Default BasePath + "login/".
	LoginPath string
	// APIPrefixes default to BasePath + "api/" and BasePath + "graphql/".
	APIPrefixes []string
	// AJAXPaths are extra patterns of programmatic requests (see
	// netboxhttp.PathPattern).
	AJAXPaths []string
	// Message, CSRFMessage and UnavailableMessage replace the default texts
	// (netboxhttp.Texts).
	netboxhttp.Texts

	// StatusOf maps an error returned by the next handler to the HTTP status
	// the server would answer with (Caddy's HandlerError); nil means 502.
	StatusOf func(error) int
	// OnIntercept, if set, is told about every answer the guard writes, with
	// the upstream status it replaced (0 for a proxy error).
	OnIntercept func(r *http.Request, code string, upstreamStatus int)

	// InjectScript turns on session-aware pages (see endpoints.go): the shim
	// script in HTML navigations, the <base_path>.hhgate/ endpoints and the
	// session-expiry cookie. The fields below only matter when it is on.
	InjectScript bool
	// WarnBefore is how long before the session expires the page warns.
	// Default DefaultWarnBefore.
	WarnBefore time.Duration
	// CSRFPage is the NetBox page /.hhgate/csrf reads a fresh token from.
	// Default BasePath.
	CSRFPage string
	// SessionCookie is NetBox's SESSION_COOKIE_NAME. Default "sessionid".
	SessionCookie string
	// CSRFCookie is NetBox's CSRF_COOKIE_NAME. Default "csrftoken".
	CSRFCookie string
	// Logger receives the guard's own log lines; nil discards them.
	Logger *zap.Logger
	// Now is the clock of the expiry cookie and /.hhgate/session; nil means
	// time.Now. Tests set it.
	Now func() time.Time
}

// Guard is the session guard. It is safe for concurrent use.
type Guard struct {
	site         *netboxhttp.Site
	formActionDQ []byte
	formActionSQ []byte
	statusOf     func(error) int
	onIntercept  func(*http.Request, string, int)
	pages        *pages // nil unless Config.InjectScript
}

// New checks cfg and builds a Guard.
func New(cfg Config) (*Guard, error) {
	site, err := netboxhttp.New(netboxhttp.Config{
		BasePath: cfg.BasePath, LoginPath: cfg.LoginPath, APIPrefixes: cfg.APIPrefixes, AJAXPaths: cfg.AJAXPaths,
		Texts: cfg.Texts,
	})
	if err != nil {
		return nil, err
	}
	g := &Guard{
		site:         site,
		formActionDQ: []byte(`action="` + site.LoginPath()),
		formActionSQ: []byte(`action='` + site.LoginPath()),
		statusOf:     cfg.StatusOf,
		onIntercept:  cfg.OnIntercept,
	}
	if cfg.InjectScript {
		if g.pages, err = newPages(cfg, site.BasePath(), site.LoginPath()); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Serve runs next for r. For a programmatic request it rewrites NetBox's
// "log in" answers and turns a proxy error into a JSON answer; navigations
// reach next with the original ResponseWriter, untouched. With InjectScript
// the guard also answers its endpoints and wraps navigations (see
// serveWithPages).
func (g *Guard) Serve(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request) error) error {
	if g.pages != nil {
		return g.serveWithPages(w, r, next)
	}
	if !g.site.IsProgrammatic(r) {
		return next(w, r)
	}
	iw := newInterceptWriter(w, g, r)
	err := next(iw, r)
	if err != nil {
		return iw.fail(err)
	}
	return iw.finish()
}

// answer replaces an upstream answer (whose headers are in w.Header()) with
// the guard's JSON for v. Upstream Set-Cookie stays: the browser's cookies
// must follow NetBox's (a logout, a rotated CSRF token).
func (g *Guard) answer(w http.ResponseWriter, r *http.Request, v verdict, upstreamStatus int) {
	dropBodyHeaders(w.Header())
	switch v {
	case authRequired:
		g.site.WriteAuthRequired(w, r, g.site.LoginURL(netboxhttp.CurrentPage(r)))
		g.notify(r, netboxhttp.CodeAuthenticationRequired, upstreamStatus)
	case csrfFailed:
		g.site.WriteCSRFFailed(w, r)
		g.notify(r, netboxhttp.CodeCSRFFailed, upstreamStatus)
	case upstreamFailed:
		msg := fmt.Sprintf("NetBox could not complete this request (HTTP %d). Please try again; if it persists, tell your NetBox administrator.", upstreamStatus)
		netboxhttp.Write(w, upstreamStatus, netboxhttp.NewBody(netboxhttp.CodeUpstreamError, msg, ""))
		g.notify(r, netboxhttp.CodeUpstreamError, upstreamStatus)
	}
}

// answerError turns a handler error into JSON when nothing was written yet.
// It reports whether it answered.
func (g *Guard) answerError(w http.ResponseWriter, r *http.Request, err error) bool {
	status := http.StatusBadGateway
	if g.statusOf != nil {
		status = g.statusOf(err)
	}
	switch {
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		g.site.WriteUnavailable(w, status)
		g.notify(r, netboxhttp.CodeUpstreamUnavailable, 0)
		return true
	case status >= 500 && status <= 599:
		netboxhttp.Write(w, status, netboxhttp.NewBody(netboxhttp.CodeInternal, netboxhttp.DefaultInternalMessage, ""))
		g.notify(r, netboxhttp.CodeInternal, 0)
		return true
	}
	return false
}

func (g *Guard) notify(r *http.Request, code string, upstreamStatus int) {
	if g.onIntercept != nil {
		g.onIntercept(r, code, upstreamStatus)
	}
}

// dropBodyHeaders removes the headers that described the replaced body or
// sent the browser elsewhere.
func dropBodyHeaders(h http.Header) {
	for _, k := range [...]string{
		hdrLocation, "Content-Length", netboxhttp.HeaderContentType, hdrContentEnc, "Content-Language",
		"Content-Disposition", "Content-Range", "Etag", "Last-Modified", "Expires", "Refresh",
		"Transfer-Encoding", "Accept-Ranges",
	} {
		delete(h, k)
	}
}
