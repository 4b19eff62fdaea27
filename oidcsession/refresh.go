package oidcsession

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/hhgate/hhgate/oidcstore"
)

const (
	// refreshTimeout bounds one renewal: waiting for the storage lock, the
	// token call, userinfo and the save.
	refreshTimeout = 30 * time.Second
	// refreshRetryDelay spaces renewal attempts while the IdP cannot be
	// reached and the tokens are still valid (the session is served).
	refreshRetryDelay = 5 * time.Second
	// expiredRetryDelay spaces them once the tokens have expired (requests
	// get 503 idp_unavailable meanwhile): short, so that the session is
	// renewed soon after the IdP is back.
	expiredRetryDelay = time.Second
)

var (
	// errSessionEnded: the IdP refused the refresh token, or the record is gone.
	errSessionEnded = errors.New("session ended")
	// errIdPUnavailable: the IdP is needed (a login, or a session whose
	// tokens have expired) and cannot be reached, or has not been
	// discovered yet. The session, if any, is kept.
	errIdPUnavailable = errors.New("identity provider unavailable")
)

// liveSession returns the session's record, renewed if it was due. It
// returns (nil, nil) when there is no usable session; an error when the
// storage cannot be read, or errIdPUnavailable when the session's tokens
// have expired and the IdP cannot renew them now.
func (h *Handler) liveSession(ctx context.Context, id string) (*oidcstore.Record, error) {
	if !oidcstore.ValidID(id) {
		return nil, nil
	}
	rec, err := h.store.Get(ctx, id)
	if errors.Is(err, oidcstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := h.cfg.Now()
	if now.Before(rec.RefreshAt) {
		return rec, nil // the hot path: no storage I/O, no IdP
	}
	return h.renew(ctx, id, rec, now)
}

// renew brings a due session up to date. A session the IdP refused is no
// session (nil, nil). When the IdP cannot be reached the session is kept:
// served while its tokens are valid, errIdPUnavailable once they are not.
func (h *Handler) renew(ctx context.Context, id string, rec *oidcstore.Record, now time.Time) (*oidcstore.Record, error) {
	stillValid := now.Before(rec.TokenExpiry)
	if rec.RefreshToken == "" {
		if stillValid {
			return rec, nil
		}
		h.endSession(ctx, id)
		return nil, nil
	}
	if failed, ok := h.failedRenewal.Load(id); ok {
		wait := refreshRetryDelay
		if !stillValid {
			wait = expiredRetryDelay
		}
		if now.Before(failed.(time.Time).Add(wait)) {
			return keptSession(rec, stillValid, errIdPUnavailable)
		}
	}
	v, err, _ := h.refreshes.Do(oidcstore.StorageKey(id), func() (any, error) {
		return h.refresh(ctx, id)
	})
	switch {
	case err == nil:
		h.failedRenewal.Delete(id)
		return v.(*oidcstore.Record), nil
	case errors.Is(err, errSessionEnded):
		h.failedRenewal.Delete(id)
		return nil, nil
	}
	h.failedRenewal.Store(id, now) // the record stays: a later request may renew it
	return keptSession(rec, stillValid, err)
}

// keptSession is a session whose renewal failed for a passing reason:
// still usable while its tokens are valid.
func keptSession(rec *oidcstore.Record, stillValid bool, err error) (*oidcstore.Record, error) {
	if stillValid {
		return rec, nil
	}
	return nil, err
}

// refresh renews the session's tokens, once across goroutines (the caller's
// singleflight) and gateway instances (the storage lock): lock, reload,
// re-check, refresh, save, unlock. The reload is what makes a waiting
// instance see the refresh token another instance has just rotated.
func (h *Handler) refresh(ctx context.Context, id string) (*oidcstore.Record, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()

	// A flight that ended just before this one began may have done the work.
	if rec := h.store.Cached(id); rec != nil && h.cfg.Now().Before(rec.RefreshAt) {
		return rec, nil
	}
	p, err := h.idp.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errIdPUnavailable, err)
	}
	unlock, err := h.store.Lock(ctx, id)
	if err != nil {
		h.log.Warn("token refresh: cannot take the session lock", sessionField(id), zap.Error(err))
		return nil, err
	}
	defer unlock()

	rec, due, err := h.reloadForRefresh(ctx, id)
	if err != nil || !due {
		return rec, err
	}
	tok, method, err := p.refresh(ctx, rec.RefreshToken, rec.TokenAuthMethod)
	if err != nil {
		return h.refreshFailed(ctx, id, rec, err)
	}
	return h.saveRefreshed(ctx, p, id, rec, tok, method)
}

// reloadForRefresh reads the session from the storage under its lock and
// reports whether its tokens are still due: another instance may have
// renewed them, or the session may have ended, meanwhile.
func (h *Handler) reloadForRefresh(ctx context.Context, id string) (rec *oidcstore.Record, due bool, err error) {
	rec, err = h.store.Reload(ctx, id)
	if errors.Is(err, oidcstore.ErrNotFound) {
		return nil, false, errSessionEnded
	}
	if err != nil {
		return nil, false, err
	}
	now := h.cfg.Now()
	if !now.Before(rec.ExpiresAt) {
		h.endSession(ctx, id)
		return nil, false, errSessionEnded
	}
	if now.Before(rec.RefreshAt) {
		h.event(EventRefresh, "reused")
		return rec, false, nil
	}
	return rec, true, nil
}

