// Package oidc is the Caddy module http.handlers.netbox_oidc: Caddy
// configuration and glue around oidcsession.Handler.
package oidc

import (
	"cmp"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/certmagic"

	"github.com/hhgate/hhgate/caddymodule/netboxsite"
	"github.com/hhgate/hhgate/oidcsession"
)

func init() {
	caddy.RegisterModule(NetBoxOIDC{})
}

// NetBoxOIDC makes the gateway the OpenID Connect relying party for NetBox.
// Browsers log in at the IdP; the gateway keeps their tokens server-side in
// Caddy's storage, renews them silently before they expire, and tells
// NetBox who the user is through its REMOTE_AUTH_* headers (NetBox setting
// REMOTE_AUTH_ENABLED). Client-sent identity headers are always removed.
// Place it first in the route, before netbox_guard and reverse_proxy.
type NetBoxOIDC struct {
	// The IdP's issuer URL. Required. Placeholders such as {env.OIDC_ISSUER} work.
	Issuer string `json:"issuer,omitempty"`

	// The client id registered at the IdP. Required.
	ClientID string `json:"client_id,omitempty"`

	// The client secret. Required; use a placeholder ({env.OIDC_CLIENT_SECRET}).
	ClientSecret string `json:"client_secret,omitempty"`

	// How the client secret is sent to the token endpoint:
	// client_secret_basic or client_secret_post, and only that. Default:
	// detected — first what the IdP's discovery document suggests (basic
	// unless it lists only post), the other if the IdP refuses the client
	// (invalid_client or invalid_request), then whichever worked.
	TokenAuthMethod string `json:"token_auth_method,omitempty"`

	// Scopes to request, as given. Default: openid profile email, plus
	// offline_access (which asks for a refresh token) when the IdP lists it
	// in its discovery document's scopes_supported or lists no scopes.
	Scopes []string `json:"scopes,omitempty"`

	// The absolute callback URL registered at the IdP, ending in
	// /.hhgate/oidc/callback. Default: derived from each request's scheme
	// and Host.
	RedirectURL string `json:"redirect_url,omitempty"`

	// Where the IdP sends the browser after logout (post_logout_redirect_uri,
	// must be registered at the IdP); a path is made absolute with the
	// request's origin. Default: none (the IdP's own page).
	PostLogoutRedirectURL string `json:"post_logout_redirect_url,omitempty"`

	// Keys that encrypt the stored sessions and login state: 32 bytes each,
	// as 64 hex digits or base64 (openssl rand -base64 32). The first
	// encrypts, all decrypt: rotate by putting a new key first. Required.
	SessionKeys []string `json:"session_keys,omitempty"`

	// The longest a gateway session lives, however often its tokens are
	// renewed. Default: 12h.
	SessionTTL caddy.Duration `json:"session_ttl,omitempty"`

	// How long before the access/ID token expires it is renewed with the
	// refresh token. Default: 1m (at most half the token's lifetime).
	RefreshMargin caddy.Duration `json:"refresh_margin,omitempty"`

	// How long a gateway serves a session from memory before it reads it
	// from the storage again: a logout on another gateway sharing the
	// storage takes effect here within this time. Default: 3s (at most 1m).
	SessionCacheTTL caddy.Duration `json:"session_cache_ttl,omitempty"`

	// Paths served without a session and without identity headers. A
	// pattern ending in "*" is a prefix. Default: <base_path>static/* and
	// /favicon.ico.
	PublicPaths []string `json:"public_paths,omitempty"`

	// Claims the identity is read from (ID token, then userinfo).
	Claims ClaimNames `json:"claims,omitzero"`

	// Headers the identity is sent to NetBox in. They must match NetBox's
	// REMOTE_AUTH_HEADER etc. (Remote-User ↔ HTTP_REMOTE_USER).
	Headers HeaderNames `json:"headers,omitzero"`

	// NetBox's REMOTE_AUTH_GROUP_SEPARATOR. Default: |.
	GroupSeparator string `json:"group_separator,omitempty"`

	// NetBox's BASE_PATH as a path, "/" (default) or for example "/netbox/".
	BasePath string `json:"base_path,omitempty"`

	// NetBox's LOGIN_URL path; it is taken over and starts the SSO login.
	// Default: base_path + "login/".
	LoginPath string `json:"login_path,omitempty"`

	// NetBox's logout path; it ends the gateway, NetBox and IdP sessions.
	// Default: base_path + "logout/".
	LogoutPath string `json:"logout_path,omitempty"`

	// Path prefixes whose requests are always programmatic (as in
	// netbox_guard). Default: base_path + "api/" and base_path + "graphql/".
	APIPrefixes []string `json:"api_prefix,omitempty"`

	// Extra path patterns whose requests are programmatic (as in netbox_guard).
	AJAXPaths []string `json:"ajax_path,omitempty"`

	// The session cookie's name. Default: hhgate_session.
	CookieName string `json:"cookie_name,omitempty"`

	// message is the netbox app's text of the 401 "log in again" answer.
	message string
	cfg     oidcsession.Config
	handler *oidcsession.Handler // nil when cfg is not valid
	// storage overrides ctx.Storage() in tests.
	storage certmagic.Storage
}

