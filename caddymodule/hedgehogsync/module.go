// Package hedgehogsync is the Caddy module http.handlers.hedgehog_sync:
// Caddy configuration and glue around fabricsync and the k8ssync engine.
package hedgehogsync

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/hhgate/hhgate/caddymodule/netboxsite"
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
// the REST API with a service token. GET <base_path>.hhgate/fabrics/<id>/plan
// answers, for a user NetBox lets view the fabric, what the next sync would
// do, writing nothing. Every other request passes through.
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

	// The most a sync may delete of a fabric's objects of one kind, as a
	// whole percentage: "50%" (default). A sync that would delete more
	// (a wrong namespace or token makes a kind list empty) deletes none
	// of that kind and reports prune_held. "100%" turns the check off.
	MaxPrune string `json:"max_prune,omitempty"`

	// Bound of one sync or connection test. Default 5m.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// The most objects per NetBox bulk request (each request also stays
	// under 512 KiB). Default 250.
	BatchSize int `json:"batch_size,omitempty"`

	// Skip verification of every Kubernetes API server's certificate.
	// Off by default: a fabric without a CA is verified against the
	// system roots.
	InsecureSkipTLSVerify bool `json:"insecure_skip_tls_verify,omitempty"`

	// How often the gateway looks for fabrics left "syncing" by a gateway
	// that stopped (and at start-up). Default 10s.
	RecoveryInterval caddy.Duration `json:"recovery_interval,omitempty"`

	// How long the gateway's shutdown waits for running syncs before
	// cancelling them (they still write their final status). Default 10s.
	ShutdownDrain caddy.Duration `json:"shutdown_drain,omitempty"`

	netboxURL string // NetBoxURL with placeholders replaced and a scheme
	token     string // NetBoxToken with placeholders replaced
	// The fabric controller: scheduled syncs (each fabric's sync_enabled
	// and sync_interval), change-driven syncs (watches of each fabric's
	// cluster) and out_of_sync between a change and its sync. One gateway
	// of those sharing Caddy's storage runs it (a leader lease). Default
	// true; false leaves only the Sync button. See docs/sync.md.
	Controller *bool `json:"controller,omitempty"`

	// Wait between the first change a watch sees and the sync it starts,
	// and the least time between two change-driven syncs of one fabric.
	// Default 5s.
	Debounce caddy.Duration `json:"debounce,omitempty"`

	// The longest a kind of a fabric is counted unchanged from its change
	// marks (NetBox's newest last_updated and count, the cluster's
	// resourceVersions) without reading its objects; then it is compared
	// in full. A duration ("1h", the default) or "off" (every sync
	// compares every object). See docs/sync.md, "Change marks".
	FullCompareEvery string `json:"full_compare_every,omitempty"`

	handler    *fabricsync.Handler
	runtimeKey string
	texts      [3]string // from the netbox app: message, csrf_message, unavailable_message
}

// runtimes holds one fabricsync.Runtime per NetBox for the whole process:
// a config reload provisions the new module before it cleans up the old
// one, so the count never drops to zero and running syncs go on.
var runtimes = caddy.NewUsagePool()

type pooledRuntime struct{ *fabricsync.Runtime }

// Destruct runs when the last config using the runtime is gone: the
// process stops.
func (p pooledRuntime) Destruct() error {
	p.Close()
	return nil
}

// CaddyModule returns the Caddy module information.
func (HedgehogSync) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.hedgehog_sync",
		New: func() caddy.Module { return new(HedgehogSync) },
	}
}

