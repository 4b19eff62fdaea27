package oidcsession

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/hhgate/hhgate/netboxhttp"
	"github.com/hhgate/hhgate/oidcstore"
)

// maxReturnPath bounds the path kept across the trip to the IdP.
const maxReturnPath = 2048

// loginURL is the gateway's login endpoint returning to page.
func loginURL(page string) string {
	return LoginPath + "?rd=" + url.QueryEscape(page)
}

// returnPath reduces a client-supplied rd/next value to a same-origin path
// that is safe to redirect to, or NetBox's home.
func (h *Handler) returnPath(raw string, r *http.Request) string {
	p, ok := netboxhttp.SameOriginPath(raw, r.Host)
	if !ok || len(p) > maxReturnPath {
		return h.cfg.BasePath
	}
	// Never back into this module's endpoints (a login ending in a
	// logout), however the path is encoded. Other /.hhgate/ pages (the
	// guard's relogin-done) are fine.
	u, err := url.Parse(p)
	if err != nil {
		return h.cfg.BasePath
	}
	switch u.Path {
	case LoginPath, CallbackPath, LogoutPath, StatusPath, h.cfg.LogoutPath:
		return h.cfg.BasePath
	}
	return p
}

// requireLogin answers a request that needs a session and has none.
// Scripts get the 401 contract (netboxhttp) pointing at the login endpoint
// (and htmx an HX-Redirect); navigations go to the IdP through the login
// endpoint, which sees the pending-login cookies and so can bound them.
// NetBox's own login page is taken over the same way.
func (h *Handler) requireLogin(w http.ResponseWriter, r *http.Request) {
	if _, err := h.idp.Get(r.Context()); err != nil {
		h.answerIdPUnavailable(w, r, msgIdPUnavailable)
		return
	}
	if h.isScript(r) {
		h.cfg.site.WriteAuthRequired(w, r, loginURL(netboxhttp.CurrentPage(r)))
		return
	}
	var back string
	switch {
	case r.URL.Path == h.cfg.LoginPath:
		back = h.returnPath(r.URL.Query().Get("next"), r)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		back = h.returnPath(r.URL.RequestURI(), r)
	default:
		// A form post cannot be replayed after the trip: come back to the page it came from.
		back = h.returnPath(netboxhttp.CurrentPage(r), r)
	}
	redirect(w, r, loginURL(back))
}

// serveLogin is GET /.hhgate/oidc/login?rd=<path>: with a live session it
// just goes to rd, otherwise to the IdP. A browser that still holds a
// session cookie had a session: its IdP session may still live, so the
// first attempt is silent (prompt=none).
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	raw := q.Get("rd")
	if raw == "" {
		raw = q.Get("next")
	}
	back := h.returnPath(raw, r)
	id, hadCookie := cookieValue(r, h.cfg.CookieName)
	rec, err := h.liveSession(r.Context(), id)
	if err != nil {
		h.answerSessionError(w, r, err)
		return
	}
	if rec != nil {
		redirect(w, r, back)
		return
	}
	h.startLogin(w, r, back, hadCookie, "")
}

// startLogin sends the browser to the IdP's authorization endpoint.
// consumed names a pending-login cookie this response already deletes.
func (h *Handler) startLogin(w http.ResponseWriter, r *http.Request, back string, promptNone bool, consumed string) {
	p, err := h.idp.Get(r.Context())
	if err != nil {
		h.answerIdPUnavailable(w, r, msgIdPUnavailable)
		return
	}
	pl := pendingLogin{
		State:       oauth2.GenerateVerifier(),
		Nonce:       oauth2.GenerateVerifier(),
		Verifier:    oauth2.GenerateVerifier(),
		RedirectURI: h.redirectURI(r),
		Return:      back,
		PromptNone:  promptNone,
		Created:     h.cfg.Now().UnixNano(),
	}
	h.savePending(w, r, pl, consumed)
	redirect(w, r, p.authCodeURL(pl))
}

