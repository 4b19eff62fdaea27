// Package oidcsession makes the gateway an OpenID Connect relying party for
// NetBox: it logs browsers in at the IdP (authorization code flow with PKCE,
// state and nonce), keeps their sessions server-side (package oidcstore),
// renews tokens before they expire — one refresh per session at a time
// across goroutines and gateway instances — and tells NetBox who the user
// is through its REMOTE_AUTH_* headers, after stripping every client-sent
// spelling of them.
//
// It is plain net/http: the Caddy module in caddymodule/oidc is only
// configuration and glue around Handler.Serve.
package oidcsession
