// Package guard is the Caddy module http.handlers.netbox_guard: Caddy
// configuration and glue around sessionguard.Guard.
package guard

import (
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hhgate/hhgate/sessionguard"
)

func init() {
	caddy.RegisterModule(NetBoxGuard{})
}

// NetBoxGuard turns NetBox's "go log in" answers to programmatic requests
// (fetch, XHR, htmx, API clients) into a JSON 401/403 that pages can handle:
// a redirect to the login page, the login page itself, Django's CSRF failure
// page and DRF's 403s. Navigations in a browser tab are never touched, and
// every answer it does not rewrite is streamed. Place it before
// reverse_proxy.
type NetBoxGuard struct {
	// NetBox's BASE_PATH as a path, "/" (default) or for example "/netbox/".
	// It prefixes the defaults of login_path and api_prefix.
	BasePath string `json:"base_path,omitempty"`

	// NetBox's LOGIN_URL path. Default: base_path + "login/".
	LoginPath string `json:"login_path,omitempty"`

	// Path prefixes whose requests are always programmatic.
	// Default: base_path + "api/" and base_path + "graphql/".
	APIPrefixes []string `json:"api_prefix,omitempty"`

	// Extra path patterns whose requests are programmatic. A pattern ending
	// in "*" is a prefix; otherwise "*" matches within one path segment.
	AJAXPaths []string `json:"ajax_path,omitempty"`

	// Text shown when the NetBox session has expired.
	// Default: "Your session has expired. Please log in again."
	Message string `json:"message,omitempty"`

	// Text shown when NetBox refused the page's CSRF token.
	CSRFMessage string `json:"csrf_message,omitempty"`

	// Text shown when NetBox cannot be reached.
	UnavailableMessage string `json:"unavailable_message,omitempty"`

	// Session-aware pages: add the shim script to NetBox's HTML pages and
	// answer <base_path>.hhgate/ (shim.js, relogin-done, csrf, session).
	// The page then shows a dialog instead of failing when the session
	// expired, retries the interrupted request after the sign-in, and warns
	// before expiry. Default off.
	InjectScript bool `json:"inject_script,omitempty"`

	// How long before the session expires the page warns. Default 2m.
	WarnBefore caddy.Duration `json:"warn_before,omitempty"`

	// The NetBox page .hhgate/csrf reads a fresh CSRF token from, fetched
	// with the user's cookies. Default: base_path.
	CSRFPage string `json:"csrf_page,omitempty"`

	// NetBox's SESSION_COOKIE_NAME, whose Set-Cookie tells the session's
	// expiry. Default: sessionid.
	SessionCookie string `json:"session_cookie,omitempty"`

	// NetBox's CSRF_COOKIE_NAME: .hhgate/csrf answers its value where the
	// page has no window.CSRF_TOKEN (NetBox before 3.4). Default: csrftoken.
	CSRFCookie string `json:"csrf_cookie,omitempty"`

	guard   *sessionguard.Guard
	logger  *zap.Logger
	answers answerCounter
}

// CaddyModule returns the Caddy module information.
func (NetBoxGuard) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.netbox_guard",
		New: func() caddy.Module { return new(NetBoxGuard) },
	}
}

// Provision builds the guard; configuration errors name the field.
func (ng *NetBoxGuard) Provision(ctx caddy.Context) error {
	ng.logger = ctx.Logger()
	answers, err := registerAnswerCounter(ctx.GetMetricsRegistry())
	if err != nil {
		return err
	}
	ng.answers = answers
	g, err := sessionguard.New(ng.config())
	if err != nil {
		return err
	}
	ng.guard = g
	return nil
}

func (ng *NetBoxGuard) config() sessionguard.Config {
	return sessionguard.Config{
		BasePath:           ng.BasePath,
		LoginPath:          ng.LoginPath,
		APIPrefixes:        ng.APIPrefixes,
		AJAXPaths:          ng.AJAXPaths,
		Message:            ng.Message,
		CSRFMessage:        ng.CSRFMessage,
		UnavailableMessage: ng.UnavailableMessage,
		StatusOf:           statusOfHandlerError,
		OnIntercept:        ng.recordAnswer,
		InjectScript:       ng.InjectScript,
		WarnBefore:         time.Duration(ng.WarnBefore),
		CSRFPage:           ng.CSRFPage,
		SessionCookie:      ng.SessionCookie,
		CSRFCookie:         ng.CSRFCookie,
		Logger:             ng.logger,
	}
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (ng *NetBoxGuard) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	return ng.guard.Serve(w, r, next.ServeHTTP)
}

// Guard exposes the provisioned guard to other hhgate modules.
func (ng *NetBoxGuard) Guard() *sessionguard.Guard { return ng.guard }

// recordAnswer logs and counts each answer the guard wrote. Only the method
// and path are logged: never cookies, tokens or the query string.
func (ng *NetBoxGuard) recordAnswer(r *http.Request, code string, upstreamStatus int) {
	ng.answers.inc(code)
	if c := ng.logger.Check(zap.DebugLevel, "answered for NetBox"); c != nil {
		c.Write(
			zap.String("error", code),
			zap.Int("upstream_status", upstreamStatus),
			zap.String("method", r.Method),
			zap.String("path", r.URL.Path),
		)
	}
}

// statusOfHandlerError maps the errors Caddy's handlers return (reverse_proxy
// gives 502 for a refused dial and 504 for a timeout) to their status.
func statusOfHandlerError(err error) int {
	var he caddyhttp.HandlerError
	if errors.As(err, &he) && he.StatusCode != 0 {
		return he.StatusCode
	}
	return http.StatusBadGateway
}

// Interface guards
var (
	_ caddy.Provisioner           = (*NetBoxGuard)(nil)
	_ caddyhttp.MiddlewareHandler = (*NetBoxGuard)(nil)
)