// redirectURI is the configured redirect_url, or the callback on the origin
// the browser used.
func (h *Handler) redirectURI(r *http.Request) string {
	if h.cfg.RedirectURL != "" {
		return h.cfg.RedirectURL
	}
	return h.origin(r) + CallbackPath
}

func (h *Handler) origin(r *http.Request) string {
	scheme := "http"
	if h.cfg.IsTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// interactionRequired are the errors a prompt=none attempt gets when the
// user must see the IdP (OIDC Core 3.1.2.6).
var interactionRequired = map[string]bool{
	"login_required": true, "interaction_required": true, "consent_required": true, "account_selection_required": true,
}

// serveCallback is where the IdP sends the browser back: it checks the
// state and the IdP's answer, then completeLogin redeems the code.
func (h *Handler) serveCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pl, ok := h.takePending(w, r, q.Get("state"))
	if !ok {
		h.event(EventLogin, "failed")
		h.errorPage(w, r, http.StatusBadRequest, "This sign-in link is not valid",
			"It was used already, has expired, or was started in another browser. Please sign in again.", LoginPath)
		return
	}
	retry := loginURL(pl.Return)
	if code := q.Get("error"); code != "" {
		if pl.PromptNone && interactionRequired[code] {
			h.event(EventLogin, "prompt_none_fallback")
			h.startLogin(w, r, pl.Return, false, pendingCookieName(pl.State))
			return
		}
		h.event(EventLogin, "failed")
		h.log.Info("the identity provider refused the sign-in", zap.String("idp_error", truncate(code, 64)))
		h.errorPage(w, r, http.StatusForbidden, "The identity provider refused the sign-in",
			"It answered: "+truncate(code, 64)+" "+truncate(q.Get("error_description"), 200), retry)
		return
	}
	code := q.Get("code")
	if code == "" {
		h.event(EventLogin, "failed")
		h.errorPage(w, r, http.StatusBadRequest, "This sign-in link is not valid", "It carries no authorization code.", retry)
		return
	}
	h.completeLogin(w, r, pl, code, retry)
}

// completeLogin finishes a sign-in in three steps: exchange the code (with
// the PKCE verifier) for tokens, verify the ID token, its nonce and the
// identity, then record the session.
func (h *Handler) completeLogin(w http.ResponseWriter, r *http.Request, pl pendingLogin, code, retry string) {
	ctx := r.Context()
	p, err := h.idp.Get(ctx)
	if err != nil {
		h.answerIdPUnavailable(w, r, msgIdPUnavailable)
		return
	}
	tok, method, fail := exchangeCode(ctx, p, code, pl)
	var idTok *oidc.IDToken
	var identity oidcstore.Identity
	if fail == nil {
		idTok, identity, fail = h.verifyLogin(ctx, p, tok, pl)
	}
	if fail != nil {
		h.event(EventLogin, "failed")
		h.log.Warn("sign-in: "+fail.logText, fail.logField)
		h.errorPage(w, r, fail.status, "The sign-in could not be completed", fail.userText, retry)
		return
	}
	h.startSession(w, r, h.newRecord(tok, idTok, identity, method), pl.Return)
}

// loginFailure is why a callback cannot complete: the status and sentence
// the user gets, and the log line (never a token).
type loginFailure struct {
	status   int
	userText string
	logText  string
	logField zap.Field
}

// exchangeCode redeems the authorization code at the token endpoint.
func exchangeCode(ctx context.Context, p *provider, code string, pl pendingLogin) (*oauth2.Token, string, *loginFailure) {
	tok, method, err := p.exchange(ctx, code, pl)
	if err != nil {
		return nil, "", &loginFailure{http.StatusBadRequest,
			"The identity provider did not accept the sign-in (the link may have been used already).",
			"the identity provider did not accept the authorization code", errorCode(err)}
	}
	return tok, method, nil
}

