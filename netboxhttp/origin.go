package netboxhttp

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// SameOriginPath reduces raw — an absolute URL, a scheme-relative URL or an
// absolute path — to a path with its query ("/p?q") on the origin whose Host
// is host. It answers ok=false for anything that names another host, another
// scheme than http(s), carries user info, is a relative path, or holds
// control characters. A result always starts with exactly one "/" and never
// with "/\", so a browser cannot read it as a scheme-relative URL: it is safe
// as a redirect target.
//
// Backslashes are read as slashes first, as browsers do for http(s) URLs, so
// "/\evil.example" is seen for the off-site URL it is.
func SameOriginPath(raw, host string) (string, bool) {
	if raw == "" || HasControl(raw) {
		return "", false
	}
	u, err := url.Parse(strings.ReplaceAll(raw, `\`, "/"))
	if err != nil || u.Opaque != "" || u.User != nil {
		return "", false
	}
	switch {
	case u.Scheme != "":
		if !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https") {
			return "", false
		}
		if !sameHost(u.Host, host, u.Scheme) {
			return "", false
		}
	case u.Host != "":
		if !sameHost(u.Host, host, "") {
			return "", false
		}
	case !strings.HasPrefix(u.Path, "/"):
		return "", false
	}
	p := u.EscapedPath()
	for strings.HasPrefix(p, "//") {
		p = p[1:]
	}
	if p == "" {
		p = "/"
	}
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p, true
}

// sameHost compares two Host values, ignoring case and the scheme's default
// port (so "example.org" and "EXAMPLE.org:443" match under https).
func sameHost(a, b, scheme string) bool {
	return strings.EqualFold(stripDefaultPort(a, scheme), stripDefaultPort(b, scheme))
}

func stripDefaultPort(hostport, scheme string) string {
	h, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	switch {
	case port == "80" && (scheme == "" || strings.EqualFold(scheme, "http")),
		port == "443" && (scheme == "" || strings.EqualFold(scheme, "https")):
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return hostport
}

// IsLoginLocation reports whether location, the Location of a redirect
// answering a request for requestPath on host, points at loginPath on the
// same host. The query (?next=…) does not matter; relative references are
// resolved against the request path as a browser would.
func IsLoginLocation(location, requestPath, host, loginPath string) bool {
	if location == "" || HasControl(location) {
		return false
	}
	ref, err := url.Parse(strings.ReplaceAll(location, `\`, "/"))
	if err != nil || ref.Opaque != "" {
		return false
	}
	if ref.Host != "" {
		if ref.Scheme != "" && !strings.EqualFold(ref.Scheme, "http") && !strings.EqualFold(ref.Scheme, "https") {
			return false
		}
		if !sameHost(ref.Host, host, ref.Scheme) {
			return false
		}
		return ref.Path == loginPath
	}
	if ref.Scheme != "" {
		return false
	}
	base := url.URL{Path: requestPath}
	return base.ResolveReference(ref).Path == loginPath
}

// LoginURL is the login page with the page to come back to, encoded as
// Django's redirect_to_login does (slashes kept).
func LoginURL(loginPath, next string) string {
	return loginPath + "?next=" + strings.ReplaceAll(url.QueryEscape(next), "%2F", "/")
}

// CurrentPage is the same-origin path of the page the user is on:
// HX-Current-URL, else a same-origin Referer, else the request itself for a
// GET, else "/".
func CurrentPage(r *http.Request) string {
	if p, ok := SameOriginPath(First(r.Header, HeaderHXCurrentURL), r.Host); ok {
		return p
	}
	if p, ok := SameOriginPath(First(r.Header, HeaderReferer), r.Host); ok {
		return p
	}
	if r.Method == http.MethodGet {
		if p, ok := SameOriginPath(r.URL.RequestURI(), r.Host); ok {
			return p
		}
	}
	return "/"
}
