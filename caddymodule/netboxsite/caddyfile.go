package netboxsite

import (
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("netbox", parseGlobalOption)
}

// parseGlobalOption reads the global option
//
//	netbox {
//	    base_path           <path>
//	    login_path          <path>
//	    api_prefix          <prefix>...
//	    ajax_path           <pattern>...
//	    message             <text>
//	    csrf_message        <text>
//	    unavailable_message <text>
//	}
//
// into the "netbox" app.
func parseGlobalOption(d *caddyfile.Dispenser, existing any) (any, error) {
	if existing != nil {
		return nil, d.Err("netbox: the global option may appear only once")
	}
	app := new(App)
	if err := UnmarshalBlock(d, "netbox", app.Options()); err != nil {
		return nil, err
	}
	if err := app.Site.Validate(); err != nil {
		return nil, d.Errf("netbox: %v", err)
	}
	return httpcaddyfile.App{Name: "netbox", Value: caddyconfig.JSON(app, nil)}, nil
}

// Options is the table of the site options (base_path, login_path,
// api_prefix, ajax_path, message, csrf_message, unavailable_message) that
// every hhgate handler's Caddyfile block accepts; api_prefix and ajax_path
// may repeat, and their values add up.
func (s *Site) Options() Options {
	return Options{
		"base_path":           String(&s.BasePath),
		"login_path":          String(&s.LoginPath),
		"api_prefix":          List(&s.APIPrefixes),
		"ajax_path":           List(&s.AJAXPaths),
		"message":             String(&s.Message),
		"csrf_message":        String(&s.CSRFMessage),
		"unavailable_message": String(&s.UnavailableMessage),
	}
}
