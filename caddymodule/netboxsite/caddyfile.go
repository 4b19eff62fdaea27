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
	d.Next() // the option's name
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	app := new(App)
	for d.NextBlock(0) {
		handled, err := app.UnmarshalOption(d)
		if err != nil {
			return nil, err
		}
		if !handled {
			return nil, d.Errf("unrecognized netbox option '%s'", d.Val())
		}
	}
	if err := app.Site.Validate(); err != nil {
		return nil, d.Errf("netbox: %v", err)
	}
	return httpcaddyfile.App{Name: "netbox", Value: caddyconfig.JSON(app, nil)}, nil
}

// UnmarshalOption reads the site option the dispenser is on, if it is one
// (base_path, login_path, api_prefix, ajax_path, message, csrf_message,
// unavailable_message), and reports whether it was. Every hhgate handler's
// Caddyfile block accepts these through this one table; api_prefix and
// ajax_path may repeat, and their values add up.
func (s *Site) UnmarshalOption(d *caddyfile.Dispenser) (bool, error) {
	option := d.Val()
	if dst := s.stringField(option); dst != nil {
		var value string
		if !d.AllArgs(&value) {
			return true, d.ArgErr()
		}
		*dst = value
		return true, nil
	}
	var list *[]string
	switch option {
	case "api_prefix":
		list = &s.APIPrefixes
	case "ajax_path":
		list = &s.AJAXPaths
	default:
		return false, nil
	}
	values := d.RemainingArgs()
	if len(values) == 0 {
		return true, d.ArgErr()
	}
	*list = append(*list, values...)
	return true, nil
}

func (s *Site) stringField(option string) *string {
	switch option {
	case "base_path":
		return &s.BasePath
	case "login_path":
		return &s.LoginPath
	case "message":
		return &s.Message
	case "csrf_message":
		return &s.CSRFMessage
	case "unavailable_message":
		return &s.UnavailableMessage
	}
	return nil
}