// Provision builds the engine and the handler, and joins the process's
// sync runtime. A configuration Validate refuses builds nothing: no
// runtime is started for it.
func (hs *HedgehogSync) Provision(ctx caddy.Context) error {
	site, err := netboxsite.Shared(ctx)
	if err != nil {
		return err
	}
	hs.BasePath = cmp.Or(hs.BasePath, site.BasePath)
	hs.LoginPath = cmp.Or(hs.LoginPath, site.LoginPath)
	hs.texts = [3]string{site.Message, site.CSRFMessage, site.UnavailableMessage}
	repl := caddy.NewReplacer()
	hs.token = repl.ReplaceKnown(hs.NetBoxToken, "")
	hs.netboxURL = withScheme(repl.ReplaceKnown(hs.NetBoxURL, ""))
	if hs.Validate() != nil {
		return nil // Validate reports it
	}
	m, err := registerSyncMetrics(ctx.GetMetricsRegistry())
	if err != nil {
		return err
	}
	logger := ctx.Logger()
	if hs.InsecureSkipTLSVerify {
		logger.Warn("insecure_skip_tls_verify is on: Kubernetes API server certificates are not verified")
	}
	cfg, err := hs.handlerConfig(logger, m)
	if err != nil {
		return err
	}
	if cfg.Runtime, err = hs.runtime(ctx, hs.netboxURL, m); err != nil {
		return err
	}
	h, err := fabricsync.New(cfg)
	if err != nil {
		_, _ = runtimes.Delete(hs.runtimeKey)
		hs.runtimeKey = ""
		return err
	}
	hs.handler = h
	cfg.Runtime.UseController(fabricsync.ControllerConfig{
		Enabled:  hs.Controller == nil || *hs.Controller,
		Engine:   cfg.Engine.(*k8ssync.Engine),
		Timeout:  cfg.Timeout,
		Debounce: time.Duration(hs.Debounce),
	})
	return nil
}

// maxPrune is max_prune in percent (default k8ssync.DefaultMaxPrune).
func (hs *HedgehogSync) maxPrune() (int, error) {
	if hs.MaxPrune == "" {
		return k8ssync.DefaultMaxPrune, nil
	}
	n, err := k8ssync.ParseMaxPrune(hs.MaxPrune)
	if err != nil {
		return 0, fmt.Errorf("max_prune: %w", err)
	}
	return n, nil
}

// parseFullCompareEvery reads full_compare_every: "" is the default (0
// for k8ssync), off is negative (change marks off).
func parseFullCompareEvery(v string) (time.Duration, error) {
	switch v {
	case "":
		return 0, nil
	case "off":
		return -1, nil
	}
	d, err := caddy.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration (e.g. 1h) or off", v)
	}
	return d, nil
}

// Validate checks the configuration Provision read; errors name the field.
// It has no side effects.
func (hs *HedgehogSync) Validate() error {
	switch {
	case hs.netboxURL == "":
		return errors.New("netbox_url: required (NetBox's address, e.g. 127.0.0.1:8001 or http://127.0.0.1:8001)")
	case hs.token == "":
		return errors.New("netbox_token: required (a NetBox API token; use {env.HHGATE_NETBOX_TOKEN})")
	case hs.BatchSize < 0:
		return fmt.Errorf("batch_size: %d must be positive", hs.BatchSize)
	case hs.BatchSize > 1000:
		return fmt.Errorf("batch_size: %d is above NetBox's page limit of 1000", hs.BatchSize)
	case hs.Timeout < 0:
		return fmt.Errorf("timeout: %s must be positive", time.Duration(hs.Timeout))
	case hs.RecoveryInterval < 0:
		return fmt.Errorf("recovery_interval: %s must be positive", time.Duration(hs.RecoveryInterval))
	case hs.ShutdownDrain < 0:
		return fmt.Errorf("shutdown_drain: %s must be positive", time.Duration(hs.ShutdownDrain))
	case hs.Debounce < 0:
		return fmt.Errorf("debounce: %s must be positive", time.Duration(hs.Debounce))
	}
	if _, err := hs.maxPrune(); err != nil {
		return err
	}
	if _, err := parseFullCompareEvery(hs.FullCompareEvery); err != nil {
		return fmt.Errorf("full_compare_every: %w", err)
	}
	cfg, _ := hs.handlerConfig(nil, nil) // builds nothing: cannot fail
	return cfg.Check()
}

