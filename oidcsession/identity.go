package oidcsession

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/hhgate/hhgate/oidcstore"
)

// identityHeaders sets the identity on requests to NetBox, and first removes
// every spelling of those headers a client may have sent.
type identityHeaders struct {
	// canonical keys of the headers set, in Identity field order
	user, email, firstName, lastName, groups string
	separator                                string
	// strip holds normalized names (lower case, "_" read as "-"): the
	// configured headers and NetBox's defaults.
	strip []string
}

// forbiddenIdentityHeaders would break the request or the proxy if the
// identity were written into them.
var forbiddenIdentityHeaders = map[string]bool{
	"cookie": true, "authorization": true, "host": true, "content-length": true, "content-type": true,
	"transfer-encoding": true, "connection": true, "upgrade": true, "te": true, "trailer": true,
	"x-csrftoken": true, "x-forwarded-for": true, "x-forwarded-proto": true, "x-forwarded-host": true,
}

func newIdentityHeaders(names HeaderNames, separator string) (identityHeaders, error) {
	ih := identityHeaders{separator: separator}
	fields := []struct {
		setting string
		name    string
		key     *string
	}{
		{"headers.user", names.User, &ih.user},
		{"headers.email", names.Email, &ih.email},
		{"headers.first_name", names.FirstName, &ih.firstName},
		{"headers.last_name", names.LastName, &ih.lastName},
		{"headers.groups", names.Groups, &ih.groups},
	}
	seen := map[string]string{}
	for _, f := range fields {
		if !httpguts.ValidHeaderFieldName(f.name) {
			return ih, fmt.Errorf("%s: %q is not a valid header name", f.setting, f.name)
		}
		n := normalizeHeaderName(f.name)
		if forbiddenIdentityHeaders[n] {
			return ih, fmt.Errorf("%s: %q cannot carry the identity", f.setting, f.name)
		}
		if other, dup := seen[n]; dup {
			return ih, fmt.Errorf("%s: %q is the same header as %s", f.setting, f.name, other)
		}
		seen[n] = f.setting
		*f.key = http.CanonicalHeaderKey(f.name)
		ih.strip = append(ih.strip, n)
	}
	// NetBox's default names are stripped too: if NetBox still reads them,
	// a client must not be able to set them.
	for _, d := range []string{DefaultHeaders.User, DefaultHeaders.Email, DefaultHeaders.FirstName, DefaultHeaders.LastName, DefaultHeaders.Groups} {
		if n := normalizeHeaderName(d); !slices.Contains(ih.strip, n) {
			ih.strip = append(ih.strip, n)
		}
	}
	return ih, nil
}

// normalizeHeaderName folds a header name the way WSGI servers and Django
// do when they turn it into a META key (HTTP_REMOTE_USER): case does not
// matter and "_" is the same as "-".
func normalizeHeaderName(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// sameHeaderName reports whether key normalizes to normalized, without
// allocating: it runs for every header of every request.
func sameHeaderName(key, normalized string) bool {
	if len(key) != len(normalized) {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '_':
			c = '-'
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if c != normalized[i] {
			return false
		}
	}
	return true
}

// Strip deletes every header that is a spelling of an identity header, in
// any case and with "_" or "-". It runs on every request, before anything
// else, whether or not an identity is set afterwards.
func (ih *identityHeaders) Strip(h http.Header) {
	for key := range h {
		for _, n := range ih.strip {
			if sameHeaderName(key, n) {
				delete(h, key)
				break
			}
		}
	}
}

// Set writes the identity headers (after Strip). Empty values are left out,
// so that NetBox keeps what it has rather than blanking it.
func (ih *identityHeaders) Set(h http.Header, id *oidcstore.Identity) {
	values := make([]string, 5) // one allocation for all five header values
	values[0], values[1], values[2], values[3] = id.User, id.Email, id.FirstName, id.LastName
	if len(id.Groups) > 0 {
		values[4] = strings.Join(id.Groups, ih.separator)
	}
	for i, key := range [...]string{ih.user, ih.email, ih.firstName, ih.lastName, ih.groups} {
		if values[i] != "" {
			h[key] = values[i : i+1 : i+1]
		}
	}
}
