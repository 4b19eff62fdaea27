package clientheaders

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// TestServeHTTPReadsTrustedProxy: forwarding headers stay only when Caddy
// found the client to be a trusted proxy; identity headers never do.
func TestServeHTTPReadsTrustedProxy(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		r := httptest.NewRequest("GET", "/", nil)
		r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{caddyhttp.TrustedProxyVarKey: trusted}))
		r.Header.Set("X-Forwarded-For", "203.0.113.1")
		r.Header.Set("X-Forwarded-User", "mallory")
		var seen http.Header
		next := caddyhttp.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) error {
			seen = r.Header.Clone()
			return nil
		})
		if err := (ClientHeaders{}).ServeHTTP(httptest.NewRecorder(), r, next); err != nil {
			t.Fatal(err)
		}
		if got := seen.Get("X-Forwarded-For") != ""; got != trusted {
			t.Errorf("trusted %v: X-Forwarded-For kept = %v", trusted, got)
		}
		if seen.Get("X-Forwarded-User") != "" {
			t.Errorf("trusted %v: X-Forwarded-User kept", trusted)
		}
	}
}

func TestUnmarshalCaddyfile(t *testing.T) {
	if err := (ClientHeaders{}).UnmarshalCaddyfile(caddyfile.NewTestDispenser(`netbox_client_headers`)); err != nil {
		t.Fatal(err)
	}
	if err := (ClientHeaders{}).UnmarshalCaddyfile(caddyfile.NewTestDispenser(`netbox_client_headers x`)); err == nil {
		t.Fatal("an argument is accepted")
	}
}
