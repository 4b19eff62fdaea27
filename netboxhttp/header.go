package netboxhttp

import "net/http"

// Canonical header keys. Request and response header maps are keyed by the
// canonical form, so indexing with these avoids the allocation that
// http.Header.Get makes when it must canonicalise a key such as "HX-Request".
const (
	HeaderAccept          = "Accept"
	HeaderContentType     = "Content-Type"
	HeaderReferer         = "Referer"
	HeaderSecFetchMode    = "Sec-Fetch-Mode"
	HeaderSecFetchDest    = "Sec-Fetch-Dest"
	HeaderXRequestedWith  = "X-Requested-With"
	HeaderHXRequest       = "Hx-Request"
	HeaderHXBoosted       = "Hx-Boosted"
	HeaderHXCurrentURL    = "Hx-Current-Url"
	HeaderHXRedirect      = "Hx-Redirect"
	HeaderHXRefresh       = "Hx-Refresh"
	HeaderWWWAuthenticate = "Www-Authenticate"
)

// First returns the first value of the canonical key, or "".
func First(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// IsCookieName reports an RFC 6265 cookie-name (an RFC 9110 token).
func IsCookieName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// HasControl reports whether s holds an ASCII control character.
func HasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// hasControlOrSpace reports whether s holds a control character or a space.
func hasControlOrSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}
