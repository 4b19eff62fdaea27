// Package clientheaders removes from a request what a client must not be
// able to tell NetBox: identity headers (NetBox believes them with
// REMOTE_AUTH_ENABLED, and setups name them in many ways), forwarding
// headers from clients that are not trusted proxies (NetBox reads
// X-Real-IP first when it checks a token's allowed_ips), and request
// trailers, which a proxy forwards as they come.
package clientheaders

import (
	"io"
	"net/http"
	"strings"
)

// identityPrefixes are the lower-case, dash-spelt starts of header names
// that carry a user's identity in NetBox setups and in the proxies in front
// of them (oauth2-proxy, Authelia, Pomerium, Apache, Azure App Service …).
// "_" counts as "-": WSGI servers read both as one name.
var identityPrefixes = []string{
	"remote-user",
	"remote-email", "remote-name", "remote-groups",
	"x-remote-",
	"x-forwarded-user", "x-forwarded-email", "x-forwarded-preferred-username",
	"x-forwarded-groups", "x-forwarded-access-token",
	"x-auth-request-",
	"x-webauth-",
	"x-authenticated-",
	"x-ms-client-principal",
	"x-pomerium-",
}

// forwardingPrefixes describe the client's connection; only a trusted
// proxy may send them (Caddy sets X-Forwarded-For/-Proto/-Host itself).
var forwardingPrefixes = []string{"x-forwarded-", "forwarded", "x-real-ip", "x-client-ip", "true-client-ip", "x-original-forwarded-for", "cf-connecting-ip", "x-cluster-client-ip"}

// normal is a header name in lower case with "_" read as "-".
func normal(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

func hasPrefix(name string, prefixes []string) bool {
	n := normal(name)
	for _, p := range prefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// IsIdentity reports whether a header name carries a user's identity.
func IsIdentity(name string) bool { return hasPrefix(name, identityPrefixes) }

// IsForwarding reports whether a header name describes the client's
// connection (its address, scheme, host).
func IsForwarding(name string) bool { return hasPrefix(name, forwardingPrefixes) }

// Strip removes identity headers always, forwarding headers unless the
// client is a trusted proxy, X-Real-IP always (the gateway sets it from
// the address it determined), and every request trailer.
func Strip(r *http.Request, trustedProxy bool) {
	for name := range r.Header {
		switch {
		case IsIdentity(name):
			delete(r.Header, name)
		case normal(name) == "x-real-ip":
			delete(r.Header, name)
		case !trustedProxy && IsForwarding(name):
			delete(r.Header, name)
		}
	}
	dropTrailers(r)
}

// dropTrailers removes the announced trailers now and the values the body
// brings at its end. NetBox (WSGI) never sees trailers; anything after the
// gateway might.
func dropTrailers(r *http.Request) {
	if r.Trailer == nil && r.Header.Get("Trailer") == "" {
		return
	}
	r.Header.Del("Trailer")
	clear(r.Trailer)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &trailerDroppingBody{ReadCloser: r.Body, r: r}
	}
}

// trailerDroppingBody clears the request's trailers when its body ends,
// before a proxy reading it copies them.
type trailerDroppingBody struct {
	io.ReadCloser
	r *http.Request
}

func (b *trailerDroppingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		clear(b.r.Trailer)
	}
	return n, err
}
