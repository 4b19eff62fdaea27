// Package hedgehogsync is the Caddy module http.handlers.hedgehog_sync:
// Caddy configuration and glue around fabricsync and the k8ssync engine.
package hedgehogsync

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hhgate/hhgate/fabricsync"
	"github.com/hhgate/hhgate/k8ssync"
)

func init() {
	caddy.RegisterModule(HedgehogSync{})
}

// HedgehogSync serves the Hedgehog plugin's "Sync" and "Test Connection"
// buttons in the gateway: POST <base_path>plugins/hedgehog/fabrics/<id>/sync/
// and …/test-connection/. It asks NetBox, with the user's own credentials,
// whether the user may change the fabric, then reads the fabric's custom
// resources from its Kubernetes API server and writes them into NetBox over
// the REST API with a service token. Every other request passes through.
// Place it after netbox_guard and before reverse_proxy.
type HedgehogSync struct {
	// NetBox's address for the gateway's own API requests, e.g.
	// http://127.0.0.1:8001 or 127.0.0.1:8001 as for reverse_proxy
	// (required; no path: set base_path).
	NetBoxURL string `json:"netbox_url,omitempty"`

	// The NetBox API token the sync reads and writes with (required). It
	// needs view on fabrics and add/change/delete on the plugin's twelve
	// CRD models. Use an environment placeholder: {env.HHGATE_NETBOX_TOKEN}.
	// NetBox v2 tokens (nbt_…) are sent as Bearer, others as Token.
	NetBoxToken string `json:"netbox_token,omitempty"`

	// NetBox's BASE_PATH as a path: "/" (default) or "/netbox/".
	BasePath string `json:"base_path,omitempty"`

	// NetBox's LOGIN_URL path, for the redirect of 401 answers.
	// Default base_path + "login/".
	LoginPath string `json:"login_path,omitempty"`

	// Delete NetBox objects whose custom resource is gone (only for kinds
	// that were listed completely). Default true.
	Prune *bool `json:"prune,omitempty"`

	// Bound of one sync or connection test. Default 5m.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// Objects per NetBox bulk request. Default 100.
	BatchSize int `json:"batch_size,omitempty"`

	// Skip verification of every Kubernetes API server's certificate.
	// Off by default: a fabric without a CA is verified against the
	// system roots.
	InsecureSkipTLSVerify bool `json:"insecure_skip_tls_verify,omitempty"`

	handler *fabricsync.Handler
}

// CaddyModule returns the Caddy module information.
func (HedgehogSync) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.hedgehog_sync",
		New: func() caddy.Module { return new(HedgehogSync) },
	}
}

// Provision builds the engine and the handler; configuration errors name
// the field.
func (hs *HedgehogSync) Provision(ctx caddy.Context) error {
	repl := caddy.NewReplacer()
	token := repl.ReplaceKnown(hs.NetBoxToken, "")
	netboxURL := withScheme(repl.ReplaceKnown(hs.NetBoxURL, ""))
	switch {
	case netboxURL == "":
		return errors.New("netbox_url: required (NetBox's address, e.g. 127.0.0.1:8001 or http://127.0.0.1:8001)")
	case token == "":
		return errors.New("netbox_token: required (a NetBox API token; use {env.HHGATE_NETBOX_TOKEN})")
	case hs.BatchSize < 0:
		return fmt.Errorf("batch_size: %d must be positive", hs.BatchSize)
	case hs.BatchSize > 1000:
		return fmt.Errorf("batch_size: %d is above NetBox's page limit of 1000", hs.BatchSize)
	case hs.Timeout < 0:
		return fmt.Errorf("timeout: %s must be positive", time.Duration(hs.Timeout))
	}
	logger := ctx.Logger()
	if hs.InsecureSkipTLSVerify {
		logger.Warn("insecure_skip_tls_verify is on: Kubernetes API server certificates are not verified")
	}
	timeout := time.Duration(hs.Timeout)
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	engine, err := k8ssync.New(k8ssync.Options{
		NetBoxURL:             netboxURL,
		NetBoxToken:           token,
		Prune:                 hs.Prune,
		BatchSize:             hs.BatchSize,
		Timeout:               timeout,
		InsecureSkipTLSVerify: hs.InsecureSkipTLSVerify,
		Logger:                logger.Named("engine"),
	})
	if err != nil {
		return fmt.Errorf("netbox_url: %w", err)
	}
	h, err := fabricsync.New(fabricsync.Config{
		NetBoxURL: netboxURL,
		BasePath:  hs.BasePath,
		LoginPath: hs.LoginPath,
		Engine:    engine,
		Timeout:   timeout,
		Context:   ctx,
		Logger:    logger,
	})
	if err != nil {
		return err
	}
	hs.handler = h
	return nil
}

// withScheme accepts NetBox's address as reverse_proxy does: host:port
// means http://host:port.
func withScheme(addr string) string {
	if addr == "" || strings.Contains(addr, "://") {
		return addr
	}
	return "http://" + addr
}

// ServeHTTP implements caddyhttp.MiddlewareHandler. The authorization
// request gets the client address Caddy determined (trusted_proxies).
func (hs *HedgehogSync) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	ip, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	return hs.handler.Serve(w, fabricsync.WithClientIP(r, ip), next.ServeHTTP)
}

// Interface guards
var (
	_ caddy.Provisioner           = (*HedgehogSync)(nil)
	_ caddyhttp.MiddlewareHandler = (*HedgehogSync)(nil)
)
