package guard

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("netbox_guard", parseCaddyfile)
}

// UnmarshalCaddyfile sets up the guard from Caddyfile tokens:
//
//	netbox_guard [<matcher>] {
//	    base_path           <path>
//	    login_path          <path>
//	    api_prefix          <prefix>...
//	    ajax_path           <pattern>...
//	    message             <text>
//	    csrf_message        <text>
//	    unavailable_message <text>
//	}
//
// api_prefix and ajax_path may repeat; their values add up.
func (ng *NetBoxGuard) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		option := d.Val()
		switch option {
		case "base_path", "login_path", "message", "csrf_message", "unavailable_message":
			var value string
			if !d.AllArgs(&value) {
				return d.ArgErr()
			}
			*ng.stringOption(option) = value
		case "api_prefix", "ajax_path":
			values := d.RemainingArgs()
			if len(values) == 0 {
				return d.ArgErr()
			}
			if option == "api_prefix" {
				ng.APIPrefixes = append(ng.APIPrefixes, values...)
			} else {
				ng.AJAXPaths = append(ng.AJAXPaths, values...)
			}
		default:
			return d.Errf("unrecognized netbox_guard option '%s'", option)
		}
	}
	return nil
}

func (ng *NetBoxGuard) stringOption(name string) *string {
	switch name {
	case "base_path":
		return &ng.BasePath
	case "login_path":
		return &ng.LoginPath
	case "message":
		return &ng.Message
	case "csrf_message":
		return &ng.CSRFMessage
	default:
		return &ng.UnavailableMessage
	}
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	ng := new(NetBoxGuard)
	err := ng.UnmarshalCaddyfile(h.Dispenser)
	return ng, err
}

// Interface guard
var _ caddyfile.Unmarshaler = (*NetBoxGuard)(nil)
