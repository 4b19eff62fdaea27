package netbox

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
)

// HTTPError is a non-2xx answer from NetBox.
type HTTPError struct {
	Method string
	// Path is the request path (no host, no query, no credentials).
	Path   string
	Status int
	// Body is the response body as received (capped), for parsing.
	Body []byte
}

func (e *HTTPError) Error() string {
	msg := Message(e.Body)
	if msg == "" {
		return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), msg)
}

// IsNotFound reports whether err is NetBox answering 404.
func IsNotFound(err error) bool {
	var h *HTTPError
	return errors.As(err, &h) && h.Status == http.StatusNotFound
}

// Unavailable reports whether err means NetBox could not serve the request
// at all (no connection, timeout, 5xx or 429 after the retries), as opposed
// to NetBox answering and refusing it.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var h *HTTPError
	if errors.As(err, &h) {
		return retryable(h.Status)
	}
	return true
}

// transportRetryable reports whether a transport error may go away on its
// own. Certificate problems and malformed requests will not.
func transportRetryable(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verification     *tls.CertificateVerificationError
	)
	return !(errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verification))
}

// maxMessage caps a message taken from a response body, so that an HTML
// error page does not end up whole in a fabric's sync_error.
const maxMessage = 300

// Message renders a NetBox error body for people: DRF validation errors
// {"spec": ["This field cannot be blank."]} become
// "spec: This field cannot be blank.", {"detail": "..."} its detail, a
// per-item list its non-empty entries. Anything that is not JSON is cut to
// a short snippet (or dropped, for HTML pages).
func Message(body []byte) string {
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return ""
	}
	var v any
	if err := json.Unmarshal([]byte(trimmed), &v); err != nil {
		if strings.HasPrefix(trimmed, "<") {
			return "" // an HTML error page says nothing the status does not
		}
		return clip(trimmed)
	}
	var parts []string
	flatten("", v, &parts)
	return clip(strings.Join(parts, "; "))
}

func flatten(field string, v any, out *[]string) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := k
			switch {
			case k == "detail" || k == "non_field_errors" || k == "__all__":
				sub = field
			case field != "":
				sub = field + "." + k
			}
			flatten(sub, t[k], out)
		}
	case []any:
		for _, e := range t {
			flatten(field, e, out)
		}
	case nil:
	default:
		s := fmt.Sprint(t)
		if field != "" {
			s = field + ": " + s
		}
		*out = append(*out, s)
	}
}

func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return strings.ToValidUTF8(s[:maxMessage], "") + "…"
}

// UncertainError is a POST whose outcome is unknown: the request may have
// reached NetBox and been committed although no answer came back (a
// dropped connection, a timeout, a 5xx from NetBox or a proxy in front of
// it). It is never retried blindly: Create re-reads what it wrote.
type UncertainError struct{ Err error }

func (e *UncertainError) Error() string { return e.Err.Error() }
func (e *UncertainError) Unwrap() error { return e.Err }

// provablyUnsent reports whether err shows that NetBox did not act on the
// request: the connection was refused (nothing was sent), or NetBox
// answered 429 or 503 (it refused the request before doing anything).
func provablyUnsent(err error) bool {
	var h *HTTPError
	if errors.As(err, &h) {
		return h.Status == http.StatusTooManyRequests || h.Status == http.StatusServiceUnavailable
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// worthRetrying reports whether err may go away by itself: a 408, 429 or
// 5xx answer, or a transport error other than a certificate problem.
func worthRetrying(err error) bool {
	var h *HTTPError
	if errors.As(err, &h) {
		return retryable(h.Status)
	}
	return transportRetryable(err)
}
