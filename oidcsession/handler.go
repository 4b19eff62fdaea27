package oidcsession

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/hhgate/hhgate/oidcstore"
)

// sweepInterval is how often expired session records are removed from the storage.
const sweepInterval = time.Hour

// Next is the rest of the handler chain (NetBox).
type Next func(http.ResponseWriter, *http.Request) error

// Handler is the OIDC relying party in front of NetBox. It is safe for
// concurrent use.
type Handler struct {
	cfg      *settings
	log      *zap.Logger
	sealer   *oidcstore.Sealer
	store    *oidcstore.Store
	provider atomic.Pointer[provider] // nil until discovery succeeded

	// refreshes runs one renewal per session at a time in this process; the
	// storage lock does the same across processes.
	refreshes singleflight.Group
	// retryAfter holds, per session id, when a renewal that failed for a
	// passing reason may be tried again.
	retryAfter sync.Map
}

// New checks cfg and builds a Handler. Call Start before serving.
func New(cfg Config) (*Handler, error) {
	s, err := cfg.check()
	if err != nil {
		return nil, err
	}
	sealer, err := oidcstore.NewSealer(s.keys)
	if err != nil {
		return nil, err
	}
	return &Handler{
		cfg:    s,
		log:    s.Logger,
		sealer: sealer,
		store:  oidcstore.New(oidcstore.Config{Storage: s.Storage, Sealer: sealer, Now: s.Now}),
	}, nil
}

// Start discovers the IdP — waiting at most a few seconds, then going on in
// the background — and starts the sweeping of expired sessions. Both stop
// when ctx ends.
func (h *Handler) Start(ctx context.Context) {
	firstAttempt := make(chan struct{})
	go h.discoverLoop(ctx, firstAttempt)
	select {
	case <-firstAttempt:
	case <-ctx.Done():
	}
	go h.sweepLoop(ctx)
}

// Ready reports whether the IdP has been discovered.
func (h *Handler) Ready() bool { return h.provider.Load() != nil }

// Sweep removes expired session records now (it also runs every hour).
func (h *Handler) Sweep(ctx context.Context) (int, error) {
	return h.store.Sweep(ctx, h.cfg.SessionTTL)
}

func (h *Handler) sweepLoop(ctx context.Context) {
	tick := time.NewTicker(sweepInterval)
	defer tick.Stop()
	for {
		if n, err := h.Sweep(ctx); err != nil {
			h.log.Warn("removing expired sessions", zap.Error(err))
		} else if n > 0 {
			h.log.Debug("removed expired sessions", zap.Int("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
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
		h.log.Error("reading the session store", zap.Error(err))
		h.answerUnavailable(w, r, "The sign-in session store is not reachable right now. Please try again in a moment.")
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

func isHTMX(r *http.Request) bool {
	v := r.Header["Hx-Request"]
	return len(v) > 0 && strings.EqualFold(v[0], "true")
}

func (h *Handler) event(kind EventKind, result string) { h.cfg.OnEvent(kind, result) }
