package netboxhttp

import (
	"net/http"
	"strings"
)

// Classifier decides whether a request is programmatic (fetch, XHR, htmx,
// API client) rather than a navigation in a browser tab.
type Classifier struct {
	// APIPrefixes are path prefixes whose requests are always programmatic
	// (NetBox's /api/ and /graphql/).
	APIPrefixes []string
	// AJAXPaths are extra path patterns whose requests are programmatic.
	AJAXPaths []PathPattern
}

// IsProgrammatic reports whether r was made by a script or an API client, so
// that an HTML login page or a redirect to it is useless to its sender.
//
// Sec-Fetch-Mode: navigate always means a navigation, whatever else the
// request says. Otherwise any one signal is enough: Sec-Fetch-Mode present
// (cors, same-origin, no-cors, websocket); Sec-Fetch-Dest present and not a
// document or frame; HX-Request: true on a request that is not boosted
// (a boosted htmx request stands for a navigation); an API path; an
// X-Requested-With: XMLHttpRequest; an Accept preferring JSON to HTML;
// a JSON body on an unsafe method (the Hedgehog plugin's sync fetch sends
// nothing else); or a configured path pattern.
//
// It does not allocate: it runs on every request.
func (c *Classifier) IsProgrammatic(r *http.Request) bool {
	h := r.Header
	mode := First(h, HeaderSecFetchMode)
	if strings.EqualFold(mode, "navigate") {
		return false
	}
	if mode != "" {
		return true
	}
	if dest := First(h, HeaderSecFetchDest); dest != "" && !isNavigationDest(dest) {
		return true
	}
	if strings.EqualFold(First(h, HeaderHXRequest), "true") && !strings.EqualFold(First(h, HeaderHXBoosted), "true") {
		return true
	}
	path := r.URL.Path
	for _, prefix := range c.APIPrefixes {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	if strings.EqualFold(First(h, HeaderXRequestedWith), "XMLHttpRequest") {
		return true
	}
	if accept := First(h, HeaderAccept); accept != "" && PrefersJSON(accept) {
		return true
	}
	if !IsSafeMethod(r.Method) && IsJSONContentType(First(h, HeaderContentType)) {
		return true
	}
	for i := range c.AJAXPaths {
		if c.AJAXPaths[i].Match(path) {
			return true
		}
	}
	return false
}

// isNavigationDest reports the Sec-Fetch-Dest values of a page load.
func isNavigationDest(dest string) bool {
	return strings.EqualFold(dest, "document") || strings.EqualFold(dest, "iframe") || strings.EqualFold(dest, "frame")
}

// IsSafeMethod reports the methods Django's CSRF protection lets through.
func IsSafeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// IsHTMX reports an htmx request (HX-Request: true), boosted or not.
func IsHTMX(r *http.Request) bool {
	return strings.EqualFold(First(r.Header, HeaderHXRequest), "true")
}
