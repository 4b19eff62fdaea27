package sessionguard

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/jsonerror"
)

// Default texts of the answers.
const (
	DefaultMessage            = "Your session has expired. Please sign in again."
	DefaultCSRFMessage        = "Your security token has expired. Please reload the page and try again."
	DefaultUnavailableMessage = "NetBox is not reachable right now. Please try again in a moment."
	DefaultInternalMessage    = "The gateway could not complete this request."
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
	// AJAXPaths are extra patterns of programmatic requests (see PathPattern).
	AJAXPaths []string
	// Message, CSRFMessage and UnavailableMessage replace the default texts.
	Message            string
	CSRFMessage        string
	UnavailableMessage string

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
	classifier   Classifier
	loginPath    string
	formActionDQ []byte
	formActionSQ []byte
	message      string
	csrfMessage  string
	unavailable  string
	statusOf     func(error) int
	onIntercept  func(*http.Request, string, int)
	pages        *pages // nil unless Config.InjectScript
}

// New checks cfg and builds a Guard.
func New(cfg Config) (*Guard, error) {
	base := cfg.BasePath
	if base == "" {
		base = "/"
	}
	if err := checkPath(base); err != nil {
		return nil, fmt.Errorf("base_path: %w", err)
	}
	if !strings.HasSuffix(base, "/") {
		return nil, fmt.Errorf("base_path: %q must end with /", base)
	}
	g := &Guard{
		loginPath:   cfg.LoginPath,
		message:     orDefault(cfg.Message, DefaultMessage),
		csrfMessage: orDefault(cfg.CSRFMessage, DefaultCSRFMessage),
		unavailable: orDefault(cfg.UnavailableMessage, DefaultUnavailableMessage),
		statusOf:    cfg.StatusOf,
		onIntercept: cfg.OnIntercept,
	}
	if g.loginPath == "" {
		g.loginPath = base + "login/"
	}
	if err := checkPath(g.loginPath); err != nil {
		return nil, fmt.Errorf("login_path: %w", err)
	}
	g.formActionDQ = []byte(`action="` + g.loginPath)
	g.formActionSQ = []byte(`action='` + g.loginPath)

	prefixes := cfg.APIPrefixes
	if len(prefixes) == 0 {
		prefixes = []string{base + "api/", base + "graphql/"}
	}
	for i, p := range prefixes {
		if err := checkPath(p); err != nil {
			return nil, fmt.Errorf("api_prefix[%d]: %w", i, err)
		}
	}
	g.classifier.APIPrefixes = prefixes
	for i, p := range cfg.AJAXPaths {
		pp, err := ParsePathPattern(p)
		if err != nil {
			return nil, fmt.Errorf("ajax_path[%d]: %w", i, err)
		}
		g.classifier.AJAXPaths = append(g.classifier.AJAXPaths, pp)
	}
	for name, text := range map[string]string{"message": g.message, "csrf_message": g.csrfMessage, "unavailable_message": g.unavailable} {
		if strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("%s: must not be blank", name)
		}
	}
	if cfg.InjectScript {
		p, err := newPages(cfg, base, g.loginPath)
		if err != nil {
			return nil, err
		}
		g.pages = p
	}
	return g, nil
}

// LoginPath is the configured login path.
func (g *Guard) LoginPath() string { return g.loginPath }

// IsProgrammatic reports whether the guard treats r as programmatic.
func (g *Guard) IsProgrammatic(r *http.Request) bool { return g.classifier.IsProgrammatic(r) }

// Serve runs next for r. For a programmatic request it rewrites NetBox's
// "log in" answers and turns a proxy error into a JSON answer; navigations
// reach next with the original ResponseWriter, untouched. With InjectScript
// the guard also answers its endpoints and wraps navigations (see
// serveWithPages).
func (g *Guard) Serve(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request) error) error {
	if g.pages != nil {
		return g.serveWithPages(w, r, next)
	}
	if !g.classifier.IsProgrammatic(r) {
		return next(w, r)
	}
	iw := &interceptWriter{w: w, g: g, r: r}
	err := next(iw, r)
	if err != nil {
		return iw.fail(err)
	}
	return iw.finish()
}

// AnswerAuthRequired writes the 401 "log in again" answer for r, with the
// redirect pointing at loginURL (built from the page the user is on).
// Other modules (the OIDC session) use it to answer in the guard's words.
func (g *Guard) AnswerAuthRequired(w http.ResponseWriter, r *http.Request, loginURL func(page string) string) {
	WriteAuthRequired(w, r, g.message, loginURL(CurrentPage(r)))
}

