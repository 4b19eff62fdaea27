package oidcsession

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"
)

// startupDiscoveryTimeout bounds the discovery attempt made while the
// configuration loads; after it, discovery continues in the background.
const startupDiscoveryTimeout = 3 * time.Second

// provider is the IdP as discovered.
type provider struct {
	oidc       *oidc.Provider
	oauth      oauth2.Config // RedirectURL is set per login
	verifier   *oidc.IDTokenVerifier
	endSession string
	client     *http.Client
}

func discover(ctx context.Context, cfg *settings) (*provider, error) {
	ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, err
	}
	var extra struct {
		EndSession  string   `json:"end_session_endpoint"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := p.Claims(&extra); err != nil {
		return nil, fmt.Errorf("reading discovery document: %w", err)
	}
	endpoint := p.Endpoint()
	endpoint.AuthStyle = authStyle(cfg.TokenAuthMethod, extra.AuthMethods)
	return &provider{
		oidc: p,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     endpoint,
			Scopes:       cfg.Scopes,
		},
		verifier:   p.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now}),
		endSession: extra.EndSession,
		client:     cfg.HTTPClient,
	}, nil
}

// authStyle is how the client authenticates at the token endpoint: as
// configured, else what the IdP announces (client_secret_basic when it
// lists it or says nothing, as OIDC Discovery defines). Never x/oauth2's
// auto-detection: it retries every failed call in the other style, which
// doubles the calls and would present a refresh token twice.
func authStyle(configured string, announced []string) oauth2.AuthStyle {
	switch {
	case configured == AuthMethodPost:
		return oauth2.AuthStyleInParams
	case configured == AuthMethodBasic:
		return oauth2.AuthStyleInHeader
	case len(announced) > 0 && !contains(announced, AuthMethodBasic) && contains(announced, AuthMethodPost):
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// withClient makes x/oauth2 and go-oidc use the configured HTTP client.
func (p *provider) withClient(ctx context.Context) context.Context {
	return oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, p.client), p.client)
}

func (p *provider) authCodeURL(pl pendingLogin) string {
	cfg := p.oauth
	cfg.RedirectURL = pl.RedirectURI
	opts := []oauth2.AuthCodeOption{oidc.Nonce(pl.Nonce), oauth2.S256ChallengeOption(pl.Verifier)}
	if pl.PromptNone {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "none"))
	}
	return cfg.AuthCodeURL(pl.State, opts...)
}

func (p *provider) exchange(ctx context.Context, code string, pl pendingLogin) (*oauth2.Token, error) {
	cfg := p.oauth
	cfg.RedirectURL = pl.RedirectURI
	return cfg.Exchange(p.withClient(ctx), code, oauth2.VerifierOption(pl.Verifier))
}

// refresh redeems a refresh token. x/oauth2 keeps the old refresh token when
// the IdP does not rotate it.
func (p *provider) refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	return p.oauth.TokenSource(p.withClient(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// verifyIDToken checks the token response's ID token (signature, issuer,
// audience, expiry, and at_hash when present) and returns it with its
// claims. A refresh answer without an ID token gives nil, nil.
func (p *provider) verifyIDToken(ctx context.Context, tok *oauth2.Token) (*oidc.IDToken, map[string]any, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, nil, nil
	}
	idTok, err := p.verifier.Verify(p.withClient(ctx), raw)
	if err != nil {
		return nil, nil, fmt.Errorf("ID token: %w", err)
	}
	if idTok.AccessTokenHash != "" {
		if err := idTok.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, nil, fmt.Errorf("ID token: %w", err)
		}
	}
	claims := map[string]any{}
	if err := idTok.Claims(&claims); err != nil {
		return nil, nil, fmt.Errorf("ID token claims: %w", err)
	}
	return idTok, claims, nil
}

// userInfo asks the userinfo endpoint, when the IdP has one: many IdPs put
// profile and group claims only there.
func (p *provider) userInfo(ctx context.Context, tok *oauth2.Token) (map[string]any, error) {
	if p.oidc.UserInfoEndpoint() == "" || tok.AccessToken == "" {
		return nil, nil
	}
	info, err := p.oidc.UserInfo(p.withClient(ctx), oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	claims := map[string]any{}
	if err := info.Claims(&claims); err != nil {
		return nil, fmt.Errorf("userinfo claims: %w", err)
	}
	return claims, nil
}

// isRefusal reports whether the IdP answered a token request with an OAuth
// error (4xx: invalid_grant, invalid_request …): the refresh token will not
// work again. Anything else — a network error, a 5xx, 429 — may pass.
func isRefusal(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return false
	}
	code := re.Response.StatusCode
	return code >= 400 && code < 500 && code != http.StatusTooManyRequests && code != http.StatusRequestTimeout
}

// errorCode is the OAuth error code of a token-endpoint failure, for logs.
// It never includes the response body.
func errorCode(err error) zap.Field {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return zap.Dict("idp_error", zap.String("code", re.ErrorCode), zap.Int("status", status))
	}
	return zap.String("error", err.Error())
}

// discoverLoop discovers the IdP: once within startupDiscoveryTimeout while
// the configuration loads (synchronously), then, if that failed, in the
// background with exponential back-off until it works or ctx ends.
func (h *Handler) discoverLoop(ctx context.Context, firstAttemptDone chan<- struct{}) {
	delay := h.cfg.DiscoveryRetryMin
	for attempt := 1; ; attempt++ {
		attemptCtx, cancel := context.WithTimeout(ctx, startupDiscoveryTimeout)
		p, err := discover(attemptCtx, h.cfg)
		cancel()
		if err == nil {
			h.provider.Store(p)
			if attempt > 1 {
				h.log.Info("identity provider discovered", zap.String("issuer", h.cfg.Issuer), zap.Int("attempt", attempt))
			}
		} else {
			h.log.Warn("identity provider discovery failed; logins answer 503 until it works",
				zap.String("issuer", h.cfg.Issuer), zap.Int("attempt", attempt),
				zap.Duration("retry_in", delay), zap.Error(err))
		}
		if firstAttemptDone != nil {
			close(firstAttemptDone)
			firstAttemptDone = nil
		}
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, h.cfg.DiscoveryRetryMax)
	}
}