// ClaimNames name the claims of each identity field.
type ClaimNames struct {
	// Default: preferred_username. The claim must be present.
	User string `json:"user,omitempty"`
	// Default: email.
	Email string `json:"email,omitempty"`
	// Default: given_name.
	FirstName string `json:"first_name,omitempty"`
	// Default: family_name.
	LastName string `json:"last_name,omitempty"`
	// Default: groups (an array of strings, or one string).
	Groups string `json:"groups,omitempty"`
}

// HeaderNames name the request header of each identity field.
type HeaderNames struct {
	// Default: Remote-User (NetBox REMOTE_AUTH_HEADER HTTP_REMOTE_USER).
	User string `json:"user,omitempty"`
	// Default: Remote-User-Email.
	Email string `json:"email,omitempty"`
	// Default: Remote-User-First-Name.
	FirstName string `json:"first_name,omitempty"`
	// Default: Remote-User-Last-Name.
	LastName string `json:"last_name,omitempty"`
	// Default: Remote-User-Group (NetBox REMOTE_AUTH_GROUP_HEADER).
	Groups string `json:"groups,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (NetBoxOIDC) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.netbox_oidc",
		New: func() caddy.Module { return new(NetBoxOIDC) },
	}
}

// Provision builds the handler and starts its background work — the IdP's
// discovery, with retries, and the sweeping of expired sessions — without
// waiting for either: it does no network I/O, so that `hhgate validate`
// and every reload work while the IdP is down. Configuration errors are
// Validate's to report.
func (m *NetBoxOIDC) Provision(ctx caddy.Context) error {
	events, err := registerEventCounter(ctx.GetMetricsRegistry())
	if err != nil {
		return err
	}
	site, err := netboxsite.Shared(ctx)
	if err != nil {
		return err
	}
	m.inheritSite(site)
	cfg := m.config(caddy.NewReplacer())
	cfg.Logger = ctx.Logger()
	cfg.OnEvent = events
	cfg.IsTLS = isTLS
	cfg.Storage = m.storage
	if cfg.Storage == nil {
		cfg.Storage = ctx.Storage()
	}
	m.cfg = cfg
	if h, err := oidcsession.New(cfg); err == nil {
		m.handler = h
		h.Start(ctx)
	}
	return nil
}

// inheritSite takes NetBox's paths from the netbox app where this block
// sets none, and the app's text of the 401 a script gets without a session.
func (m *NetBoxOIDC) inheritSite(site netboxsite.Site) {
	m.BasePath = cmp.Or(m.BasePath, site.BasePath)
	m.LoginPath = cmp.Or(m.LoginPath, site.LoginPath)
	if len(m.APIPrefixes) == 0 {
		m.APIPrefixes = site.APIPrefixes
	}
	if len(m.AJAXPaths) == 0 {
		m.AJAXPaths = site.AJAXPaths
	}
	m.message = site.Message
}

// Validate checks the configuration; the error names the field. It has no
// side effects.
func (m *NetBoxOIDC) Validate() error {
	return m.cfg.Validate()
}

// Cleanup stops the background work Provision started and waits for it.
func (m *NetBoxOIDC) Cleanup() error {
	if m.handler != nil {
		m.handler.Stop()
	}
	return nil
}

// config is the logic package's configuration with placeholders ({env.*})
// replaced in the fields that hold secrets or deployment addresses.
func (m *NetBoxOIDC) config(repl *caddy.Replacer) oidcsession.Config {
	keys := make([]string, len(m.SessionKeys))
	for i, k := range m.SessionKeys {
		keys[i] = repl.ReplaceKnown(k, "")
	}
	return oidcsession.Config{
		Issuer:                repl.ReplaceKnown(m.Issuer, ""),
		ClientID:              repl.ReplaceKnown(m.ClientID, ""),
		ClientSecret:          repl.ReplaceKnown(m.ClientSecret, ""),
		TokenAuthMethod:       m.TokenAuthMethod,
		Scopes:                m.Scopes,
		RedirectURL:           repl.ReplaceKnown(m.RedirectURL, ""),
		PostLogoutRedirectURL: repl.ReplaceKnown(m.PostLogoutRedirectURL, ""),
		SessionKeys:           keys,
		SessionTTL:            time.Duration(m.SessionTTL),
		RefreshMargin:         time.Duration(m.RefreshMargin),
		SessionCacheTTL:       time.Duration(m.SessionCacheTTL),
		PublicPaths:           m.PublicPaths,
		Claims:                oidcsession.ClaimNames(m.Claims),
		Headers:               oidcsession.HeaderNames(m.Headers),
		GroupSeparator:        m.GroupSeparator,
		BasePath:              m.BasePath,
		LoginPath:             m.LoginPath,
		LogoutPath:            m.LogoutPath,
		APIPrefixes:           m.APIPrefixes,
		AJAXPaths:             m.AJAXPaths,
		Message:               m.message,
		CookieName:            m.CookieName,
	}
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (m *NetBoxOIDC) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	return m.handler.Serve(w, r, next.ServeHTTP)
}

// isTLS: the browser's connection is TLS, or a trusted proxy in front of
// Caddy (the server's trusted_proxies) says it was.
func isTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool)
	return trusted && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// Interface guards
var (
	_ caddy.Provisioner           = (*NetBoxOIDC)(nil)
	_ caddy.Validator             = (*NetBoxOIDC)(nil)
	_ caddy.CleanerUpper          = (*NetBoxOIDC)(nil)
	_ caddyhttp.MiddlewareHandler = (*NetBoxOIDC)(nil)
)
