package sessionguard

import (
	"encoding/json"
	"net/http"
	"time"
)

// SessionAnswer is the JSON of GET <base_path>.hhgate/session. It is the
// gateway's belief from cookies, without asking NetBox: a session NetBox
// ended on its side (an administrator, a restart with a new secret) still
// shows as authenticated until a request gets the guard's 401.
type SessionAnswer struct {
	// Authenticated: the browser holds a NetBox session that has not expired.
	Authenticated bool `json:"authenticated"`
	// ExpiresAt is when it expires, in Unix seconds with milliseconds; null
	// when unknown (no expiry recorded, or a session cookie that lives until
	// the browser closes).
	ExpiresAt *float64 `json:"expires_at"`
	// ServerTime is the gateway's clock, in the same unit, so that a page
	// can measure the time left on its own clock even if that one is off.
	ServerTime float64 `json:"server_time"`
	// WarnBeforeSeconds is the warn_before option.
	WarnBeforeSeconds int `json:"warn_before_seconds"`
	// Source names whose session this is: "netbox". (An OIDC module in
	// front answers the same path with its own session.)
	Source string `json:"source"`
}

func (p *pages) serveSession(w http.ResponseWriter, r *http.Request) {
	s := p.sessionOf(r)
	answer := SessionAnswer{
		Authenticated:     s.authenticated,
		ServerTime:        unixSeconds(p.now()),
		WarnBeforeSeconds: int(p.warnBefore / time.Second),
		Source:            "netbox",
	}
	if !s.expiresAt.IsZero() {
		at := unixSeconds(s.expiresAt)
		answer.ExpiresAt = &at
	}
	writeEndpointJSON(w, http.StatusOK, answer)
}

// unixSeconds is t in Unix seconds, to the millisecond.
func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// writeEndpointJSON writes an endpoint's JSON answer; none may be cached or
// read by another site.
func writeEndpointJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte(`{}`) // the answer types always marshal
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
