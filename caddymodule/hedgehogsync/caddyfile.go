package hedgehogsync

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hhgate/hhgate/caddymodule/netboxsite"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("hedgehog_sync", parseCaddyfile)
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens:
//
//	hedgehog_sync [<matcher>] {
//	    netbox_url               <url>
//	    netbox_token             <token>
//	    base_path                <path>
//	    login_path               <path>
//	    prune                    true|false
//	    timeout                  <duration>
//	    batch_size               <n>
//	    insecure_skip_tls_verify
//	    recovery_interval        <duration>
//	    shutdown_drain           <duration>
//	}
func (hs *HedgehogSync) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	return netboxsite.UnmarshalBlock(d, "hedgehog_sync", netboxsite.Options{
		"netbox_url":               netboxsite.String(&hs.NetBoxURL),
		"netbox_token":             netboxsite.String(&hs.NetBoxToken),
		"base_path":                netboxsite.String(&hs.BasePath),
		"login_path":               netboxsite.String(&hs.LoginPath),
		"prune":                    netboxsite.Bool(&hs.Prune),
		"timeout":                  netboxsite.Duration(&hs.Timeout),
		"batch_size":               netboxsite.Int(&hs.BatchSize),
		"insecure_skip_tls_verify": netboxsite.Flag(&hs.InsecureSkipTLSVerify),
		"recovery_interval":        netboxsite.Duration(&hs.RecoveryInterval),
		"shutdown_drain":           netboxsite.Duration(&hs.ShutdownDrain),
	})
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	hs := new(HedgehogSync)
	err := hs.UnmarshalCaddyfile(h.Dispenser)
	return hs, err
}

// Interface guard
var _ caddyfile.Unmarshaler = (*HedgehogSync)(nil)
