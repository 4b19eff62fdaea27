package oidcsession

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"
)

// provider is the IdP as discovered.
type provider struct {
	oidc       *oidc.Provider
	oauth      oauth2.Config // RedirectURL is set per login, Endpoint.AuthStyle per call
	auth       *tokenAuth
	verifier   *oidc.IDTokenVerifier
	endSession string
	client     *http.Client
}

// discoveryExtras are the discovery document's fields go-oidc does not keep.
type discoveryExtras struct {
	EndSession      string   `json:"end_session_endpoint"`
	AuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported []string `json:"scopes_supported"`
}

func discover(ctx context.Context, cfg *settings) (*provider, error) {
	ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, err
	}
	var extra discoveryExtras
	if err := p.Claims(&extra); err != nil {
		return nil, fmt.Errorf("reading discovery document: %w", err)
	}
	return &provider{
		oidc: p,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     p.Endpoint(),
			Scopes:       scopesFor(cfg.Scopes, extra.ScopesSupported),
		},
		auth:       newTokenAuth(cfg.TokenAuthMethod, extra.AuthMethods),
		verifier:   p.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now}),
		endSession: extra.EndSession,
		client:     cfg.HTTPClient,
	}, nil
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

// exchange trades the code for tokens; it returns the client
// authentication method that worked (see tokenAuth).
func (p *provider) exchange(ctx context.Context, code string, pl pendingLogin) (*oauth2.Token, string, error) {
	ctx = p.withClient(ctx)
	return p.auth.do(true, "", func(style oauth2.AuthStyle) (*oauth2.Token, error) {
		cfg := p.oauth
		cfg.RedirectURL = pl.RedirectURI
		cfg.Endpoint.AuthStyle = style
		return cfg.Exchange(ctx, code, oauth2.VerifierOption(pl.Verifier))
	})
}

// refresh redeems a refresh token, authenticating as the tokens were issued
// (method, from the session record) unless the style is configured or
// known. x/oauth2 keeps the old refresh token when the IdP does not rotate
// it.
func (p *provider) refresh(ctx context.Context, refreshToken, method string) (*oauth2.Token, string, error) {
	ctx = p.withClient(ctx)
	return p.auth.do(false, method, func(style oauth2.AuthStyle) (*oauth2.Token, error) {
		cfg := p.oauth
		cfg.Endpoint.AuthStyle = style
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	})
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
