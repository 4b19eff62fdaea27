package oidcop

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	testClient = "harness"
	testSecret = "harness-secret"
	testRP     = "http://127.0.0.1:1/callback" // never called: FollowLogin stops at it
)

// loggedIn signs DefaultUser in through the OP's login form and returns the
// token response.
func loggedIn(t *testing.T, z *Zitadel) (*oauth2.Config, *oauth2.Token) {
	t.Helper()
	z.RegisterClient(Client{ID: testClient, Secret: testSecret, RedirectURIs: []string{testRP}})
	provider, err := oidc.NewProvider(t.Context(), z.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	cfg := &oauth2.Config{ClientID: testClient, ClientSecret: testSecret, Endpoint: endpoint, RedirectURL: testRP,
		Scopes: []string{oidc.ScopeOpenID, "profile", oidc.ScopeOfflineAccess}}
	verifier := oauth2.GenerateVerifier()
	jar, _ := cookiejar.New(nil)
	callback, err := FollowLogin(&http.Client{Jar: jar}, cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)),
		DefaultUser.Username, DefaultUser.Password)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(callback)
	tok, err := cfg.Exchange(t.Context(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, tok
}

func refresh(t *testing.T, cfg *oauth2.Config, rt string) (*oauth2.Token, error) {
	t.Helper()
	return cfg.TokenSource(t.Context(), &oauth2.Token{RefreshToken: rt}).Token()
}

func isInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// TestZitadelRotatesRefreshTokensStrictly: the property the gateway's
// single-refresh tests rely on: a refresh token works once.
func TestZitadelRotatesRefreshTokensStrictly(t *testing.T) {
	z := StartZitadel(t, ZitadelOptions{})
	cfg, tok := loggedIn(t, z)
	next, err := refresh(t, cfg, tok.RefreshToken)
	if err != nil || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("first refresh: %v (rotated: %v)", err, next != nil && next.RefreshToken != tok.RefreshToken)
	}
	if _, err := refresh(t, cfg, tok.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("reusing the spent token: %v, want invalid_grant", err)
	}
	if z.Calls.Codes() != 1 || z.Calls.Refreshes() != 2 || z.Calls.RefusedRefreshes() != 1 {
		t.Fatalf("counted %d codes, %d refreshes, %d refused; want 1, 2, 1", z.Calls.Codes(), z.Calls.Refreshes(), z.Calls.RefusedRefreshes())
	}
}

// TestZitadelLifetimesFollowTheClock: token lifetimes are measured on the
// test's clock, so moving it forward expires tokens without sleeping.
func TestZitadelLifetimesFollowTheClock(t *testing.T) {
	clock := NewClock()
	clock.Advance(time.Hour) // the clock runs ahead of the real time
	z := StartZitadel(t, ZitadelOptions{Clock: clock, AccessTTL: 2 * time.Minute, IDTokenTTL: 3 * time.Minute, RefreshTTL: 10 * time.Minute})
	cfg, tok := loggedIn(t, z)

	if d := tok.Expiry.Sub(clock.Now()); d < 110*time.Second || d > 2*time.Minute {
		t.Errorf("access token expires %s from the clock's now, want 2m", d)
	}
	provider, _ := oidc.NewProvider(t.Context(), z.Issuer)
	idTok, err := provider.Verifier(&oidc.Config{ClientID: testClient, Now: clock.Now}).Verify(t.Context(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if d := idTok.Expiry.Sub(clock.Now()); d < 170*time.Second || d > 3*time.Minute {
		t.Errorf("ID token expires %s from the clock's now, want 3m", d)
	}
	clock.Advance(11 * time.Minute)
	if _, err := refresh(t, cfg, tok.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("refresh token past its lifetime: %v, want invalid_grant", err)
	}
}

// TestZitadelEndUserSessionsRevokes: an IdP-side logout kills the refresh token.
func TestZitadelEndUserSessionsRevokes(t *testing.T) {
	z := StartZitadel(t, ZitadelOptions{})
	cfg, tok := loggedIn(t, z)
	z.EndUserSessions(DefaultUser.ID, testClient)
	if _, err := refresh(t, cfg, tok.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("refresh after EndUserSessions: %v, want invalid_grant", err)
	}
}

// TestZitadelPostOnlyClients: with PostOnlyClients the token endpoint
// refuses Basic client authentication before it looks at the code, which
// then still works in the POST body.
func TestZitadelPostOnlyClients(t *testing.T) {
	z := StartZitadel(t, ZitadelOptions{PostOnlyClients: true})
	z.RegisterClient(Client{ID: testClient, Secret: testSecret, RedirectURIs: []string{testRP}})
	provider, err := oidc.NewProvider(t.Context(), z.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := provider.Claims(&doc); err != nil || !slices.Contains(doc.AuthMethods, "client_secret_basic") {
		t.Fatalf("discovery lists %v (%v), want client_secret_basic among them", doc.AuthMethods, err)
	}
	cfg := &oauth2.Config{ClientID: testClient, ClientSecret: testSecret, Endpoint: provider.Endpoint(), RedirectURL: testRP,
		Scopes: []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess}}
	verifier := oauth2.GenerateVerifier()
	jar, _ := cookiejar.New(nil)
	callback, err := FollowLogin(&http.Client{Jar: jar}, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)),
		DefaultUser.Username, DefaultUser.Password)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(callback)
	code := u.Query().Get("code")
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	var re *oauth2.RetrieveError
	if _, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("basic: %v, want invalid_client", err)
	}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	if _, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("post after the refused basic attempt: %v", err)
	}
}

// TestMockDiffersFromZitadel: the properties the provider tests rely on:
// mockoidc lists no offline_access and client_secret_basic first, refuses
// offline_access, and takes the client only from the POST body, refusing a
// Basic header before it looks at the code.
func TestMockDiffersFromZitadel(t *testing.T) {
	m := StartMock(t, MockOptions{})
	provider, err := oidc.NewProvider(t.Context(), m.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scopes      []string `json:"scopes_supported"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := provider.Claims(&doc); err != nil || slices.Contains(doc.Scopes, "offline_access") ||
		len(doc.AuthMethods) == 0 || doc.AuthMethods[0] != "client_secret_basic" {
		t.Fatalf("discovery: scopes %v, auth methods %v (%v)", doc.Scopes, doc.AuthMethods, err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cfg := &oauth2.Config{ClientID: m.ClientID, ClientSecret: m.ClientSecret, Endpoint: provider.Endpoint(), RedirectURL: testRP}
	authorize := func(scopes ...string) *http.Response {
		cfg.Scopes = scopes
		resp, err := noRedirect.Get(cfg.AuthCodeURL("state"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := authorize(oidc.ScopeOpenID, oidc.ScopeOfflineAccess); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("offline_access: %d, want 400 invalid_scope", resp.StatusCode)
	}
	resp := authorize(oidc.ScopeOpenID, "profile", "email")
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	code := loc.Query().Get("code")
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	var re *oauth2.RetrieveError
	if _, err := cfg.Exchange(t.Context(), code); !errors.As(err, &re) || re.ErrorCode != "invalid_request" {
		t.Fatalf("basic: %v, want invalid_request", err)
	}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	if _, err := cfg.Exchange(t.Context(), code); err != nil {
		t.Fatalf("post after the refused basic attempt: %v", err)
	}
}
