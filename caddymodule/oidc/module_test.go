package oidc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/certmagic"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hhgate/hhgate/testenv/oidcop"
)

var testKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

// provision runs the module's life cycle as Caddy does: Provision, then
// Validate (and Cleanup if that fails, or when the test ends).
func provision(t *testing.T, m *NetBoxOIDC) error {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	t.Cleanup(cancel)
	m.storage = &certmagic.FileStorage{Path: t.TempDir()}
	if err := m.Provision(ctx); err != nil {
		return err
	}
	t.Cleanup(func() { _ = m.Cleanup() })
	return m.Validate()
}

// TestProvisionDoesNoNetworkIO: with an IdP that accepts connections and
// never answers, Provision and Validate return at once and Cleanup stops
// the discovery that is still waiting.
// Real parts: a TCP listener that never answers.
func TestProvisionDoesNoNetworkIO(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	m := &NetBoxOIDC{Issuer: "http://" + ln.Addr().String(), ClientID: "netbox", ClientSecret: "s3cret", SessionKeys: []string{testKey}}
	start := time.Now()
	if err := provision(t, m); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Provision and Validate took %s", d)
	}
	start = time.Now()
	if err := m.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Cleanup took %s", d)
	}
	if m.handler.Ready() {
		t.Fatal("discovered an IdP that never answered")
	}
}

// TestProvisionNamesTheBadField: bad configuration fails at start-up with
// the field's name and without the secret.
func TestProvisionNamesTheBadField(t *testing.T) {
	valid := func() *NetBoxOIDC {
		return &NetBoxOIDC{Issuer: "https://idp.example.com", ClientID: "netbox", ClientSecret: "s3cret-value", SessionKeys: []string{testKey}}
	}
	tests := []struct {
		field  string
		change func(*NetBoxOIDC)
	}{
		{"issuer", func(m *NetBoxOIDC) { m.Issuer = "" }},
		{"client_id", func(m *NetBoxOIDC) { m.ClientID = "" }},
		{"client_secret", func(m *NetBoxOIDC) { m.ClientSecret = "{env.HHGATE_TEST_UNSET_SECRET}" }},
		{"session_key", func(m *NetBoxOIDC) { m.SessionKeys = nil }},
		{"session_key[0]", func(m *NetBoxOIDC) { m.SessionKeys = []string{"too-short"} }},
		{"headers.user", func(m *NetBoxOIDC) { m.Headers.User = "Remote User" }},
		{"public_path[0]", func(m *NetBoxOIDC) { m.PublicPaths = []string{"static/*"} }},
		{"login_path", func(m *NetBoxOIDC) { m.LoginPath = "login/" }},
		{"token_auth_method", func(m *NetBoxOIDC) { m.TokenAuthMethod = "none" }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			m := valid()
			tt.change(m)
			err := provision(t, m)
			if err == nil || !strings.HasPrefix(err.Error(), tt.field+":") {
				t.Fatalf("Provision+Validate = %v, want an error naming %s", err, tt.field)
			}
			if strings.Contains(err.Error(), "s3cret-value") {
				t.Errorf("error %q repeats the secret", err)
			}
		})
	}
}

// TestProvisionWithPlaceholders: {env.*} placeholders in the JSON config
// are replaced; the module then discovers the IdP and answers requests.
// Real parts: zitadel example OP.
func TestProvisionWithPlaceholders(t *testing.T) {
	op := oidcop.StartZitadel(t, oidcop.ZitadelOptions{})
	t.Setenv("HHGATE_TEST_ISSUER", op.Issuer)
	t.Setenv("HHGATE_TEST_SECRET", "s3cret")
	t.Setenv("HHGATE_TEST_KEY", testKey)
	var m NetBoxOIDC
	if err := json.Unmarshal([]byte(`{
		"issuer": "{env.HHGATE_TEST_ISSUER}", "client_id": "netbox", "client_secret": "{env.HHGATE_TEST_SECRET}",
		"session_keys": ["{env.HHGATE_TEST_KEY}"], "session_ttl": "8h", "refresh_margin": "30s",
		"headers": {"user": "X-Remote-User"}, "claims": {"user": "email"}
	}`), &m); err != nil {
		t.Fatal(err)
	}
	if err := provision(t, &m); err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); !m.handler.Ready(); time.Sleep(5 * time.Millisecond) { // polling, bounded
		if time.Since(start) > 10*time.Second {
			t.Fatal("the IdP was not discovered in the background")
		}
	}

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "http://netbox.example.com/api/dcim/", nil)
	req.Header.Set("X-Remote-User", "mallory")
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		t.Fatal("an unauthenticated API request reached NetBox")
		return nil
	})
	if err := m.ServeHTTP(rec, req, next); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"redirect":"/.hhgate/oidc/login?rd=%2Fapi%2Fdcim%2F"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestEventCounterSurvivesReRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := registerEventCounter(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := registerEventCounter(reg) // a config reload registers again
	if err != nil {
		t.Fatal(err)
	}
	a("login", "success")
	b("login", "success")
	families, _ := reg.Gather()
	if len(families) != 1 || families[0].GetName() != "hhgate_oidc_events_total" ||
		families[0].GetMetric()[0].GetCounter().GetValue() != 2 {
		t.Fatalf("metrics %v", families)
	}
}

func TestIsTLS(t *testing.T) {
	plain := httptest.NewRequest(http.MethodGet, "http://netbox.example.com/", nil)
	tls := httptest.NewRequest(http.MethodGet, "https://netbox.example.com/", nil)
	untrusted := httptest.NewRequest(http.MethodGet, "http://netbox.example.com/", nil)
	untrusted.Header.Set("X-Forwarded-Proto", "https")
	if isTLS(plain) || !isTLS(tls) || isTLS(untrusted) {
		t.Fatalf("isTLS: plain %v, tls %v, untrusted X-Forwarded-Proto %v", isTLS(plain), isTLS(tls), isTLS(untrusted))
	}
}