// WriteAuthRequired writes the guard's 401 authentication_required answer:
// the JSON contract with redirect, WWW-Authenticate, and for htmx an
// HX-Redirect to the same place. Every module that refuses a request for
// want of a login answers with it.
func WriteAuthRequired(w http.ResponseWriter, r *http.Request, message, redirect string) {
	h := w.Header()
	h.Set(hdrWWWAuthenticate, `Session realm="NetBox"`)
	if isHTMX(r) {
		h.Set(hdrHXRedirect, redirect)
	}
	jsonerror.Write(w, http.StatusUnauthorized, jsonerror.New(jsonerror.CodeAuthenticationRequired, message, redirect))
}

// WriteCSRFFailed writes the guard's 403 csrf_failed answer: the JSON
// contract redirecting to the page the user is on (to reload it), and for
// htmx HX-Refresh.
func WriteCSRFFailed(w http.ResponseWriter, r *http.Request, message string) {
	if isHTMX(r) {
		w.Header().Set(hdrHXRefresh, "true")
	}
	jsonerror.Write(w, http.StatusForbidden, jsonerror.New(jsonerror.CodeCSRFFailed, message, CurrentPage(r)))
}

// answer replaces an upstream answer (whose headers are in w.Header()) with
// the guard's JSON for v. Upstream Set-Cookie stays: the browser's cookies
// must follow NetBox's (a logout, a rotated CSRF token).
func (g *Guard) answer(w http.ResponseWriter, r *http.Request, v verdict, upstreamStatus int) {
	dropBodyHeaders(w.Header())
	switch v {
	case authRequired:
		g.AnswerAuthRequired(w, r, func(page string) string { return LoginURL(g.loginPath, page) })
		g.notify(r, jsonerror.CodeAuthenticationRequired, upstreamStatus)
	case csrfFailed:
		WriteCSRFFailed(w, r, g.csrfMessage)
		g.notify(r, jsonerror.CodeCSRFFailed, upstreamStatus)
	case upstreamFailed:
		msg := fmt.Sprintf("NetBox could not complete this request (HTTP %d). Please try again; if it persists, tell your NetBox administrator.", upstreamStatus)
		jsonerror.Write(w, upstreamStatus, jsonerror.New(jsonerror.CodeUpstreamError, msg, ""))
		g.notify(r, jsonerror.CodeUpstreamError, upstreamStatus)
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
		jsonerror.Write(w, status, jsonerror.New(jsonerror.CodeUpstreamUnavailable, g.unavailable, ""))
		g.notify(r, jsonerror.CodeUpstreamUnavailable, 0)
		return true
	case status >= 500 && status <= 599:
		jsonerror.Write(w, status, jsonerror.New(jsonerror.CodeInternal, DefaultInternalMessage, ""))
		g.notify(r, jsonerror.CodeInternal, 0)
		return true
	}
	return false
}

func (g *Guard) notify(r *http.Request, code string, upstreamStatus int) {
	if g.onIntercept != nil {
		g.onIntercept(r, code, upstreamStatus)
	}
}

// CurrentPage is the same-origin path of the page the user is on:
// HX-Current-URL, else a same-origin Referer, else the request itself for a
// GET, else "/".
func CurrentPage(r *http.Request) string {
	if p, ok := SameOriginPath(first(r.Header, hdrHXCurrentURL), r.Host); ok {
		return p
	}
	if p, ok := SameOriginPath(first(r.Header, hdrReferer), r.Host); ok {
		return p
	}
	if r.Method == http.MethodGet {
		if p, ok := SameOriginPath(r.URL.RequestURI(), r.Host); ok {
			return p
		}
	}
	return "/"
}

func isHTMX(r *http.Request) bool {
	return strings.EqualFold(first(r.Header, hdrHXRequest), "true")
}

// dropBodyHeaders removes the headers that described the replaced body or
// sent the browser elsewhere.
func dropBodyHeaders(h http.Header) {
	for _, k := range [...]string{
		hdrLocation, "Content-Length", hdrContentType, hdrContentEnc, "Content-Language",
		"Content-Disposition", "Content-Range", "Etag", "Last-Modified", "Expires", "Refresh",
		"Transfer-Encoding", "Accept-Ranges",
	} {
		delete(h, k)
	}
}

// checkPath accepts an absolute path without query, fragment, spaces or a
// leading "//".
func checkPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q must start with /", p)
	case strings.HasPrefix(p, "//"):
		return fmt.Errorf("%q must not start with //", p)
	case strings.ContainsAny(p, "?#\\") || hasControlOrSpace(p):
		return fmt.Errorf("%q must be a plain path (no query, fragment, backslash or spaces)", p)
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
