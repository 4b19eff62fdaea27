package oidc

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hhgate/hhgate/caddymodule/netboxsite"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("netbox_oidc", parseCaddyfile)
}

// UnmarshalCaddyfile sets up the module from Caddyfile tokens:
//
//	netbox_oidc [<matcher>] {
//	    issuer                   <url>
//	    client_id                <id>
//	    client_secret            <secret>
//	    token_auth_method        client_secret_basic|client_secret_post
//	    scopes                   <scope>...
//	    redirect_url             <url>
//	    post_logout_redirect_url <url or path>
//	    session_key              [<key>...]
//	    session_ttl              <duration>
//	    refresh_margin           <duration>
//	    session_cache_ttl        <duration>
//	    public_path              <pattern>...
//	    claim  user|email|first_name|last_name|groups <claim>
//	    header user|email|first_name|last_name|groups <header>
//	    group_separator          <separator>
//	    base_path                <path>
//	    login_path               <path>
//	    logout_path              <path>
//	    api_prefix               <prefix>...
//	    ajax_path                <pattern>...
//	    cookie_name              <name>
//	}
//
// session_key, scopes, public_path, api_prefix and ajax_path may repeat;
// their values add up. session_key accepts no value at all, so that
// `session_key {$NEW_KEY} {$OLD_KEY}` works with an empty OLD_KEY, and
// issuer, client_id, client_secret, redirect_url and
// post_logout_redirect_url treat a missing value as unset: a required
// one then fails at start-up naming it.
func (m *NetBoxOIDC) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	const identityFields = "user, email, first_name, last_name or groups"
	return netboxsite.UnmarshalBlock(d, "netbox_oidc", netboxsite.Options{
		"issuer":                   netboxsite.OptionalString(&m.Issuer),
		"client_id":                netboxsite.OptionalString(&m.ClientID),
		"client_secret":            netboxsite.OptionalString(&m.ClientSecret),
		"redirect_url":             netboxsite.OptionalString(&m.RedirectURL),
		"post_logout_redirect_url": netboxsite.OptionalString(&m.PostLogoutRedirectURL),
		"token_auth_method":        netboxsite.String(&m.TokenAuthMethod),
		"group_separator":          netboxsite.String(&m.GroupSeparator),
		"base_path":                netboxsite.String(&m.BasePath),
		"login_path":               netboxsite.String(&m.LoginPath),
		"logout_path":              netboxsite.String(&m.LogoutPath),
		"cookie_name":              netboxsite.String(&m.CookieName),
		"session_ttl":              netboxsite.Duration(&m.SessionTTL),
		"refresh_margin":           netboxsite.Duration(&m.RefreshMargin),
		"session_cache_ttl":        netboxsite.Duration(&m.SessionCacheTTL),
		"session_key":              netboxsite.OptionalList(&m.SessionKeys),
		"scopes":                   netboxsite.List(&m.Scopes),
		"public_path":              netboxsite.List(&m.PublicPaths),
		"api_prefix":               netboxsite.List(&m.APIPrefixes),
		"ajax_path":                netboxsite.List(&m.AJAXPaths),
		"claim": netboxsite.Fields(map[string]*string{
			"user": &m.Claims.User, "email": &m.Claims.Email, "first_name": &m.Claims.FirstName,
			"last_name": &m.Claims.LastName, "groups": &m.Claims.Groups,
		}, identityFields),
		"header": netboxsite.Fields(map[string]*string{
			"user": &m.Headers.User, "email": &m.Headers.Email, "first_name": &m.Headers.FirstName,
			"last_name": &m.Headers.LastName, "groups": &m.Headers.Groups,
		}, identityFields),
	})
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(NetBoxOIDC)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// Interface guard
var _ caddyfile.Unmarshaler = (*NetBoxOIDC)(nil)
