package fabricsync

import (
	"net/http/httptest"
	"testing"
)

// TestUserHeadersClientAddress: the authorization request carries the
// address the server determined, never the client's own claims.
func TestUserHeadersClientAddress(t *testing.T) {
	tests := []struct {
		name     string
		clientIP string
		want     string
	}{
		{"determined by the server", "198.51.100.7", "198.51.100.7"},
		{"none given: the connection's peer", "", "192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/plugins/hedgehog/fabrics/1/sync/", nil) // RemoteAddr 192.0.2.1:1234
			r.Header.Set("X-Forwarded-For", "10.6.6.6")
			r.Header.Set("X-Real-IP", "10.6.6.6")
			r.Header.Set("Forwarded", "for=10.6.6.6")
			r.Header.Set("X-Forwarded-Prefix", "/evil")
			r.Header.Set("Cookie", "sessionid=s")
			h := userHeaders(WithClientIP(r, tt.clientIP))
			if got := h.Values("X-Forwarded-For"); len(got) != 1 || got[0] != tt.want {
				t.Errorf("X-Forwarded-For = %q, want %q", got, tt.want)
			}
			if got := h.Get("X-Real-IP"); got != tt.want {
				t.Errorf("X-Real-IP = %q, want %q", got, tt.want)
			}
			for _, k := range []string{"Forwarded", "X-Forwarded-Prefix"} {
				if h.Get(k) != "" {
					t.Errorf("%s forwarded: %q", k, h.Get(k))
				}
			}
			if h.Get("Cookie") != "sessionid=s" {
				t.Errorf("the user's cookie is lost")
			}
		})
	}
}
