package sessionguard

// Canonical keys of the headers only the guard reads (the shared ones are
// netboxhttp.Header*): indexing a header map with the canonical form avoids
// the allocation http.Header.Get makes to canonicalise.
const (
	hdrAuthorization = "Authorization"
	hdrContentEnc    = "Content-Encoding"
	hdrLocation      = "Location"
)
