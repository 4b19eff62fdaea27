package oidcsession

import (
	"encoding/json"
	"net/http"
	"time"
)

// sessionStatus is the answer of GET /.hhgate/session. It never carries a
// token. Its time fields have the unit and meaning of netbox_guard's answer
// on the same path (Unix seconds, with the gateway's clock next to them), so
// the guard's page script can read either; this one runs first and answers
// for the OIDC session.
type sessionStatus struct {
	Authenticated bool `json:"authenticated"`
	*identityStatus
}

type identityStatus struct {
	User   string   `json:"user"`
	Email  string   `json:"email"`
	Groups []string `json:"groups"`
	// ExpiresAt is when the gateway session ends at the latest (session_ttl
	// after the login), in Unix seconds; the tokens are renewed silently
	// before that.
	ExpiresAt float64 `json:"expires_at"`
	// ServerTime is the gateway's clock in the same unit.
	ServerTime float64 `json:"server_time"`
	// Source says whose session this is: "oidc".
	Source string `json:"source"`
}

// serveStatus answers whether this browser has a live session, renewing it
// if it was due, so "authenticated" means the next request will carry an
// identity. No session is a 200 too: this is a status endpoint.
func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id, _ := cookieValue(r, h.cfg.CookieName)
	rec, err := h.liveSession(r.Context(), id)
	if err != nil {
		h.answerSessionError(w, r, err)
		return
	}
	status := sessionStatus{}
	if rec != nil {
		groups := rec.Identity.Groups
		if groups == nil {
			groups = []string{}
		}
		status = sessionStatus{Authenticated: true, identityStatus: &identityStatus{
			User: rec.Identity.User, Email: rec.Identity.Email, Groups: groups,
			ExpiresAt: unixSeconds(rec.ExpiresAt), ServerTime: unixSeconds(h.cfg.Now()), Source: "oidc",
		}}
	}
	body, _ := json.Marshal(status) // strings and numbers: cannot fail
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cross-Origin-Resource-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// unixSeconds is t in Unix seconds, to the millisecond.
func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
