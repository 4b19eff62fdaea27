// Package netboxsite is the Caddy app "netbox": the one place a Caddyfile
// declares what every hhgate handler must know about the NetBox it fronts —
// BASE_PATH, LOGIN_URL, the API prefixes, extra AJAX paths and the texts
// people read. netbox_guard, netbox_oidc and hedgehog_sync take these as
// their defaults; an option set in a handler's own block still wins, and a
// handler used without the app keeps NetBox's defaults. Options and
// UnmarshalBlock are the option-table shape every hhgate handler's
// Caddyfile block is read with.
//
//	{
//	    netbox {
//	        base_path  /netbox/
//	        ajax_path  /plugins/hedgehog/*
//	        message    "Your NetBox session has ended. Please sign in again."
//	    }
//	}
package netboxsite

import (
	"errors"
	"fmt"

	"github.com/caddyserver/caddy/v2"

	"github.com/hhgate/hhgate/netboxhttp"
)

func init() {
	caddy.RegisterModule(App{})
}

// Site is NetBox as the handlers see it. Every field is optional; empty
// means the handler's own value or NetBox's default. The JSON names are the
// handlers' own, so a Site embedded in a handler keeps its configuration
// format.
type Site struct {
	// NetBox's BASE_PATH as a path: "/" (default) or for example "/netbox/".
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
	Message string `json:"message,omitempty"`

	// Text shown when NetBox refused the page's CSRF token.
	CSRFMessage string `json:"csrf_message,omitempty"`

	// Text shown when NetBox cannot be reached.
	UnavailableMessage string `json:"unavailable_message,omitempty"`
}

// Inherit fills every field of s that is empty from shared; set fields
// are kept (a handler's own option wins over the site's).
func (s *Site) Inherit(shared Site) {
	inheritString(&s.BasePath, shared.BasePath)
	inheritString(&s.LoginPath, shared.LoginPath)
	inheritString(&s.Message, shared.Message)
	inheritString(&s.CSRFMessage, shared.CSRFMessage)
	inheritString(&s.UnavailableMessage, shared.UnavailableMessage)
	if len(s.APIPrefixes) == 0 {
		s.APIPrefixes = shared.APIPrefixes
	}
	if len(s.AJAXPaths) == 0 {
		s.AJAXPaths = shared.AJAXPaths
	}
}

func inheritString(dst *string, shared string) {
	if *dst == "" {
		*dst = shared
	}
}

// Validate checks the site's paths and texts with the rules every handler
// applies (netboxhttp.New); errors name the field.
func (s Site) Validate() error {
	_, err := netboxhttp.New(netboxhttp.Config{
		BasePath: s.BasePath, LoginPath: s.LoginPath, APIPrefixes: s.APIPrefixes, AJAXPaths: s.AJAXPaths,
		Texts: netboxhttp.Texts{Message: s.Message, CSRFMessage: s.CSRFMessage, UnavailableMessage: s.UnavailableMessage},
	})
	return err
}

// App is the Caddy app "netbox" holding the shared Site.
type App struct {
	Site
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "netbox",
		New: func() caddy.Module { return new(App) },
	}
}

// Validate implements caddy.Validator.
func (a *App) Validate() error { return a.Site.Validate() }

// Start implements caddy.App: the app holds configuration only.
func (*App) Start() error { return nil }

// Stop implements caddy.App.
func (*App) Stop() error { return nil }

// Shared is the site declared by the "netbox" app of ctx's configuration,
// or the zero Site when the configuration has none.
func Shared(ctx caddy.Context) (Site, error) {
	app, err := ctx.AppIfConfigured("netbox")
	if errors.Is(err, caddy.ErrNotConfigured) {
		return Site{}, nil
	}
	if err != nil {
		return Site{}, fmt.Errorf("netbox app: %w", err)
	}
	return app.(*App).Site, nil
}

// Interface guards
var (
	_ caddy.App       = (*App)(nil)
	_ caddy.Validator = (*App)(nil)
)
