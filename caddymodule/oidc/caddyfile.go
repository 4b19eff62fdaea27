package oidc

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
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
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		option := d.Val()
		switch option {
		case "issuer", "client_id", "client_secret", "redirect_url", "post_logout_redirect_url":
			// No value leaves the option unset, so that an empty {$ENV}
			// placeholder fails at start-up with the option's name.
			values := d.RemainingArgs()
			if len(values) > 1 {
				return d.ArgErr()
			}
			if len(values) == 1 {
				*m.stringOption(option) = values[0]
			}
		case "token_auth_method", "group_separator", "base_path", "login_path", "logout_path", "cookie_name":
			var value string
			if !d.AllArgs(&value) {
				return d.ArgErr()
			}
			*m.stringOption(option) = value
		case "session_ttl", "refresh_margin", "session_cache_ttl":
			var value string
			if !d.AllArgs(&value) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(value)
			if err != nil {
				return d.Errf("%s: %v", option, err)
			}
			*m.durationOption(option) = caddy.Duration(dur)
		case "session_key":
			m.SessionKeys = append(m.SessionKeys, d.RemainingArgs()...)
		case "scopes", "public_path", "api_prefix", "ajax_path":
			values := d.RemainingArgs()
			if len(values) == 0 {
				return d.ArgErr()
			}
			list := m.listOption(option)
			*list = append(*list, values...)
		case "claim", "header":
			var field, value string
			if !d.AllArgs(&field, &value) {
				return d.ArgErr()
			}
			target := m.identityField(option, field)
			if target == nil {
				return d.Errf("%s: unknown field '%s' (want user, email, first_name, last_name or groups)", option, field)
			}
			*target = value
		default:
			return d.Errf("unrecognized netbox_oidc option '%s'", option)
		}
	}
	return nil
}

func (m *NetBoxOIDC) stringOption(name string) *string {
	return map[string]*string{
		"issuer": &m.Issuer, "client_id": &m.ClientID, "client_secret": &m.ClientSecret, "token_auth_method": &m.TokenAuthMethod,
		"redirect_url": &m.RedirectURL, "post_logout_redirect_url": &m.PostLogoutRedirectURL,
		"group_separator": &m.GroupSeparator, "base_path": &m.BasePath, "login_path": &m.LoginPath,
		"logout_path": &m.LogoutPath, "cookie_name": &m.CookieName,
	}[name]
}

func (m *NetBoxOIDC) durationOption(name string) *caddy.Duration {
	return map[string]*caddy.Duration{
		"session_ttl": &m.SessionTTL, "refresh_margin": &m.RefreshMargin, "session_cache_ttl": &m.SessionCacheTTL,
	}[name]
}

func (m *NetBoxOIDC) listOption(name string) *[]string {
	return map[string]*[]string{
		"scopes": &m.Scopes, "public_path": &m.PublicPaths, "api_prefix": &m.APIPrefixes, "ajax_path": &m.AJAXPaths,
	}[name]
}

func (m *NetBoxOIDC) identityField(option, field string) *string {
	if option == "claim" {
		return map[string]*string{
			"user": &m.Claims.User, "email": &m.Claims.Email, "first_name": &m.Claims.FirstName,
			"last_name": &m.Claims.LastName, "groups": &m.Claims.Groups,
		}[field]
	}
	return map[string]*string{
		"user": &m.Headers.User, "email": &m.Headers.Email, "first_name": &m.Headers.FirstName,
		"last_name": &m.Headers.LastName, "groups": &m.Headers.Groups,
	}[field]
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(NetBoxOIDC)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// Interface guard
var _ caddyfile.Unmarshaler = (*NetBoxOIDC)(nil)
