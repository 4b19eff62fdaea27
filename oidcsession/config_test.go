package oidcsession

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
)

func validConfig(t *testing.T) Config {
	return Config{
		Issuer:       "https://idp.example.com/realms/netbox",
		ClientID:     "netbox",
		ClientSecret: "s3cret",
		SessionKeys:  []string{testSessionKey},
		Storage:      &certmagic.FileStorage{Path: t.TempDir()},
	}
}

// TestConfigErrorsNameTheField: every bad setting fails with the name the
// Caddy configuration uses for it, and never repeats a secret.
func TestConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		field  string
		change func(*Config)
	}{
		{"issuer", func(c *Config) { c.Issuer = "" }},
		{"issuer", func(c *Config) { c.Issuer = "idp.example.com" }},
		{"client_id", func(c *Config) { c.ClientID = " " }},
		{"client_secret", func(c *Config) { c.ClientSecret = "" }},
		{"scopes", func(c *Config) { c.Scopes = []string{"profile"} }},
		{"token_auth_method", func(c *Config) { c.TokenAuthMethod = "private_key_jwt" }},
		{"redirect_url", func(c *Config) { c.RedirectURL = "/.hhgate/oidc/callback" }},
		{"redirect_url", func(c *Config) { c.RedirectURL = "https://netbox.example.com/oauth/callback" }},
		{"post_logout_redirect_url", func(c *Config) { c.PostLogoutRedirectURL = "javascript:alert(1)" }},
		{"post_logout_redirect_url", func(c *Config) { c.PostLogoutRedirectURL = "//evil.example" }},
		{"session_key", func(c *Config) { c.SessionKeys = nil }},
		{"session_key[1]", func(c *Config) { c.SessionKeys = []string{testSessionKey, "c2hvcnQ="} }},
		{"session_ttl", func(c *Config) { c.SessionTTL = time.Second }},
		{"refresh_margin", func(c *Config) { c.SessionTTL, c.RefreshMargin = time.Hour, 2*time.Hour }},
		{"refresh_margin", func(c *Config) { c.RefreshMargin = -time.Second }},
		{"session_cache_ttl", func(c *Config) { c.SessionCacheTTL = -time.Second }},
		{"session_cache_ttl", func(c *Config) { c.SessionCacheTTL = 2 * time.Minute }},
		{"scopes", func(c *Config) { c.Scopes = []string{"profile", "offline_access"} }},
		{"public_path[1]", func(c *Config) { c.PublicPaths = []string{"/static/*", "static/"} }},
		{"headers.user", func(c *Config) { c.Headers.User = "Remote User" }},
		{"headers.groups", func(c *Config) { c.Headers.Groups = "Remote-User" }},
		{"group_separator", func(c *Config) { c.GroupSeparator = "\n" }},
		{"cookie_name", func(c *Config) { c.CookieName = "bad name" }},
		{"cookie_name", func(c *Config) { c.CookieName = pendingCookiePrefix + "x" }},
		{"logout_path", func(c *Config) { c.LogoutPath = "logout/" }},
		{"login_path", func(c *Config) { c.LoginPath = "login/" }},
		{"base_path", func(c *Config) { c.BasePath = "/netbox" }},
		{"ajax_path[0]", func(c *Config) { c.AJAXPaths = []string{"/bad/["} }},
		{"storage", func(c *Config) { c.Storage = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			cfg := validConfig(t)
			tt.change(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.HasPrefix(err.Error(), tt.field+":") {
				t.Fatalf("New = %v, want an error naming %s", err, tt.field)
			}
			for _, secret := range []string{cfg.ClientSecret, testSessionKey} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q repeats a secret", err)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	h, err := New(validConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	c := h.cfg
	if c.SessionTTL != DefaultSessionTTL || c.RefreshMargin != DefaultRefreshMargin || c.CookieName != DefaultCookieName ||
		c.GroupSeparator != "|" || c.LoginPath != "/login/" || c.LogoutPath != "/logout/" || c.Claims != DefaultClaims ||
		c.Headers != DefaultHeaders || len(c.Scopes) != 0 || c.SessionCacheTTL != 3*time.Second {
		t.Fatalf("defaults: %+v", c.Config)
	}
	for _, p := range []string{"/static/netbox.css", "/favicon.ico"} {
		if !h.isPublic(p) {
			t.Errorf("%s is not public by default", p)
		}
	}
	if h.isPublic("/dcim/devices/") {
		t.Error("/dcim/devices/ is public")
	}
}

func TestConfigBasePath(t *testing.T) {
	cfg := validConfig(t)
	cfg.BasePath = "/netbox/"
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if h.cfg.LoginPath != "/netbox/login/" || h.cfg.LogoutPath != "/netbox/logout/" || h.cfg.statusUnderBase != "/netbox/.hhgate/session" ||
		!h.isPublic("/netbox/static/x.js") || h.isPublic("/static/x.js") {
		t.Fatalf("paths under /netbox/: %+v", h.cfg)
	}
}

func TestPublicPaths(t *testing.T) {
	cfg := validConfig(t)
	cfg.PublicPaths = []string{"/static/*", "/favicon.ico", "/media/*/thumb.png", "/health"}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		"/static/js/netbox.js": true, "/favicon.ico": true, "/media/a/thumb.png": true, "/health": true,
		"/favicon.ico/x": false, "/health/": false, "/media/a/b/thumb.png": false, "/dcim/": false, "/staticx": false,
	} {
		if got := h.isPublic(path); got != want {
			t.Errorf("isPublic(%q) = %v, want %v", path, got, want)
		}
	}
}
