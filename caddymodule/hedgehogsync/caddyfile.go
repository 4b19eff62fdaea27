package hedgehogsync

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hhgate/hhgate/k8ssync"
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
//	    max_prune                <0-100>%
//	    timeout                  <duration>
//	    batch_size               <n>
//	    insecure_skip_tls_verify
//	    recovery_interval        <duration>
//	    shutdown_drain           <duration>
//	    controller               on|off
//	    debounce                 <duration>
//	}
func (hs *HedgehogSync) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		option := d.Val()
		var value string
		if option != "insecure_skip_tls_verify" && !d.AllArgs(&value) {
			return d.ArgErr()
		}
		switch option {
		case "netbox_url":
			hs.NetBoxURL = value
		case "netbox_token":
			hs.NetBoxToken = value
		case "base_path":
			hs.BasePath = value
		case "login_path":
			hs.LoginPath = value
		case "prune":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return d.Errf("prune: %q is not true or false", value)
			}
			hs.Prune = &b
		case "max_prune":
			if _, err := k8ssync.ParseMaxPrune(value); err != nil {
				return d.Errf("max_prune: %v", err)
			}
			hs.MaxPrune = value
		case "timeout":
			dur, err := caddy.ParseDuration(value)
			if err != nil {
				return d.Errf("timeout: %v", err)
			}
			hs.Timeout = caddy.Duration(dur)
		case "recovery_interval", "shutdown_drain":
			dur, err := caddy.ParseDuration(value)
			if err != nil {
				return d.Errf("%s: %v", option, err)
			}
			if option == "recovery_interval" {
				hs.RecoveryInterval = caddy.Duration(dur)
			} else {
				hs.ShutdownDrain = caddy.Duration(dur)
			}
		case "controller":
			if value != "on" && value != "off" {
				return d.Errf("controller: %q is not on or off", value)
			}
			on := value == "on"
			hs.Controller = &on
		case "debounce":
			dur, err := caddy.ParseDuration(value)
			if err != nil {
				return d.Errf("debounce: %v", err)
			}
			if dur <= 0 {
				return d.Errf("debounce: %q must be positive", value)
			}
			hs.Debounce = caddy.Duration(dur)
		case "batch_size":
			n, err := strconv.Atoi(value)
			if err != nil {
				return d.Errf("batch_size: %q is not a number", value)
			}
			hs.BatchSize = n
		case "insecure_skip_tls_verify":
			if d.NextArg() {
				return d.ArgErr()
			}
			hs.InsecureSkipTLSVerify = true
		default:
			return d.Errf("unrecognized hedgehog_sync option '%s'", option)
		}
	}
	return nil
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	hs := new(HedgehogSync)
	err := hs.UnmarshalCaddyfile(h.Dispenser)
	return hs, err
}

// Interface guard
var _ caddyfile.Unmarshaler = (*HedgehogSync)(nil)
