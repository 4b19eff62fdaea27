package hhgate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/hhgate/hhgate"
	"github.com/hhgate/hhgate/dropinenv"
)

// adaptDropIn checks env as hhgate does, sets the derived variables and
// adapts the drop-in Caddyfile.
func adaptDropIn(t *testing.T, env map[string]string) string {
	t.Helper()
	r := dropinenv.Check(env, nil, nil)
	if err := r.Err(); err != nil {
		t.Fatalf("environment refused: %v", err)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	for k, v := range r.Derived {
		t.Setenv(k, v)
	}
	src, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	if !dropinenv.IsDropIn(src) {
		t.Fatal("the drop-in Caddyfile is not recognised as such")
	}
	out, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt(src, map[string]any{"filename": "Caddyfile"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Errorf("adapter warning: %s", w.Message)
	}
	return string(out)
}

// handlerOrder is the order of the handlers named in the adapted JSON.
func handlerOrder(flat string) []string {
	var order []string
	for _, m := range regexp.MustCompile(`"handler":"([a-z_]+)"`).FindAllStringSubmatch(flat, -1) {
		if m[1] != "subroute" && m[1] != "vars" && m[1] != "headers" && m[1] != "rewrite" {
			order = append(order, m[1])
		}
	}
	return order
}

// TestDropInEveryCombination adapts the drop-in file with every combination
// of its switches and checks the handlers and their order.
func TestDropInEveryCombination(t *testing.T) {
	static := t.TempDir()
	for _, sso := range []string{"off", "on"} {
		for _, sync := range []string{"off", "on"} {
			for _, staticRoot := range []string{static, "off"} {
				for _, listen := range []string{":8080", "127.0.0.1:8080", "netbox.example.com"} {
					name := fmt.Sprintf("sso=%s/sync=%s/static=%v/listen=%s", sso, sync, staticRoot != "off", listen)
					t.Run(name, func(t *testing.T) {
						env := map[string]string{
							"HHGATE_SSO": sso, "HHGATE_SYNC": sync, "NETBOX_STATIC_ROOT": staticRoot, "HHGATE_LISTEN": listen,
							"HHGATE_OIDC_ISSUER": "https://idp.example.com", "HHGATE_OIDC_CLIENT_ID": "netbox",
							"HHGATE_OIDC_CLIENT_SECRET": "s3cret-client", "HHGATE_SESSION_KEY": "k1-session",
							"HHGATE_NETBOX_TOKEN": "t0ken-sync",
						}
						flat := adaptDropIn(t, env)
						want := []string{"encode", "netbox_client_headers"}
						if staticRoot != "off" {
							want = append(want, "file_server")
						}
						if sso == "on" {
							want = append(want, "netbox_oidc")
						}
						want = append(want, "netbox_guard")
						if sync == "on" {
							want = append(want, "hedgehog_sync")
						}
						want = append(want, "reverse_proxy")
						if got := handlerOrder(flat); strings.Join(got, ",") != strings.Join(want, ",") {
							t.Errorf("handlers %v, want %v", got, want)
						}
						for _, secret := range []string{"s3cret-client", "k1-session", "t0ken-sync"} {
							if strings.Contains(flat, secret) {
								t.Errorf("a secret is in the adapted config: %s", secret)
							}
						}
						if !strings.Contains(flat, `"install_trust":false`) {
							t.Error("skip_install_trust is missing")
						}
						if listen != "netbox.example.com" && strings.Contains(flat, `:443`) {
							t.Errorf("listen %s opens :443: %s", listen, flat)
						}
					})
				}
			}
		}
	}
}

// TestDropInListen: what HHGATE_LISTEN turns into.
func TestDropInListen(t *testing.T) {
	tests := []struct {
		env        map[string]string
		listen     string
		httpsSkips bool // plain HTTP: no automatic HTTPS for the site
	}{
		{map[string]string{"HHGATE_LISTEN": "127.0.0.1:18080"}, `"listen":["127.0.0.1:18080"]`, true},
		{map[string]string{"HHGATE_LISTEN": "18080"}, `"listen":[":18080"]`, true},
		{map[string]string{"HHGATE_LISTEN": ":18080", "HHGATE_BIND": "127.0.0.1"}, `"listen":["127.0.0.1:18080"]`, true},
		{map[string]string{"HHGATE_LISTEN": "netbox.example.com"}, `"listen":[":443"]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.env["HHGATE_LISTEN"], func(t *testing.T) {
			flat := adaptDropIn(t, tt.env)
			if !strings.Contains(flat, tt.listen) {
				t.Errorf("want %s in %s", tt.listen, flat)
			}
			if tt.httpsSkips && strings.Contains(flat, `"host":[`) {
				t.Errorf("a host matcher limits the plain HTTP site: %s", flat)
			}
		})
	}
}

// TestDropInValues: values reach the handlers; secrets only as placeholders.
func TestDropInValues(t *testing.T) {
	flat := adaptDropIn(t, map[string]string{
		"HHGATE_SSO": "on", "HHGATE_SYNC": "on", "NETBOX_STATIC_ROOT": "off",
		"NETBOX_UPSTREAM": "http://127.0.0.1:9001", "NETBOX_BASE_PATH": "netbox/",
		"HHGATE_OIDC_ISSUER": "https://idp.example.com", "HHGATE_OIDC_CLIENT_ID": "netbox",
		"HHGATE_OIDC_CLIENT_SECRET_FILE": "/etc/hostname", "HHGATE_SESSION_KEY": "k1",
		"HHGATE_SESSION_KEY_PREVIOUS": "k0", "HHGATE_NETBOX_TOKEN": "t",
		"HHGATE_TRUSTED_PROXIES": "10.0.0.0/8", "HHGATE_INJECT_SCRIPT": "off",
	})
	for _, want := range []string{
		`"netbox_url":"http://127.0.0.1:9001"`, `"dial":"127.0.0.1:9001"`,
		`"login_path":"/netbox/login/"`, `"base_path":"/netbox/"`,
		`"client_secret":"{env.HHGATE_OIDC_CLIENT_SECRET}{file./etc/hostname}"`,
		`"session_keys":["{env.HHGATE_SESSION_KEY}{file./dev/null}","{env.HHGATE_SESSION_KEY_PREVIOUS}"]`,
		`"netbox_token":"{env.HHGATE_NETBOX_TOKEN}{file./dev/null}"`,
		`"ranges":["10.0.0.0/8"]`, `"minimum_length":1`, `"X-Real-Ip":["{http.vars.client_ip}"]`, `"idle_timeout":1000000000`,
		`"request\u003eheaders\u003eX-Csrftoken":{"filter":"replace","value":"REDACTED"}`,
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("want %s in %s", want, flat)
		}
	}
	if strings.Contains(flat, `"inject_script":true`) {
		t.Error("HHGATE_INJECT_SCRIPT=off is ignored")
	}
	var v any
	if err := json.Unmarshal([]byte(flat), &v); err != nil {
		t.Fatal(err)
	}
}
