package oidcop

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
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
