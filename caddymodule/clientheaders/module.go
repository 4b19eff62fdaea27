// Package clientheaders is the Caddy module http.handlers.netbox_client_headers:
// Caddy glue around the clientheaders package.
package clientheaders

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hhgate/hhgate/clientheaders"
)

func init() {
	caddy.RegisterModule(ClientHeaders{})
	httpcaddyfile.RegisterHandlerDirective("netbox_client_headers", parseCaddyfile)
}

// ClientHeaders removes what a client must not tell NetBox: identity
// headers in every spelling, forwarding headers (X-Forwarded-*, X-Real-IP,
// Forwarded …) unless the client is one of the server's trusted_proxies,
// and request trailers. Place it first in the route; reverse_proxy then
// sets X-Forwarded-For/-Proto/-Host, and `header_up X-Real-IP {client_ip}`
// gives NetBox the address Caddy determined.
type ClientHeaders struct{}

// CaddyModule returns the Caddy module information.
func (ClientHeaders) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.netbox_client_headers",
		New: func() caddy.Module { return new(ClientHeaders) },
	}
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (ClientHeaders) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool)
	clientheaders.Strip(r, trusted)
	return next.ServeHTTP(w, r)
}

// UnmarshalCaddyfile: `netbox_client_headers` takes no options.
func (ClientHeaders) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next()
	if d.NextArg() || d.NextBlock(0) {
		return d.Err("netbox_client_headers takes no options")
	}
	return nil
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(ClientHeaders)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// Interface guards
var (
	_ caddyhttp.MiddlewareHandler = (*ClientHeaders)(nil)
	_ caddyfile.Unmarshaler       = (*ClientHeaders)(nil)
)
