package netboxhttp

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzSameOriginPath checks the reducer's promise: whatever comes in, what
// comes out is a path starting with exactly one "/" and no control
// characters, or nothing.
func FuzzSameOriginPath(f *testing.F) {
	for _, s := range []string{
		"/", "/a?b#c", "http://h/x", "//h/x", `/\x`, `\\x`, "///x", "http://h:80", "https://h:443/%2F",
		"javascript:x", "/x\r\n", "http://u@h/", "http://[::1]:80/", "%2F%2F", "/\x00", "http://h/..//x",
	} {
		f.Add(s, "h")
	}
	f.Fuzz(func(t *testing.T, raw, host string) {
		p, ok := SameOriginPath(raw, host)
		if !ok {
			if p != "" {
				t.Fatalf("SameOriginPath(%q) = %q with ok=false", raw, p)
			}
			return
		}
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, `/\`) {
			t.Fatalf("SameOriginPath(%q, %q) = %q: not a single-slash path", raw, host, p)
		}
		if HasControl(p) || strings.Contains(p, "#") {
			t.Fatalf("SameOriginPath(%q, %q) = %q: control character or fragment", raw, host, p)
		}
		// Reducing again is stable.
		if again, ok := SameOriginPath(p, host); !ok || again != p {
			t.Fatalf("SameOriginPath not idempotent: %q -> %q -> %q (%v)", raw, p, again, ok)
		}
	})
}

// FuzzIsLoginLocation checks that matching never panics and never matches a
// location naming another host.
func FuzzIsLoginLocation(f *testing.F) {
	for _, s := range []string{
		"/login/", "/login/?next=/x", "http://h/login/", "//h/login/", "//evil/login/", "../login/", `\login\`,
		"http://evil/login/", "/login", "%2Flogin%2F", "http://h:80/login/?next=%0d",
	} {
		f.Add(s, "/a/b")
	}
	f.Fuzz(func(t *testing.T, location, requestPath string) {
		if !IsLoginLocation(location, requestPath, "h", "/login/") {
			return
		}
		if strings.Contains(strings.ToLower(location), "evil") {
			t.Fatalf("IsLoginLocation(%q) matched a foreign host", location)
		}
	})
}

// FuzzIsProgrammatic checks the classifier never panics on odd headers.
func FuzzIsProgrammatic(f *testing.F) {
	f.Add("POST", "/x", "application/json, */*;q=0.1", "application/json", "cors")
	f.Add("GET", "/api/", ";;,q=", "", "")
	c := Classifier{APIPrefixes: []string{"/api/"}}
	f.Fuzz(func(t *testing.T, method, path, accept, contentType, mode string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Method, r.URL.Path = method, path
		r.Header["Accept"] = []string{accept}
		r.Header["Content-Type"] = []string{contentType}
		r.Header["Sec-Fetch-Mode"] = []string{mode}
		if c.IsProgrammatic(r) && strings.EqualFold(mode, "navigate") {
			t.Fatalf("a navigation was classified as programmatic")
		}
	})
}
