package oidcsession

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"

	"golang.org/x/oauth2"
)

// tokenAuth chooses how the client secret travels to the token endpoint:
// in an Authorization: Basic header (client_secret_basic) or in the POST
// body (client_secret_post).
//
// Configured, only that style is used. Otherwise the first call tries the
// style discovery suggests and, if the IdP refuses the client
// (clientAuthRefused), the other one; the style that worked is kept for
// the later calls of this gateway, and each session record carries the
// style its tokens were issued with, so another gateway refreshes it the
// same way at once (see styles).
//
// This is not x/oauth2's AuthStyleAutoDetect, which repeats a call in the
// other style after any error, invalid_grant and timeouts included: with
// an IdP that rotates refresh tokens strictly (and revokes the whole grant
// when a spent one comes back) that would present a refresh token twice.
// Here a second attempt follows only an answer that says the client was
// not authenticated: RFC 6749 §5.2 invalid_client, or invalid_request (a
// missing client_id, which is how an IdP reading only the body sees a
// Basic header). Such a request was refused before its grant was looked
// at, so the code or refresh token is still unused.
type tokenAuth struct {
	configured oauth2.AuthStyle // AuthStyleAutoDetect (0): not configured
	preferred  oauth2.AuthStyle // what discovery suggests
	learned    atomic.Int32     // an oauth2.AuthStyle the IdP accepted; 0 until then
}

func newTokenAuth(configured string, announced []string) *tokenAuth {
	return &tokenAuth{configured: styleOf(configured), preferred: preferredStyle(announced)}
}

// preferredStyle is the style to try first: client_secret_basic when the
// IdP lists it or lists nothing (the OIDC Discovery default), post when it
// lists post but not basic.
func preferredStyle(announced []string) oauth2.AuthStyle {
	if len(announced) > 0 && !slices.Contains(announced, AuthMethodBasic) && slices.Contains(announced, AuthMethodPost) {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// styles is the order to try for a call. A code exchange starts with the
// style that worked last (else discovery's) and may fall back to the other
// one — a refused code is not spent — so a change at the IdP is followed.
// A refresh uses the style known to work: the learned one, else hint, the
// style the session's tokens were issued with; only with neither may it
// fall back.
func (a *tokenAuth) styles(login bool, hint string) []oauth2.AuthStyle {
	if a.configured != oauth2.AuthStyleAutoDetect {
		return []oauth2.AuthStyle{a.configured}
	}
	learned := oauth2.AuthStyle(a.learned.Load())
	if login {
		first := cmp.Or(learned, a.preferred)
		return []oauth2.AuthStyle{first, otherStyle(first)}
	}
	if known := cmp.Or(learned, styleOf(hint)); known != oauth2.AuthStyleAutoDetect {
		return []oauth2.AuthStyle{known}
	}
	return []oauth2.AuthStyle{a.preferred, otherStyle(a.preferred)}
}

// do runs call with each style in turn while the IdP refuses the client,
// and returns the method that worked. login tells a code exchange from a
// refresh.
func (a *tokenAuth) do(login bool, hint string, call func(oauth2.AuthStyle) (*oauth2.Token, error)) (*oauth2.Token, string, error) {
	styles := a.styles(login, hint)
	var err error
	for i, style := range styles {
		var tok *oauth2.Token
		tok, err = call(style)
		if err == nil {
			a.learned.Store(int32(style))
			return tok, methodOf(style), nil
		}
		if i == len(styles)-1 || !clientAuthRefused(err) {
			break
		}
	}
	return nil, "", err
}

// clientAuthRefused reports a token-endpoint answer that refuses the
// client's authentication rather than the grant: 400 or 401 with
// invalid_client or invalid_request, or a 401 without an OAuth error.
func clientAuthRefused(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return false
	}
	status := re.Response.StatusCode
	if status != http.StatusBadRequest && status != http.StatusUnauthorized {
		return false
	}
	switch re.ErrorCode {
	case "invalid_client", "invalid_request":
		return true
	case "":
		return status == http.StatusUnauthorized
	}
	return false
}

func styleOf(method string) oauth2.AuthStyle {
	switch method {
	case AuthMethodBasic:
		return oauth2.AuthStyleInHeader
	case AuthMethodPost:
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleAutoDetect
}

func methodOf(style oauth2.AuthStyle) string {
	if style == oauth2.AuthStyleInParams {
		return AuthMethodPost
	}
	return AuthMethodBasic
}

func otherStyle(style oauth2.AuthStyle) oauth2.AuthStyle {
	if style == oauth2.AuthStyleInParams {
		return oauth2.AuthStyleInHeader
	}
	return oauth2.AuthStyleInParams
}
