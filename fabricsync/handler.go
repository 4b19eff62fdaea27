package fabricsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync"
	"github.com/hhgate/hhgate/k8ssync/netbox"
	"github.com/hhgate/hhgate/netboxhttp"
)

// Engine is the sync engine (k8ssync.Engine), an interface so that tests
// can count and hold syncs.
type Engine interface {
	Sync(ctx context.Context, fabricID int) k8ssync.Result
	TestConnection(ctx context.Context, fabricID int) k8ssync.ConnectionResult
	// Fabrics and FabricState read fabric states for recovery.
	Fabrics(ctx context.Context) ([]netbox.FabricState, error)
	FabricState(ctx context.Context, fabricID int) (netbox.FabricState, error)
	// WriteStatus writes a kept final status (Result.PendingStatus).
	WriteStatus(ctx context.Context, fabricID int, status json.RawMessage) error
	// MarkInterrupted writes sync_status "error" with reason.
	MarkInterrupted(ctx context.Context, fabricID int, reason string) error
	// Journal writes a journal entry on the fabric.
	Journal(ctx context.Context, entry netbox.JournalEntry) error
	// Plan computes what the next sync would do, writing nothing.
	Plan(ctx context.Context, fabricID int) k8ssync.PlanResult
}

// Machine codes of the refusals this package writes (besides netboxhttp's).
const (
	CodePermissionDenied = "permission_denied"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
)

// Config configures a Handler.
type Config struct {
	// NetBoxURL is where NetBox answers the authorization requests
	// (scheme://host:port, no path).
	NetBoxURL string
	// BasePath is NetBox's BASE_PATH as a path ("/" or "/netbox/").
	BasePath string
	// LoginPath is NetBox's LOGIN_URL, for the 401's redirect.
	LoginPath string
	// Message, CSRFMessage and UnavailableMessage are the texts of the
	// 401, the CSRF 403 and the 502 (netboxhttp's defaults).
	Message, CSRFMessage, UnavailableMessage string
	// Engine runs syncs and connection tests.
	Engine Engine
	// Timeout bounds one sync or connection test; it runs to completion
	// (or this bound) even when the browser goes away.
	Timeout time.Duration
	// Client sends the authorization requests; default a client with a
	// 30-second timeout.
	Client *http.Client
	// Runtime runs the syncs; it outlives this Handler (a config reload
	// builds a new Handler on the same Runtime). Default a Runtime of its
	// own with in-memory storage.
	Runtime *Runtime
	// Logger receives one line per request it serves.
	Logger *zap.Logger
}

// Handler serves the plugin's sync and test-connection URLs and the
// gateway's plan endpoint.
type Handler struct {
	netboxURL string
	basePath  string
	site      *netboxhttp.Site
	engine    Engine
	timeout   time.Duration
	client    *http.Client
	rt        *Runtime
	log       *zap.Logger
	streams   streamSettings // the events endpoint (events_http.go)
	closing   chan struct{}  // closed by Close: streams end
	closeOnce sync.Once
}

// New checks cfg and builds a Handler; errors name the Caddy field.
func New(cfg Config) (*Handler, error) {
	site, err := cfg.check()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.NetBoxURL)
	h := &Handler{
		netboxURL: u.Scheme + "://" + u.Host,
		basePath:  site.BasePath(),
		site:      site,
		engine:    cfg.Engine,
		timeout:   cfg.Timeout,
		client:    cfg.Client,
		rt:        cfg.Runtime,
		log:       cfg.Logger,
	}
	h.streams, h.closing = defaultStreamSettings(), make(chan struct{})
	if h.timeout <= 0 {
		h.timeout = 5 * time.Minute
	}
	if h.client == nil {
		h.client = &http.Client{Timeout: 30 * time.Second}
	}
	// Never follow a redirect with the user's credentials: a 3xx is an answer.
	client := *h.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	h.client = &client
	if h.log == nil {
		h.log = zap.NewNop()
	}
	if h.rt == nil {
		h.rt = NewRuntime(RuntimeConfig{Namespace: h.netboxURL, Logger: h.log})
	}
	h.rt.UseEngine(h.engine, h.timeout)
	return h, nil
}

// Check reports the first bad field of cfg, naming the Caddy field.
func (cfg Config) Check() error {
	_, err := cfg.check()
	return err
}

// check validates cfg and builds NetBox's site from it.
func (cfg Config) check() (*netboxhttp.Site, error) {
	u, err := url.Parse(cfg.NetBoxURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("netbox_url: %q must be an http(s) URL such as http://127.0.0.1:8000", cfg.NetBoxURL)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("netbox_url: %q must have no path, query or user info (set base_path for BASE_PATH)", cfg.NetBoxURL)
	}
	if cfg.Engine == nil {
		return nil, errors.New("engine: required")
	}
	return netboxhttp.New(netboxhttp.Config{
		BasePath: cfg.BasePath, LoginPath: cfg.LoginPath,
		Texts: netboxhttp.Texts{Message: cfg.Message, CSRFMessage: cfg.CSRFMessage, UnavailableMessage: cfg.UnavailableMessage},
	})
}

