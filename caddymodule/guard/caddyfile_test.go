package guard

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	"github.com/hhgate/hhgate/caddymodule/netboxsite"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    NetBoxGuard
		wantErr string
	}{
		{name: "bare", input: `netbox_guard`, want: NetBoxGuard{}},
		{
			name: "every option",
			input: `netbox_guard {
				base_path /netbox/
				login_path /netbox/login/
				api_prefix /netbox/api/
				api_prefix /netbox/graphql/ /netbox/extra/
				ajax_path /netbox/plugins/hedgehog/fabrics/*/sync/
				message "Please sign in again."
				csrf_message "Please reload."
				unavailable_message "NetBox is down."
				inject_script
				warn_before 5m
				csrf_page /netbox/dcim/
				session_cookie nbsession
				csrf_cookie nbcsrf
			}`,
			want: NetBoxGuard{
				Site: netboxsite.Site{
					BasePath: "/netbox/", LoginPath: "/netbox/login/",
					APIPrefixes: []string{"/netbox/api/", "/netbox/graphql/", "/netbox/extra/"},
					AJAXPaths:   []string{"/netbox/plugins/hedgehog/fabrics/*/sync/"},
					Message:     "Please sign in again.", CSRFMessage: "Please reload.", UnavailableMessage: "NetBox is down.",
				},
				InjectScript: true, WarnBefore: caddy.Duration(5 * time.Minute), CSRFPage: "/netbox/dcim/", SessionCookie: "nbsession", CSRFCookie: "nbcsrf",
			},
		},
		{name: "inject_script on", input: "netbox_guard {\n inject_script on\n}", want: NetBoxGuard{InjectScript: true}},
		{name: "inject_script true", input: "netbox_guard {\n inject_script TRUE\n}", want: NetBoxGuard{InjectScript: true}},
		{name: "inject_script off", input: "netbox_guard {\n inject_script off\n}", want: NetBoxGuard{}},
		{name: "inject_script bad switch", input: "netbox_guard {\n inject_script maybe\n}", wantErr: `inject_script: "maybe" is not on or off`},
		{name: "inject_script two values", input: "netbox_guard {\n inject_script on off\n}", wantErr: "wrong argument count"},
		{name: "warn_before bad duration", input: "netbox_guard {\n warn_before soon\n}", wantErr: "warn_before:"},
		{name: "warn_before missing", input: "netbox_guard {\n warn_before\n}", wantErr: "wrong argument count"},
		{name: "unknown option", input: "netbox_guard {\n loginpath /x/\n}", wantErr: "unrecognized netbox_guard option 'loginpath'"},
		{name: "missing value", input: "netbox_guard {\n login_path\n}", wantErr: "wrong argument count"},
		{name: "two values", input: "netbox_guard {\n message a b\n}", wantErr: "wrong argument count"},
		{name: "inline argument", input: "netbox_guard /x/", wantErr: "wrong argument count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got NetBoxGuard
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
			if got.BasePath != tt.want.BasePath || got.LoginPath != tt.want.LoginPath ||
				!slices.Equal(got.APIPrefixes, tt.want.APIPrefixes) || !slices.Equal(got.AJAXPaths, tt.want.AJAXPaths) ||
				got.Message != tt.want.Message || got.CSRFMessage != tt.want.CSRFMessage || got.UnavailableMessage != tt.want.UnavailableMessage ||
				got.InjectScript != tt.want.InjectScript || got.WarnBefore != tt.want.WarnBefore ||
				got.CSRFPage != tt.want.CSRFPage || got.SessionCookie != tt.want.SessionCookie || got.CSRFCookie != tt.want.CSRFCookie {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestValidateNamesTheBadField: bad configuration fails at start-up with
// the field's name.
func TestValidateNamesTheBadField(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	defer cancel()
	for field, ng := range map[string]*NetBoxGuard{
		"login_path":     {Site: netboxsite.Site{LoginPath: "login"}},
		"api_prefix[0]":  {Site: netboxsite.Site{APIPrefixes: []string{"api/"}}},
		"ajax_path[1]":   {Site: netboxsite.Site{AJAXPaths: []string{"/ok/*", "/bad/["}}},
		"base_path":      {Site: netboxsite.Site{BasePath: "/netbox"}},
		"warn_before":    {InjectScript: true, WarnBefore: caddy.Duration(-time.Second)},
		"csrf_page":      {InjectScript: true, CSRFPage: "dcim/"},
		"session_cookie": {InjectScript: true, SessionCookie: "bad name"},
		"csrf_cookie":    {InjectScript: true, CSRFCookie: "bad name"},
	} {
		if err := ng.Provision(ctx); err != nil {
			t.Errorf("Provision(%+v) = %v; bad configuration is Validate's to report", ng, err)
		}
		err := ng.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), field+":") {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", ng, err, field)
		}
	}
}
