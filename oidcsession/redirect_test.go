package oidcsession

import (
	"net/http/httptest"
	"testing"
)

// TestReturnPathStaysOnSite: rd/next values can only send the browser to a
// path on this site, and never back into the login or logout endpoints.
func TestReturnPathStaysOnSite(t *testing.T) {
	h, err := New(validConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://netbox.example.com/.hhgate/oidc/login", nil)
	tests := []struct{ raw, want string }{
		{"/dcim/devices/?q=leaf", "/dcim/devices/?q=leaf"},
		{"http://netbox.example.com/ipam/", "/ipam/"},
		{"", "/"},
		{"//evil.example", "/"},
		{"//evil.example/path", "/"},
		{`/\evil.example`, "/"},
		{`\\evil.example`, "/"},
		{"https:evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"relative/path", "/"},
		{"/%2F%2Fevil.example", "/%2F%2Fevil.example"}, // a path on this site, not a host
		{"/ok\r\nLocation: https://evil.example", "/"},
		{"/ok\nx", "/"},
		{"https://user@netbox.example.com/", "/"},
		{"/.hhgate/logout", "/"},
		{"/%2Ehhgate/logout", "/"},
		{"/logout/", "/"},
		{"/.hhgate/oidc/login?rd=/x", "/"},
		{"/.hhgate/relogin-done", "/.hhgate/relogin-done"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := h.returnPath(tt.raw, r); got != tt.want {
				t.Errorf("returnPath(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}
