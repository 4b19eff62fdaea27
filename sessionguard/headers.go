package sessionguard

import "net/http"

// Canonical header keys. Request and response header maps are keyed by the
// canonical form, so indexing with these avoids the allocation that
// http.Header.Get makes when it must canonicalise a key such as "HX-Request".
const (
	hdrAccept          = "Accept"
	hdrAuthorization   = "Authorization"
	hdrContentType     = "Content-Type"
	hdrContentEnc      = "Content-Encoding"
	hdrLocation        = "Location"
	hdrReferer         = "Referer"
	hdrSecFetchMode    = "Sec-Fetch-Mode"
	hdrSecFetchDest    = "Sec-Fetch-Dest"
	hdrXRequestedWith  = "X-Requested-With"
	hdrHXRequest       = "Hx-Request"
	hdrHXBoosted       = "Hx-Boosted"
	hdrHXCurrentURL    = "Hx-Current-Url"
	hdrHXRedirect      = "Hx-Redirect"
	hdrHXRefresh       = "Hx-Refresh"
	hdrWWWAuthenticate = "Www-Authenticate"
)

// first returns the first value of the canonical key, or "".
func first(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}
