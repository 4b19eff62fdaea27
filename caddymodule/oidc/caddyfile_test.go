package oidc

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
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

// TestSSOCaddyfile adapts the repository's Caddyfile.sso and checks that
// netbox_oidc runs first in the route, before netbox_guard and
// reverse_proxy, with the environment's values.
func TestSSOCaddyfile(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "Caddyfile.sso"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"NETBOX_UPSTREAM": "127.0.0.1:8000", "HHGATE_OIDC_ISSUER": "https://idp.example.com",
		"HHGATE_OIDC_CLIENT_ID": "netbox", "HHGATE_OIDC_CLIENT_SECRET": "s3cret", "HHGATE_SESSION_KEY": "k1",
		"HHGATE_SESSION_KEY_PREVIOUS": "", "HHGATE_OIDC_POST_LOGOUT_URL": "",
	} {
		t.Setenv(k, v)
	}
	out, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt(src, map[string]any{"filename": "Caddyfile.sso"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Errorf("adapter warning: %s", w.Message)
	}
	flat := string(out)
	oidc := strings.Index(flat, `"handler":"netbox_oidc"`)
	guard := strings.Index(flat, `"handler":"netbox_guard"`)
	proxy := strings.Index(flat, `"handler":"reverse_proxy"`)
	if oidc < 0 || guard < 0 || proxy < 0 || !(oidc < guard && guard < proxy) {
		t.Fatalf("want netbox_oidc, netbox_guard, reverse_proxy in that order: %s", flat)
	}
	m := regexp.MustCompile(`\{"client_id".*?"handler":"netbox_oidc".*?\}`).FindString(flat)
	var got NetBoxOIDC
	if err := json.Unmarshal([]byte(m), &got); err != nil {
		t.Fatalf("%v: %s", err, m)
	}
	if got.Issuer != "https://idp.example.com" || got.ClientSecret != "s3cret" || !reflect.DeepEqual(got.SessionKeys, []string{"k1"}) ||
		time.Duration(got.SessionTTL) != 12*time.Hour || got.LoginPath != "/login/" || got.PostLogoutRedirectURL != "" {
		t.Fatalf("netbox_oidc config %+v", got)
	}
}
