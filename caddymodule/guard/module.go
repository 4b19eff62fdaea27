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

	"github.com/hhgate/hhgate/caddymodule/internal/metrics"
	"github.com/hhgate/hhgate/caddymodule/netboxsite"
	"github.com/hhgate/hhgate/netboxhttp"
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
	// What every hhgate handler knows about NetBox: base_path, login_path,
	// api_prefix, ajax_path, message, csrf_message, unavailable_message.
	// Options left empty here come from the global "netbox" option (the
	// netbox app), then from NetBox's defaults.
	netboxsite.Site

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
	answers metrics.Counter
}

// CaddyModule returns the Caddy module information.
func (NetBoxGuard) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.netbox_guard",
		New: func() caddy.Module { return new(NetBoxGuard) },
	}
}

// Provision builds the guard. A configuration Validate refuses builds
// nothing.
func (ng *NetBoxGuard) Provision(ctx caddy.Context) error {
	ng.logger = ctx.Logger()
	answers, err := registerAnswerCounter(ctx.GetMetricsRegistry())
	if err != nil {
		return err
	}
	ng.answers = answers
	shared, err := netboxsite.Shared(ctx)
	if err != nil {
		return err
	}
	ng.Inherit(shared)
	if g, err := sessionguard.New(ng.config()); err == nil {
		ng.guard = g
	}
	return nil
}

// Validate checks the configuration (the netbox app's options included);
// errors name the field. It has no side effects.
func (ng *NetBoxGuard) Validate() error {
	_, err := sessionguard.New(ng.config())
	return err
}

func (ng *NetBoxGuard) config() sessionguard.Config {
	return sessionguard.Config{
		BasePath:    ng.BasePath,
		LoginPath:   ng.LoginPath,
		APIPrefixes: ng.APIPrefixes,
		AJAXPaths:   ng.AJAXPaths,
		Texts: netboxhttp.Texts{
			Message: ng.Message, CSRFMessage: ng.CSRFMessage, UnavailableMessage: ng.UnavailableMessage,
		},
		StatusOf:      statusOfHandlerError,
		OnIntercept:   ng.recordAnswer,
		InjectScript:  ng.InjectScript,
		WarnBefore:    time.Duration(ng.WarnBefore),
		CSRFPage:      ng.CSRFPage,
		SessionCookie: ng.SessionCookie,
		CSRFCookie:    ng.CSRFCookie,
		Logger:        ng.logger,
	}
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (ng *NetBoxGuard) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	return ng.guard.Serve(w, r, next.ServeHTTP)
}

// recordAnswer logs and counts each answer the guard wrote. Only the method
// and path are logged: never cookies, tokens or the query string.
func (ng *NetBoxGuard) recordAnswer(r *http.Request, code string, upstreamStatus int) {
	ng.answers.Inc(code)
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
	_ caddy.Validator             = (*NetBoxGuard)(nil)
	_ caddyhttp.MiddlewareHandler = (*NetBoxGuard)(nil)
)
