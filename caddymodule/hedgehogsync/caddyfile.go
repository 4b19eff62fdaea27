package hedgehogsync

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hhgate/hhgate/caddymodule/netboxsite"
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
//	    full_compare_every       <duration>|off
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
		"max_prune":                readMaxPrune(&hs.MaxPrune),
		"controller":               readOnOff(&hs.Controller),
		"debounce":                 netboxsite.PositiveDuration(&hs.Debounce),
		"full_compare_every":       readFullCompareEvery(&hs.FullCompareEvery),
	})
}

// readMaxPrune reads a percentage such as 50%.
func readMaxPrune(dst *string) netboxsite.ReadOption {
	return func(d *caddyfile.Dispenser, option string) error {
		var value string
		if !d.AllArgs(&value) {
			return d.ArgErr()
		}
		if _, err := k8ssync.ParseMaxPrune(value); err != nil {
			return d.Errf("%s: %v", option, err)
		}
		*dst = value
		return nil
	}
}

// readFullCompareEvery reads full_compare_every: a positive duration or off.
func readFullCompareEvery(dst *string) netboxsite.ReadOption {
	return func(d *caddyfile.Dispenser, option string) error {
		var value string
		if !d.AllArgs(&value) {
			return d.ArgErr()
		}
		if _, err := parseFullCompareEvery(value); err != nil {
			return d.Errf("%s: %v", option, err)
		}
		*dst = value
		return nil
	}
}

// readOnOff reads on or off.
func readOnOff(dst **bool) netboxsite.ReadOption {
	return func(d *caddyfile.Dispenser, option string) error {
		var value string
		if !d.AllArgs(&value) {
			return d.ArgErr()
		}
		if value != "on" && value != "off" {
			return d.Errf("%s: %q is not on or off", option, value)
		}
		on := value == "on"
		*dst = &on
		return nil
	}
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	hs := new(HedgehogSync)
	err := hs.UnmarshalCaddyfile(h.Dispenser)
	return hs, err
}

// Interface guard
var _ caddyfile.Unmarshaler = (*HedgehogSync)(nil)
