package guard

import (
	"strings"

	"github.com/caddyserver/caddy/v2"
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
//	    inject_script       [on|off]
//	    warn_before         <duration>
//	    csrf_page           <path>
//	    session_cookie      <name>
//	    csrf_cookie         <name>
//	}
//
// api_prefix and ajax_path may repeat; their values add up. The options
// NetBox's site has in common with the other handlers (base_path through
// unavailable_message) can instead be declared once in the global "netbox"
// option; those given here win. inject_script
// alone means on; on/off (or true/false) lets an environment variable
// decide.
func (ng *NetBoxGuard) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		option := d.Val()
		switch option {
		case "inject_script":
			on, err := parseSwitch(d, option)
			if err != nil {
				return err
			}
			ng.InjectScript = on
		case "warn_before":
			var value string
			if !d.AllArgs(&value) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(value)
			if err != nil {
				return d.Errf("warn_before: %v", err)
			}
			ng.WarnBefore = caddy.Duration(dur)
		case "csrf_page", "session_cookie", "csrf_cookie":
			var value string
			if !d.AllArgs(&value) {
				return d.ArgErr()
			}
			switch option {
			case "csrf_page":
				ng.CSRFPage = value
			case "session_cookie":
				ng.SessionCookie = value
			default:
				ng.CSRFCookie = value
			}
		default:
			handled, err := ng.UnmarshalOption(d)
			if err != nil {
				return err
			}
			if !handled {
				return d.Errf("unrecognized netbox_guard option '%s'", option)
			}
		}
	}
	return nil
}

// parseSwitch reads an optional on/off argument; none means on.
func parseSwitch(d *caddyfile.Dispenser, option string) (bool, error) {
	args := d.RemainingArgs()
	switch {
	case len(args) == 0:
		return true, nil
	case len(args) > 1:
		return false, d.ArgErr()
	}
	switch strings.ToLower(args[0]) {
	case "on", "true":
		return true, nil
	case "off", "false":
		return false, nil
	}
	return false, d.Errf("%s: %q is not on or off", option, args[0])
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	ng := new(NetBoxGuard)
	err := ng.UnmarshalCaddyfile(h.Dispenser)
	return ng, err
}

// Interface guard
var _ caddyfile.Unmarshaler = (*NetBoxGuard)(nil)
