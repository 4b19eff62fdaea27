package kube

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestClassify(t *testing.T) {
	gr := schema.GroupResource{Group: "vpc.githedgehog.com", Resource: "vpcs"}
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "https://k8s:6443/apis", Err: err} }
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"nil", nil, ClassNone},
		{"404 CRD missing", apierrors.NewNotFound(gr, ""), ClassNotFound},
		{"404 plain text", apierrors.NewGenericServerResponse(404, "list", gr, "", "404 page not found", 0, true), ClassNotFound},
		{"403 RBAC", apierrors.NewForbidden(gr, "", errors.New("no")), ClassForbidden},
		{"401 token", apierrors.NewUnauthorized("Unauthorized"), ClassUnauthorized},
		{"500", apierrors.NewInternalError(errors.New("etcd")), ClassServer},
		{"503", apierrors.NewServiceUnavailable("down"), ClassServer},
		{"429", apierrors.NewTooManyRequests("slow down", 1), ClassServer},
		{"502 from a proxy", apierrors.NewGenericServerResponse(502, "list", gr, "", "", 0, true), ClassServer},
		{"504 server timeout", apierrors.NewTimeoutError("slow", 1), ClassTimeout},
		{"400", apierrors.NewBadRequest("bad"), ClassOther},
		{"unknown CA", urlErr(x509.UnknownAuthorityError{}), ClassTLS},
		{"wrong host name", urlErr(x509.HostnameError{Host: "k8s"}), ClassTLS},
		{"plain HTTP port", urlErr(errors.New("http: server gave HTTP response to HTTPS client")), ClassTLS},
		{"refused", urlErr(dial(os.NewSyscallError("connect", syscall.ECONNREFUSED))), ClassUnreachable},
		{"dial timeout", urlErr(dial(context.DeadlineExceeded)), ClassUnreachable},
		{"DNS", urlErr(&net.DNSError{Err: "no such host", Name: "k8s"}), ClassUnreachable},
		{"reset", urlErr(fmt.Errorf("read: %w", syscall.ECONNRESET)), ClassUnreachable},
		{"request timeout", urlErr(context.DeadlineExceeded), ClassTimeout},
		{"canceled", urlErr(context.Canceled), ClassCanceled},
		{"anything else", errors.New("odd"), ClassOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
	for c, want := range map[Class]bool{ClassTLS: true, ClassUnreachable: true, ClassUnauthorized: true,
		ClassForbidden: false, ClassServer: false, ClassTimeout: false, ClassCanceled: false, ClassNotFound: false} {
		if c.ConnectionLevel() != want {
			t.Errorf("%s.ConnectionLevel() = %t", c, !want)
		}
	}
}
