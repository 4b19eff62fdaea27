package netboxhttp

import "testing"

func TestSameOriginPath(t *testing.T) {
	const host = "netbox.example.org"
	tests := []struct {
		raw    string
		want   string
		wantOK bool
	}{
		{"/plugins/hedgehog/fabrics/35/", "/plugins/hedgehog/fabrics/35/", true},
		{"/dcim/devices/?q=leaf&page=2#top", "/dcim/devices/?q=leaf&page=2", true},
		{"http://netbox.example.org/dcim/", "/dcim/", true},
		{"https://NETBOX.example.org:443/dcim/", "/dcim/", true},
		{"http://netbox.example.org:80/x", "/x", true},
		{"http://netbox.example.org", "/", true},
		{"//netbox.example.org/x", "/x", true},
		{"http://evil.example/dcim/", "", false},
		{"https://netbox.example.org:8443/x", "", false},
		{"//evil.example/x", "", false},
		{`/\evil.example/x`, "", false},
		{`\\evil.example\x`, "", false},
		{"///evil.example/x", "/evil.example/x", true},
		{"javascript:alert(1)", "", false},
		{"ftp://netbox.example.org/x", "", false},
		{"http://user:pw@netbox.example.org/x", "", false},
		{"relative/path", "", false},
		{"", "", false},
		{"/x\r\nSet-Cookie: a=b", "", false},
		{"/x\tz", "", false},
		{"/a/../b", "/a/../b", true},
		{"/%2F%2Fevil.example", "/%2F%2Fevil.example", true},
		{"/caf%C3%A9?x=%20", "/caf%C3%A9?x=%20", true},
		{"http://[::1]/x", "", false},
	}
	for _, tt := range tests {
		got, ok := SameOriginPath(tt.raw, host)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("SameOriginPath(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestIsLoginLocation(t *testing.T) {
	const host, login = "netbox.example.org", "/login/"
	tests := []struct {
		location    string
		requestPath string
		want        bool
	}{
		{"/login/?next=/plugins/hedgehog/fabrics/35/sync/", "/plugins/hedgehog/fabrics/35/sync/", true},
		{"/login/", "/", true},
		{"/login/?next=%2Fdcim%2F", "/dcim/", true},
		{"http://netbox.example.org/login/?next=/x", "/x", true},
		{"https://netbox.example.org:443/login/", "/x", true},
		{"//netbox.example.org/login/", "/x", true},
		{"../login/?next=/a/", "/a/", true},
		{"?next=/x", "/login/", true},
		{"http://sso.example.org/login/", "/x", false},
		{"/login", "/x", false},
		{"/login/extra/", "/x", false},
		{"/accounts/login/", "/x", false},
		{"/dcim/devices/", "/x", false},
		{"", "/x", false},
		{"javascript:/login/", "/x", false},
		{"/login/\r\n", "/x", false},
		{`\login\`, "/x", true},
	}
	for _, tt := range tests {
		if got := IsLoginLocation(tt.location, tt.requestPath, host, login); got != tt.want {
			t.Errorf("IsLoginLocation(%q, %q) = %v, want %v", tt.location, tt.requestPath, got, tt.want)
		}
	}
}

func TestLoginURLEncodesLikeDjango(t *testing.T) {
	got := LoginURL("/login/", "/plugins/hedgehog/fabrics/35/?tab=crds&x=a b")
	want := "/login/?next=/plugins/hedgehog/fabrics/35/%3Ftab%3Dcrds%26x%3Da+b"
	if got != want {
		t.Fatalf("LoginURL = %q, want %q", got, want)
	}
}