// verifyLogin checks the ID token and that its nonce is this login's, and
// reads the identity from its claims (and userinfo's).
func (h *Handler) verifyLogin(ctx context.Context, p *provider, tok *oauth2.Token, pl pendingLogin) (*oidc.IDToken, oidcstore.Identity, *loginFailure) {
	idTok, idClaims, err := p.verifyIDToken(ctx, tok)
	if err == nil && idTok == nil {
		err = errMissingIDToken
	}
	if err != nil {
		return nil, oidcstore.Identity{}, &loginFailure{http.StatusBadRequest,
			"The identity provider's answer could not be verified.", "token response rejected", zap.Error(err)}
	}
	if subtle.ConstantTimeCompare([]byte(idTok.Nonce), []byte(pl.Nonce)) != 1 {
		return nil, oidcstore.Identity{}, &loginFailure{http.StatusBadRequest,
			"The identity provider's answer does not belong to this sign-in.", "ID token nonce mismatch", zap.Skip()}
	}
	identity, err := identityFromClaims(h.userClaims(ctx, p, tok, idClaims), h.cfg.Claims, h.cfg.GroupSeparator)
	if err != nil {
		return nil, oidcstore.Identity{}, &loginFailure{http.StatusForbidden, err.Error() + ".", "unusable identity", zap.Error(err)}
	}
	return idTok, identity, nil
}

// newRecord is a fresh session for the login's tokens.
func (h *Handler) newRecord(tok *oauth2.Token, idTok *oidc.IDToken, identity oidcstore.Identity, method string) *oidcstore.Record {
	now := h.cfg.Now()
	rec := &oidcstore.Record{
		Version:         1,
		Subject:         idTok.Subject,
		Identity:        identity,
		AccessToken:     tok.AccessToken,
		RefreshToken:    tok.RefreshToken,
		TokenAuthMethod: method,
		CreatedAt:       now,
		ExpiresAt:       now.Add(h.cfg.SessionTTL),
	}
	rec.IDToken, _ = tok.Extra("id_token").(string)
	rec.TokenExpiry = tokenExpiry(tok, idTok, rec.ExpiresAt)
	rec.RefreshAt = refreshAt(now, rec.TokenExpiry, h.cfg.RefreshMargin)
	if tok.RefreshToken == "" {
		h.log.Warn("the identity provider issued no refresh token: sessions end when the tokens expire (request the offline_access scope?)")
	}
	return rec
}

// startSession stores rec under a new id, replaces the session the browser
// held, sets the cookie and returns to back.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, rec *oidcstore.Record, back string) {
	ctx := r.Context()
	id := oidcstore.NewID()
	if err := h.store.Save(ctx, id, rec); err != nil {
		_ = h.store.Delete(ctx, id) // drop what the cache holds; the storage has nothing
		h.event(EventLogin, "failed")
		h.log.Error("sign-in: storing the session", zap.Error(err))
		h.answerUnavailable(w, r, msgStoreUnavailable)
		return
	}
	// A session the browser still held is replaced, not left behind.
	if old, ok := cookieValue(r, h.cfg.CookieName); ok && oidcstore.ValidID(old) {
		if err := h.store.Delete(ctx, old); err != nil {
			h.log.Warn("sign-in: deleting the replaced session", zap.Error(err))
		}
	}
	h.setCookie(w, r, h.cfg.CookieName, id, "/", h.cfg.SessionTTL)
	h.event(EventLogin, "success")
	h.log.Info("signed in", zap.String("user", rec.Identity.User), zap.String("session", oidcstore.Handle(id)))
	redirect(w, r, back)
}

// redirect answers 302 for GET/HEAD and 303 otherwise (a form post must
// not be repeated at the target), never cached.
func redirect(w http.ResponseWriter, r *http.Request, target string) {
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusFound
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		status = http.StatusSeeOther
	}
	http.Redirect(w, r, target, status)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
