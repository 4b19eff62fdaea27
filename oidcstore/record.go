package oidcstore

import "time"

// Identity is who the user is, in the terms NetBox's remote-user headers
// carry.
type Identity struct {
	User      string   `json:"user"`
	Email     string   `json:"email,omitempty"`
	FirstName string   `json:"first_name,omitempty"`
	LastName  string   `json:"last_name,omitempty"`
	Groups    []string `json:"groups,omitempty"`
}

// Record is one gateway session as stored. A Record is never changed once it
// is in the cache: a renewal makes a new one with the next Version.
type Record struct {
	// Version counts the saves of this session; a reload never replaces a
	// cached record with an older one.
	Version int64 `json:"version"`
	// Subject is the IdP's "sub" claim; a refresh must not change it.
	Subject  string   `json:"sub"`
	Identity Identity `json:"identity"`

	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// IDToken is kept as the id_token_hint of RP-initiated logout.
	IDToken string `json:"id_token,omitempty"`
	// TokenAuthMethod is how the client authenticated at the token endpoint
	// when these tokens were issued (client_secret_basic or
	// client_secret_post): every gateway refreshes the same way, without
	// trying another style with the refresh token.
	TokenAuthMethod string `json:"token_auth_method,omitempty"`

	// TokenExpiry is when the IdP's word for the user runs out: the earlier
	// of the access token's and the ID token's expiry.
	TokenExpiry time.Time `json:"token_expiry"`
	// RefreshAt is when a request should renew the tokens (refresh_margin
	// before TokenExpiry).
	RefreshAt time.Time `json:"refresh_at"`
	// CreatedAt is the login; ExpiresAt = CreatedAt + session_ttl ends the
	// session whatever the tokens say.
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}
