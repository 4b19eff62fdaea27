package netboxhttp

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestIsProgrammatic(t *testing.T) {
	sync := mustPattern(t, "/plugins/hedgehog/fabrics/*/sync/")
	c := Classifier{APIPrefixes: []string{"/api/", "/graphql/"}, AJAXPaths: []PathPattern{sync, mustPattern(t, "/custom/*")}}
	navigationAccept := "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		want   bool
	}{
		{"browser navigation", "GET", "/dcim/devices/", map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Accept": navigationAccept}, false},
		{"navigation to an API path stays a navigation", "GET", "/api/dcim/", map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, false},
		{"navigation even with htmx header", "GET", "/", map[string]string{"Sec-Fetch-Mode": "navigate", "HX-Request": "true"}, false},
		{"form POST navigation with JSON type", "POST", "/x/", map[string]string{"Sec-Fetch-Mode": "NAVIGATE", "Content-Type": "application/json"}, false},
		{"plain client without hints", "GET", "/dcim/devices/", nil, false},
		{"fetch from a page (cors)", "GET", "/x/", map[string]string{"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}, true},
		{"fetch same-origin", "POST", "/x/", map[string]string{"Sec-Fetch-Mode": "same-origin"}, true},
		{"websocket", "GET", "/ws", map[string]string{"Sec-Fetch-Mode": "websocket"}, true},
		{"dest empty without mode", "GET", "/x/", map[string]string{"Sec-Fetch-Dest": "empty"}, true},
		{"dest iframe", "GET", "/x/", map[string]string{"Sec-Fetch-Dest": "iframe"}, false},
		{"dest document", "GET", "/x/", map[string]string{"Sec-Fetch-Dest": "document"}, false},
		{"dest script", "GET", "/static/x.js", map[string]string{"Sec-Fetch-Dest": "script"}, true},
		{"htmx request", "GET", "/dcim/devices/", map[string]string{"HX-Request": "true", "Accept": "*/*"}, true},
		{"htmx header case-insensitive value", "GET", "/x/", map[string]string{"hx-request": "TRUE"}, true},
		{"boosted htmx is a navigation", "GET", "/dcim/devices/", map[string]string{"HX-Request": "true", "HX-Boosted": "true"}, false},
		{"htmx false", "GET", "/x/", map[string]string{"HX-Request": "false"}, false},
		{"API prefix", "GET", "/api/dcim/devices/", nil, true},
		{"API root", "GET", "/api/", nil, true},
		{"GraphQL", "POST", "/graphql/", nil, true},
		{"not quite the API prefix", "GET", "/apiary/", nil, false},
		{"X-Requested-With", "GET", "/x/", map[string]string{"X-Requested-With": "XMLHttpRequest"}, true},
		{"X-Requested-With other", "GET", "/x/", map[string]string{"X-Requested-With": "com.example.app"}, false},
		{"Accept JSON", "GET", "/x/", map[string]string{"Accept": "application/json"}, true},
		{"Accept axios style", "GET", "/x/", map[string]string{"Accept": "application/json, text/plain, */*"}, true},
		{"Accept any", "GET", "/x/", map[string]string{"Accept": "*/*"}, false},
		{"Accept browser", "GET", "/x/", map[string]string{"Accept": navigationAccept}, false},
		{"plugin sync fetch: JSON body type on POST", "POST", "/plugins/hedgehog/fabrics/35/sync/x", map[string]string{"Content-Type": "application/json", "X-CSRFToken": "t"}, true},
		{"JSON type with charset on PATCH", "PATCH", "/x/", map[string]string{"Content-Type": "application/json; charset=utf-8"}, true},
		{"JSON type on GET does not count", "GET", "/x/", map[string]string{"Content-Type": "application/json"}, false},
		{"form POST without hints", "POST", "/login/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, false},
		{"configured glob path", "POST", "/plugins/hedgehog/fabrics/35/sync/", nil, true},
		{"configured glob does not cross segments", "POST", "/plugins/hedgehog/fabrics/35/36/sync/", nil, false},
		{"configured prefix path", "GET", "/custom/a/b/c", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if got := c.IsProgrammatic(r); got != tt.want {
				t.Errorf("IsProgrammatic(%s %s %v) = %v, want %v", tt.method, tt.path, tt.header, got, tt.want)
			}
		})
	}
}

func TestIsProgrammaticDoesNotAllocate(t *testing.T) {
	c := Classifier{APIPrefixes: []string{"/api/", "/graphql/"}, AJAXPaths: []PathPattern{mustPattern(t, "/a/*/b/")}}
	r := httptest.NewRequest(http.MethodPost, "/dcim/devices/", nil)
	r.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if n := testing.AllocsPerRun(100, func() { c.IsProgrammatic(r) }); n != 0 {
		t.Fatalf("IsProgrammatic allocates %v times per call, want 0", n)
	}
}

func TestPrefersJSON(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"application/json", true},
		{"APPLICATION/JSON", true},
		{"application/problem+json", true},
		{"application/json;q=0.5, text/html", false},
		{"text/html;q=0.5, application/json", true},
		{"application/json, text/html", false}, // tie at equal specificity: HTML wins
		{"application/*, text/html;q=0.9", true},
		{"*/*", false},
		{"", false},
		{"text/html", false},
		{"application/json;q=0", false},
		{"application/json;q=abc", true},
		{"application/json; q=1.5, text/html;q=0.9", true},
		{"text/*, application/json", true},
		{"text/html, application/*", false},
		{",,;;=,", false},
	}
	for _, tt := range tests {
		if got := PrefersJSON(tt.accept); got != tt.want {
			t.Errorf("PrefersJSON(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

func TestParsePathPattern(t *testing.T) {
	for _, bad := range []string{"", "plugins/*", "/a?b", "/a#b", "/a b", "/a[", "/x\n"} {
		if _, err := ParsePathPattern(bad); err == nil {
			t.Errorf("ParsePathPattern(%q) accepted a bad pattern", bad)
		}
	}
	p := mustPattern(t, "/plugins/*")
	if !p.Match("/plugins/hedgehog/fabrics/1/sync/") || p.Match("/pluginsx") || p.Match("/other/") {
		t.Errorf("prefix pattern /plugins/* matched wrongly")
	}
}

func mustPattern(t testing.TB, s string) PathPattern {
	t.Helper()
	p, err := ParsePathPattern(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
