package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Class says what kind of failure an API call had, which decides both what
// the sync does with the kind (carry on, do not prune) and what it tells the
// operator about the fabric's connection.
type Class string

const (
	// ClassNone: no error.
	ClassNone Class = ""
	// ClassNotFound: 404 on the resource, i.e. its CRD is not installed.
	ClassNotFound Class = "not_found"
	// ClassForbidden: 403, the token's RBAC does not allow the list.
	ClassForbidden Class = "forbidden"
	// ClassUnauthorized: 401, the token itself was refused.
	ClassUnauthorized Class = "unauthorized"
	// ClassTLS: the TLS handshake failed (unknown CA, wrong host name,
	// plain HTTP on the port, bad CA configured).
	ClassTLS Class = "tls"
	// ClassUnreachable: no connection (refused, DNS, dial timeout, reset).
	ClassUnreachable Class = "unreachable"
	// ClassTimeout: the API server did not answer a request in time.
	ClassTimeout Class = "timeout"
	// ClassServer: the API server answered 5xx or 429.
	ClassServer Class = "server_error"
	// ClassCanceled: the caller's context ended (deadline or cancel).
	ClassCanceled Class = "canceled"
	// ClassInternal: a bug on our side (a recovered panic).
	ClassInternal Class = "internal"
	// ClassOther: anything else the API server answered.
	ClassOther Class = "other"
)

// ConnectionLevel reports whether the failure is about reaching or
// authenticating to the cluster as a whole, not about one kind: every
// other kind would fail the same way, and the fabric's connection_status
// must say "error".
func (c Class) ConnectionLevel() bool {
	return c == ClassTLS || c == ClassUnreachable || c == ClassUnauthorized
}

// Classify maps an error from client-go to its Class. Status errors
// (the API server answered) are classified by status; transport errors by
// their Go type, which client-go returns unwrapped inside *url.Error.
func Classify(err error) Class {
	if err == nil {
		return ClassNone
	}
	switch {
	case apierrors.IsNotFound(err):
		return ClassNotFound
	case apierrors.IsForbidden(err):
		return ClassForbidden
	case apierrors.IsUnauthorized(err):
		return ClassUnauthorized
	case apierrors.IsTimeout(err), apierrors.IsServerTimeout(err):
		return ClassTimeout
	case apierrors.IsTooManyRequests(err), apierrors.IsInternalError(err),
		apierrors.IsServiceUnavailable(err), apierrors.IsUnexpectedServerError(err):
		return ClassServer
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		if status.Status().Code >= 500 {
			return ClassServer
		}
		return ClassOther
	}
	if isTLS(err) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		// The latter is net/http's plain-text error for an http:// port
		// behind an https:// kubernetes_server.
		return ClassTLS
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		// A dial that timed out is a host that cannot be reached, not a
		// slow API server.
		return ClassUnreachable
	}
	if errors.Is(err, context.Canceled) {
		return ClassCanceled
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return ClassTimeout
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.As(err, &op) {
		return ClassUnreachable
	}
	return ClassOther
}

func isTLS(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		systemRoots      x509.SystemRootsError
		verification     *tls.CertificateVerificationError
		recordHeader     tls.RecordHeaderError
		alert            tls.AlertError
	)
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &systemRoots) ||
		errors.As(err, &verification) || errors.As(err, &recordHeader) ||
		errors.As(err, &alert)
}
