package guard

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hhgate/hhgate/caddymodule/netboxsite"
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
	return netboxsite.UnmarshalBlock(d, "netbox_guard", ng.Site.Options(), netboxsite.Options{
		"inject_script":  netboxsite.Switch(&ng.InjectScript),
		"warn_before":    netboxsite.Duration(&ng.WarnBefore),
		"csrf_page":      netboxsite.String(&ng.CSRFPage),
		"session_cookie": netboxsite.String(&ng.SessionCookie),
		"csrf_cookie":    netboxsite.String(&ng.CSRFCookie),
	})
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	ng := new(NetBoxGuard)
	err := ng.UnmarshalCaddyfile(h.Dispenser)
	return ng, err
}

// Interface guard
var _ caddyfile.Unmarshaler = (*NetBoxGuard)(nil)
