package hedgehogsync

import "testing"

// TestWithScheme: netbox_url takes NetBox's address as reverse_proxy does.
func TestWithScheme(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8001":         "http://127.0.0.1:8001",
		"http://127.0.0.1:8001":  "http://127.0.0.1:8001",
		"https://netbox.example": "https://netbox.example",
		"":                       "",
	} {
		if got := withScheme(in); got != want {
			t.Errorf("withScheme(%q) = %q, want %q", in, got, want)
		}
	}
}