// refreshFailed handles the IdP's refusal or failure to refresh rec: a
// failure keeps the session (retried later), a refusal ends it — unless
// another gateway rotated the refresh token meanwhile.
func (h *Handler) refreshFailed(ctx context.Context, id string, rec *oidcstore.Record, err error) (*oidcstore.Record, error) {
	if !isRefusal(err) {
		h.event(EventRefresh, "failed")
		h.log.Warn("token refresh failed; the session is kept", sessionField(id), errorCode(err))
		return nil, fmt.Errorf("%w: %w", errIdPUnavailable, err)
	}
	// Before giving up: a gateway whose storage lock did not hold may
	// have rotated the refresh token meanwhile.
	if latest, lerr := h.store.Reload(ctx, id); lerr == nil && latest.RefreshToken != rec.RefreshToken && h.cfg.Now().Before(latest.RefreshAt) {
		h.event(EventRefresh, "reused")
		return latest, nil
	}
	h.event(EventRefresh, "ended")
	h.log.Info("the identity provider refused the refresh token; session ended", sessionField(id), errorCode(err))
	h.endSession(ctx, id)
	return nil, errSessionEnded
}

// saveRefreshed records the refreshed tokens. The old refresh token is
// spent: without trustworthy new tokens the session cannot go on.
func (h *Handler) saveRefreshed(ctx context.Context, p *provider, id string, rec *oidcstore.Record, tok *oauth2.Token, method string) (*oidcstore.Record, error) {
	renewed, err := h.renewedRecord(ctx, p, rec, tok, method)
	if err != nil {
		h.event(EventRefresh, "ended")
		h.log.Warn("token refresh answer rejected; session ended", sessionField(id), zap.Error(err))
		h.endSession(ctx, id)
		return nil, errSessionEnded
	}
	if err := h.store.Save(ctx, id, renewed); err != nil {
		h.log.Error("token refresh: saving the session failed; other gateway instances will not see the new tokens", sessionField(id), zap.Error(err))
	}
	h.event(EventRefresh, "success")
	h.log.Debug("tokens refreshed", sessionField(id), zap.Time("token_expiry", renewed.TokenExpiry))
	return renewed, nil
}

// sessionField names a session in a log line by its handle, never its id.
func sessionField(id string) zap.Field { return zap.String("session", oidcstore.Handle(id)) }

// renewedRecord is rec with the refreshed tokens. A new ID token must be
// about the same subject; its claims (and userinfo's) update the identity.
func (h *Handler) renewedRecord(ctx context.Context, p *provider, rec *oidcstore.Record, tok *oauth2.Token, method string) (*oidcstore.Record, error) {
	idTok, idClaims, err := p.verifyIDToken(ctx, tok)
	if err != nil {
		return nil, err
	}
	next := *rec
	next.Version++
	next.AccessToken = tok.AccessToken
	next.TokenAuthMethod = method
	if tok.RefreshToken != "" {
		next.RefreshToken = tok.RefreshToken
	}
	if idTok != nil {
		if idTok.Subject != rec.Subject {
			return nil, errors.New("the refreshed ID token is about another subject")
		}
		next.IDToken, _ = tok.Extra("id_token").(string)
		if identity, err := identityFromClaims(h.userClaims(ctx, p, tok, idClaims), h.cfg.Claims, h.cfg.GroupSeparator); err == nil {
			next.Identity = identity
		}
	}
	now := h.cfg.Now()
	next.TokenExpiry = tokenExpiry(tok, idTok, rec.ExpiresAt)
	next.RefreshAt = refreshAt(now, next.TokenExpiry, h.cfg.RefreshMargin)
	return &next, nil
}

// tokenExpiry is the earlier of the access token's and the ID token's
// expiry; without either, the session's end. (Some IdPs send expires_in in
// the wrong unit, which puts the access token's expiry decades away: the ID
// token's exp then decides.)
func tokenExpiry(tok *oauth2.Token, idTok *oidc.IDToken, sessionEnd time.Time) time.Time {
	var exp time.Time
	if idTok != nil {
		exp = idTok.Expiry
	}
	if !tok.Expiry.IsZero() && (exp.IsZero() || tok.Expiry.Before(exp)) {
		exp = tok.Expiry
	}
	if exp.IsZero() || exp.After(sessionEnd) {
		exp = sessionEnd
	}
	return exp
}

// refreshAt is margin before expiry, but never earlier than halfway through
// the token's remaining life (short-lived tokens would otherwise be renewed
// on every request).
func refreshAt(now, expiry time.Time, margin time.Duration) time.Time {
	life := expiry.Sub(now)
	if life <= 0 {
		return now
	}
	return expiry.Add(-min(margin, life/2))
}

func (h *Handler) endSession(ctx context.Context, id string) {
	h.failedRenewal.Delete(id)
	if err := h.store.Delete(context.WithoutCancel(ctx), id); err != nil {
		h.log.Warn("deleting an ended session", sessionField(id), zap.Error(err))
	}
}