// handlerConfig is fabricsync's configuration with the engine built. With
// a nil logger (Validate) no engine is built: Check only needs to know
// there will be one, and never calls it.
func (hs *HedgehogSync) handlerConfig(logger *zap.Logger, m *syncMetrics) (fabricsync.Config, error) {
	timeout := cmp.Or(time.Duration(hs.Timeout), 5*time.Minute)
	cfg := fabricsync.Config{
		NetBoxURL: hs.netboxURL,
		BasePath:  hs.BasePath,
		LoginPath: hs.LoginPath,
		// The texts people read come from the netbox app, as the guard's.
		Message: hs.texts[0], CSRFMessage: hs.texts[1], UnavailableMessage: hs.texts[2],
		Engine:  (*k8ssync.Engine)(nil),
		Timeout: timeout,
		Logger:  logger,
	}
	if logger == nil {
		return cfg, nil
	}
	maxPrune, err := hs.maxPrune()
	if err != nil {
		return cfg, err
	}
	fullCompareEvery, err := parseFullCompareEvery(hs.FullCompareEvery)
	if err != nil {
		return cfg, fmt.Errorf("full_compare_every: %w", err)
	}
	engine, err := k8ssync.New(k8ssync.Options{
		NetBoxURL:             hs.netboxURL,
		NetBoxToken:           hs.token,
		Prune:                 hs.Prune,
		MaxPrune:              &maxPrune,
		BatchSize:             hs.BatchSize,
		Timeout:               timeout,
		InsecureSkipTLSVerify: hs.InsecureSkipTLSVerify,
		FullCompareEvery:      fullCompareEvery,
		Logger:                logger.Named("engine"),
		ObserveNetBox:         m.netboxObserver(),
	})
	if err != nil {
		return cfg, fmt.Errorf("netbox_url: %w", err)
	}
	cfg.Engine = engine
	return cfg, nil
}

// withScheme accepts NetBox's address as reverse_proxy does: host:port
// means http://host:port.
func withScheme(addr string) string {
	if addr == "" || strings.Contains(addr, "://") {
		return addr
	}
	return "http://" + addr
}

// runtime returns the process's runtime for this NetBox, creating it with
// the configured storage on first use.
func (hs *HedgehogSync) runtime(ctx caddy.Context, netboxURL string, m *syncMetrics) (*fabricsync.Runtime, error) {
	hs.runtimeKey = "hedgehog_sync " + netboxURL
	storage := ctx.Storage()
	logger := ctx.Logger().Named("runtime")
	v, _, err := runtimes.LoadOrNew(hs.runtimeKey, func() (caddy.Destructor, error) {
		return pooledRuntime{fabricsync.NewRuntime(fabricsync.RuntimeConfig{
			Storage:          storage,
			Namespace:        netboxURL,
			RecoveryInterval: time.Duration(hs.RecoveryInterval),
			Drain:            cmp.Or(time.Duration(hs.ShutdownDrain), 10*time.Second),
			Observer:         m,
			Logger:           logger,
		})}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("sync runtime: %w", err)
	}
	return v.(pooledRuntime).Runtime, nil
}

// Cleanup releases this config's use of the runtime; the last release
// (process stop) drains the running syncs.
func (hs *HedgehogSync) Cleanup() error {
	if hs.handler != nil {
		hs.handler.Close() // end this config's event streams; browsers reconnect to the new one
	}
	if hs.runtimeKey == "" {
		return nil
	}
	_, err := runtimes.Delete(hs.runtimeKey)
	return err
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
	_ caddy.Validator             = (*HedgehogSync)(nil)
	_ caddy.CleanerUpper          = (*HedgehogSync)(nil)
	_ caddyhttp.MiddlewareHandler = (*HedgehogSync)(nil)
)
