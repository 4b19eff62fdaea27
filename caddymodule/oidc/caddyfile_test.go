package oidc

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/hhgate/hhgate/caddymodule/guard"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    NetBoxOIDC
		wantErr string
	}{
		{name: "bare", input: `netbox_oidc`, want: NetBoxOIDC{}},
		{
			name: "every option",
			input: `netbox_oidc {
				issuer https://idp.example.com/realms/netbox
				client_id netbox
				client_secret s3cret
				token_auth_method client_secret_post
				scopes openid profile
				scopes email groups
				redirect_url https://netbox.example.com/.hhgate/oidc/callback
				post_logout_redirect_url /
				session_key key-one key-two
				session_key key-three
				session_ttl 8h
				refresh_margin 90s
				session_cache_ttl 2s
				public_path /static/* /favicon.ico
				public_path /health/
				claim user email
				claim groups roles
				header user X-Remote-User
				header groups X-Remote-Groups
				group_separator ,
				base_path /netbox/
				login_path /netbox/login/
				logout_path /netbox/logout/
				api_prefix /netbox/api/
				ajax_path /netbox/plugins/hedgehog/fabrics/*/sync/
				cookie_name nb_sso
			}`,
			want: NetBoxOIDC{
				Issuer: "https://idp.example.com/realms/netbox", ClientID: "netbox", ClientSecret: "s3cret",
				TokenAuthMethod: "client_secret_post", Scopes: []string{"openid", "profile", "email", "groups"},
				RedirectURL: "https://netbox.example.com/.hhgate/oidc/callback", PostLogoutRedirectURL: "/",
				SessionKeys: []string{"key-one", "key-two", "key-three"},
				SessionTTL:  caddy.Duration(8 * time.Hour), RefreshMargin: caddy.Duration(90 * time.Second),
				SessionCacheTTL: caddy.Duration(2 * time.Second),
				PublicPaths:     []string{"/static/*", "/favicon.ico", "/health/"},
				Claims:          ClaimNames{User: "email", Groups: "roles"},
				Headers:         HeaderNames{User: "X-Remote-User", Groups: "X-Remote-Groups"},
				GroupSeparator:  ",", BasePath: "/netbox/", LoginPath: "/netbox/login/", LogoutPath: "/netbox/logout/",
				APIPrefixes: []string{"/netbox/api/"}, AJAXPaths: []string{"/netbox/plugins/hedgehog/fabrics/*/sync/"},
				CookieName: "nb_sso",
			},
		},
		{name: "empty placeholders leave options unset", input: "netbox_oidc {\n issuer\n client_secret\n session_key\n post_logout_redirect_url\n}", want: NetBoxOIDC{}},
		{name: "unknown option", input: "netbox_oidc {\n client_secrets x\n}", wantErr: "unrecognized netbox_oidc option 'client_secrets'"},
		{name: "unknown claim field", input: "netbox_oidc {\n claim username sub\n}", wantErr: "claim: unknown field 'username'"},
		{name: "header without a name", input: "netbox_oidc {\n header user\n}", wantErr: "wrong argument count"},
		{name: "two issuers", input: "netbox_oidc {\n issuer a b\n}", wantErr: "wrong argument count"},
		{name: "bad duration", input: "netbox_oidc {\n session_ttl soon\n}", wantErr: "session_ttl"},
		{name: "scopes without a value", input: "netbox_oidc {\n scopes\n}", wantErr: "wrong argument count"},
		{name: "inline argument", input: "netbox_oidc https://idp", wantErr: "wrong argument count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got NetBoxOIDC
			err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
