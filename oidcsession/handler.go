package oidcsession

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/hhgate/hhgate/netboxhttp"
	"github.com/hhgate/hhgate/oidcstore"
)

const (
	// sweepInterval is how often expired session records are removed from
	// the storage.
	sweepInterval = time.Hour
	// firstSweepDelay: the first sweep waits until the gateway has
	// settled; a configuration that is only validated never sweeps.
	firstSweepDelay = time.Minute
)

// Next is the rest of the handler chain (NetBox).
type Next func(http.ResponseWriter, *http.Request) error

// Handler is the OIDC relying party in front of NetBox. It is safe for
// concurrent use.
type Handler struct {
	cfg    *settings
	log    *zap.Logger
	sealer *oidcstore.Sealer
	store  *oidcstore.Store
	idp    *discovery

	// stop ends the background work Start began; done is its count.
	stop context.CancelFunc
	done sync.WaitGroup

	// refreshes runs one renewal per session at a time in this process; the
	// storage lock does the same across processes.
	refreshes singleflight.Group
	// failedRenewal holds, per session id, when a renewal last failed for a
	// passing reason (the IdP unreachable), to space the next attempts.
	failedRenewal sync.Map
}

// New checks cfg and builds a Handler; it does no I/O. Call Start to
// discover the IdP in the background before the first request needs it.
func New(cfg Config) (*Handler, error) {
	s, err := cfg.check()
	if err != nil {
		return nil, err
	}
	sealer, err := oidcstore.NewSealer(s.keys)
	if err != nil {
		return nil, err
	}
	h := &Handler{
		cfg:    s,
		log:    s.Logger,
		sealer: sealer,
		store: oidcstore.New(oidcstore.Config{
			Storage: s.Storage, Sealer: sealer, Now: s.Now, RevalidateAfter: s.SessionCacheTTL,
		}),
	}
	h.idp = &discovery{
		attempt:   func(ctx context.Context) (*provider, error) { return discover(ctx, s) },
		retryMin:  s.DiscoveryRetryMin,
		retryMax:  s.DiscoveryRetryMax,
		now:       time.Now, // real time: it spaces network attempts
		onFailure: h.logDiscoveryFailure,
		onSuccess: h.logDiscovered,
	}
	return h, nil
}

// Start begins the background work — discovering the IdP, sweeping expired
// sessions — and returns at once: it does no I/O itself. The work ends
// when ctx ends or Stop is called.
func (h *Handler) Start(ctx context.Context) {
	ctx, h.stop = context.WithCancel(ctx)
	h.done.Go(func() { h.idp.Run(ctx) })
	h.done.Go(func() { h.sweepLoop(ctx) })
}

// Stop ends the background work and waits for it. Requests still in
// flight are not affected.
func (h *Handler) Stop() {
	if h.stop != nil {
		h.stop()
	}
	h.done.Wait()
	h.idp.wait()
}

// Ready reports whether the IdP has been discovered.
func (h *Handler) Ready() bool { return h.idp.Provider() != nil }

func (h *Handler) logDiscoveryFailure(attempt int, retryIn time.Duration, err error) {
	fields := []zap.Field{zap.String("issuer", h.cfg.Issuer), zap.Int("attempt", attempt), zap.Error(err)}
	if retryIn > 0 {
		fields = append(fields, zap.Duration("retry_in", retryIn))
	}
	h.log.Warn("identity provider discovery failed; sign-ins and token refreshes answer 503 until it works", fields...)
}

func (h *Handler) logDiscovered(attempt int) {
	p := h.idp.Provider()
	h.log.Info("identity provider discovered", zap.String("issuer", h.cfg.Issuer), zap.Int("attempt", attempt),
		zap.Strings("scopes", p.oauth.Scopes))
}

// Sweep removes expired session records now (it also runs every hour).
func (h *Handler) Sweep(ctx context.Context) (int, error) {
	return h.store.Sweep(ctx, h.cfg.SessionTTL)
}

func (h *Handler) sweepLoop(ctx context.Context) {
	timer := time.NewTimer(firstSweepDelay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if n, err := h.Sweep(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("removing expired sessions", zap.Error(err))
		} else if n > 0 {
			h.log.Debug("removed expired sessions", zap.Int("count", n))
		}
		timer.Reset(sweepInterval)
	}
}

// Serve handles r: the gateway's own endpoints, then everything else on
// its way to NetBox with the identity of a live session. Whatever happens,
// client-sent identity headers and the gateway's cookies never reach NetBox.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, next Next) error {
	h.cfg.identity.Strip(r.Header)
	switch r.URL.Path {
	case LoginPath:
		h.serveLogin(w, r)
		return nil
	case CallbackPath:
		h.serveCallback(w, r)
		return nil
	case StatusPath, h.cfg.statusUnderBase:
		h.serveStatus(w, r)
		return nil
	case LogoutPath, h.cfg.LogoutPath:
		return h.serveLogout(w, r, next)
	}

	id, _ := takeSessionCookie(r.Header, h.cfg.CookieName)
	if h.isPublic(r.URL.Path) || isAPIClient(r) {
		return next(w, r)
	}
	rec, err := h.liveSession(r.Context(), id)
	switch {
	case rec != nil:
		h.cfg.identity.Set(r.Header, &rec.Identity)
		return next(w, r)
	case err != nil:
		h.answerSessionError(w, r, err)
		return nil
	}
	h.requireLogin(w, r)
	return nil
}

func (h *Handler) isPublic(path string) bool {
	for _, p := range h.cfg.publicExact {
		if path == p {
			return true
		}
	}
	for i := range h.cfg.publicPatterns {
		if h.cfg.publicPatterns[i].Match(path) {
			return true
		}
	}
	return false
}

// isAPIClient reports a request carrying NetBox API credentials. Such a
// request gets no identity headers: NetBox would turn it into a session
// request and demand a CSRF token (NetBox issue #18914).
func isAPIClient(r *http.Request) bool {
	v := r.Header["Authorization"]
	if len(v) == 0 {
		return false
	}
	scheme, _, _ := strings.Cut(strings.TrimSpace(v[0]), " ")
	return strings.EqualFold(scheme, "Token") || strings.EqualFold(scheme, "Bearer")
}

// isScript reports a request whose sender cannot use a page or a redirect
// to the IdP: any htmx request (a boosted one too: it cannot follow a
// cross-origin redirect) and every programmatic one.
func (h *Handler) isScript(r *http.Request) bool {
	return netboxhttp.IsHTMX(r) || h.cfg.site.IsProgrammatic(r)
}

func (h *Handler) event(kind EventKind, result string) { h.cfg.OnEvent(kind, result) }
