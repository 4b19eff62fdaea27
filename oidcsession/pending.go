package oidcsession

import (
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// A pending login is the state of one trip to the IdP, kept in its own
// short-lived cookie until the IdP sends the browser back.
const (
	pendingCookiePrefix = "hhgate_login_"
	// pendingCookiePath limits the cookies to the login and callback
	// endpoints: NetBox requests do not carry them.
	pendingCookiePath = "/.hhgate/oidc/"
	// pendingLoginTTL is how long the IdP may take (the user typing a password).
	pendingLoginTTL = 10 * time.Minute
	// maxPendingLogins bounds the cookies per browser: each new login drops
	// the oldest beyond this, so tabs that keep starting logins cannot pile
	// them up (and overflow the Cookie header).
	maxPendingLogins = 4
)

type pendingLogin struct {
	State       string `json:"state"`
	Nonce       string `json:"nonce"`
	Verifier    string `json:"verifier"`
	RedirectURI string `json:"redirect_uri"`
	// Return is the same-origin path to go back to after the login.
	Return string `json:"return"`
	// PromptNone marks a silent attempt; an "interaction required" answer
	// then starts an interactive login instead of failing.
	PromptNone bool `json:"prompt_none,omitempty"`
	// Created orders the pending logins (Unix nanoseconds: several start
	// within a second).
	Created int64 `json:"created"`
}

// pendingCookieName derives the cookie's name from the state, so the
// callback finds its cookie directly.
func pendingCookieName(state string) string {
	sum := sha256.Sum256([]byte(state))
	return pendingCookiePrefix + hex.EncodeToString(sum[:6])
}

// savePending sets the cookie for pl and deletes pending-login cookies that
// have expired, cannot be read, or are beyond the newest maxPendingLogins-1.
// consumed is a cookie the response already deletes.
func (h *Handler) savePending(w http.ResponseWriter, r *http.Request, pl pendingLogin, consumed string) {
	now := h.cfg.Now()
	type existing struct {
		name    string
		created int64
	}
	var live []existing
	for _, c := range r.Cookies() {
		if !strings.HasPrefix(c.Name, pendingCookiePrefix) || c.Name == consumed {
			continue
		}
		old, ok := h.openPending(c.Name, c.Value, now)
		if !ok {
			h.setCookie(w, r, c.Name, "", pendingCookiePath, -1)
			continue
		}
		live = append(live, existing{c.Name, old.Created})
	}
	slices.SortFunc(live, func(a, b existing) int { return cmp.Compare(b.created, a.created) }) // newest first
	for i, e := range live {
		if i >= maxPendingLogins-1 {
			h.setCookie(w, r, e.name, "", pendingCookiePath, -1)
		}
	}
	name := pendingCookieName(pl.State)
	plain, _ := json.Marshal(pl) // a struct of strings cannot fail to encode
	sealed := h.sealer.Seal(plain, []byte(name))
	h.setCookie(w, r, name, base64.RawURLEncoding.EncodeToString(sealed), pendingCookiePath, pendingLoginTTL)
}

// takePending finds the pending login for state and deletes its cookie: a
// state is good for one callback only.
func (h *Handler) takePending(w http.ResponseWriter, r *http.Request, state string) (pendingLogin, bool) {
	if state == "" {
		return pendingLogin{}, false
	}
	name := pendingCookieName(state)
	value, ok := cookieValue(r, name)
	if !ok {
		return pendingLogin{}, false
	}
	h.setCookie(w, r, name, "", pendingCookiePath, -1)
	pl, ok := h.openPending(name, value, h.cfg.Now())
	if !ok || subtle.ConstantTimeCompare([]byte(pl.State), []byte(state)) != 1 {
		return pendingLogin{}, false
	}
	return pl, true
}

func (h *Handler) openPending(name, value string, now time.Time) (pendingLogin, bool) {
	var pl pendingLogin
	sealed, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return pl, false
	}
	plain, err := h.sealer.Open(sealed, []byte(name))
	if err != nil || json.Unmarshal(plain, &pl) != nil {
		return pl, false
	}
	if now.Sub(time.Unix(0, pl.Created)) > pendingLoginTTL {
		return pl, false
	}
	return pl, true
}