// Serve answers the plugin's sync and test-connection URLs and the plan
// and events endpoints, and passes every other request to next.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request) error) error {
	act, fabricID := route(h.basePath, r.URL.Path)
	if act == actionNone {
		return next(w, r)
	}
	switch act {
	case actionPlan:
		h.servePlan(w, r, fabricID)
		return nil
	case actionEvents:
		h.serveEvents(w, r, fabricID)
		return nil
	}
	if r.Method != http.MethodPost {
		refuseMethod(w, r, http.MethodPost)
		return nil
	}
	// A PATCH that changes nothing: NetBox checks the change permission
	// and writes no field. "syncing" is the sync's own write, made only
	// by the holder of the fabric's lock, so that no press can land after
	// a sync's final status.
	authCtx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	a := h.authorize(authCtx, r, fabricID, map[string]any{})
	cancel()
	for _, c := range a.setCookies {
		w.Header().Add("Set-Cookie", c)
	}
	if a.verdict != allowed {
		h.refuse(w, r, fabricID, a)
		return nil
	}
	if act == actionTestConnection {
		h.testConnection(w, r, fabricID)
		return nil
	}
	h.sync(w, r, fabricID)
	return nil
}

// refuse answers a refused authorization in the guard's contract.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, fabricID int, a authorization) {
	h.log.Info("fabric action refused", zap.Int("fabric", fabricID), zap.String("netbox_detail", a.detail),
		zap.String("verdict", verdictName(a.verdict)))
	switch a.verdict {
	case notAuthenticated:
		h.site.WriteAuthRequired(w, r, h.site.LoginURL(netboxhttp.CurrentPage(r)))
	case csrfRefused:
		h.site.WriteCSRFFailed(w, r)
	case permissionDenied:
		what := "change"
		if r.Method == http.MethodGet {
			what = "view"
		}
		netboxhttp.Write(w, http.StatusForbidden, netboxhttp.NewBody(CodePermissionDenied,
			fmt.Sprintf("You do not have permission to %s this fabric.", what), ""))
	case fabricNotFound:
		netboxhttp.Write(w, http.StatusNotFound, netboxhttp.NewBody(CodeNotFound, fmt.Sprintf("Fabric %d does not exist.", fabricID), ""))
	default:
		h.site.WriteUnavailable(w, http.StatusBadGateway)
	}
}

// sync starts the fabric's sync or joins the one running, and answers its
// result. The sync is not tied to this request: it runs to completion (or
// the timeout) even if the browser goes away, and across config reloads.
func (h *Handler) sync(w http.ResponseWriter, r *http.Request, fabricID int) {
	header, host := userHeaders(r), r.Host
	seen := h.rt.lastSeq(r.Context(), fabricID)
	f, started := h.rt.join(fabricID, func() job {
		return job{fabricID: fabricID, trigger: TriggerUser, engine: h.engine, timeout: h.timeout, seenSeq: seen,
			who: func(ctx context.Context) string { return h.whoAmI(ctx, header, host) }}
	})
	select {
	case <-f.done:
	case <-r.Context().Done():
		return // the browser left; the sync goes on
	}
	h.log.Info("fabric sync answered", zap.Int("fabric", fabricID), zap.Bool("started", started),
		zap.Bool("success", f.result.Success), zap.String("code", f.result.Code))
	netboxhttp.WriteJSON(w, syncStatus(f.result.Code), f.result)
}

func (h *Handler) testConnection(w http.ResponseWriter, r *http.Request, fabricID int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.timeout)
	defer cancel()
	res := h.engine.TestConnection(ctx, fabricID)
	h.log.Info("fabric connection tested", zap.Int("fabric", fabricID), zap.Bool("success", res.Success), zap.String("code", res.Code))
	netboxhttp.WriteJSON(w, syncStatus(res.Code), res)
}

// syncStatus is the HTTP status for an engine outcome: the plugin's page
// reads the body whatever the status, so a sync that ran answers 200 with
// its verdict inside; the gateway's own failures get 5xx.
func syncStatus(code string) int {
	switch code {
	case k8ssync.CodeFabricNotFound:
		return http.StatusNotFound
	case k8ssync.CodeNetBoxUnavailable, k8ssync.CodeNetBoxForbidden:
		return http.StatusBadGateway
	case k8ssync.CodeTimeout:
		return http.StatusGatewayTimeout
	case k8ssync.CodeInternal:
		return http.StatusInternalServerError
	}
	return http.StatusOK
}

func verdictName(v verdict) string {
	return [...]string{"allowed", "not_authenticated", "csrf_failed", "permission_denied", "not_found", "netbox_unavailable"}[v]
}

// refuseMethod answers a method the URL does not take, in the JSON
// contract, naming the one it does.
func refuseMethod(w http.ResponseWriter, r *http.Request, allowed string) {
	w.Header().Set("Allow", allowed)
	netboxhttp.Write(w, http.StatusMethodNotAllowed, netboxhttp.NewBody(CodeMethodNotAllowed,
		fmt.Sprintf("%s is not allowed here; use %s.", r.Method, allowed), ""))
}
