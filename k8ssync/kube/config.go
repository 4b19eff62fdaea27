package kube

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// Config is what a fabric record says about reaching its cluster, plus the
// one TLS decision the gateway operator makes.
type Config struct {
	// Server is the API server URL (the fabric's kubernetes_server).
	Server string
	// Token is the bearer token (kubernetes_token). Secret: never printed.
	Token string
	// CACert is the PEM text of the CA that signed the API server's
	// certificate (kubernetes_ca_cert). Empty means the system roots.
	CACert string
	// InsecureSkipTLSVerify turns certificate verification off. It is only
	// ever set from the gateway's explicit insecure_skip_tls_verify option;
	// a missing CA never turns verification off by itself (the plugin does
	// exactly that, which this package deliberately does not copy).
	InsecureSkipTLSVerify bool
	// Timeout bounds each request to the API server; zero means 30s.
	Timeout time.Duration
	// UserAgent names the gateway in the API server's audit log.
	UserAgent string
}

// ErrNoServer means the fabric has no kubernetes_server. The plugin would
// fall back to a local kubeconfig; a gateway has none to fall back to.
var ErrNoServer = errors.New("kubernetes_server is not set")

// ErrInvalidServer means kubernetes_server is not an http(s) URL.
var ErrInvalidServer = errors.New("kubernetes_server is not an http(s) URL")

// ErrInvalidCA means kubernetes_ca_cert holds no usable PEM certificate.
var ErrInvalidCA = errors.New("kubernetes_ca_cert is not a PEM certificate")

// String describes the config without its secrets.
func (c Config) String() string {
	return fmt.Sprintf("kube.Config{Server: %q, Token: %s, CACert: %s, InsecureSkipTLSVerify: %t}",
		c.Server, present(c.Token), present(c.CACert), c.InsecureSkipTLSVerify)
}

// GoString keeps %#v from printing the token or the CA.
func (c Config) GoString() string { return c.String() }

func present(s string) string {
	if s == "" {
		return "<empty>"
	}
	return "<redacted>"
}

// RESTConfig turns c into a client-go config: bearer token, the fabric's CA
// (or the system roots), and rate limits high enough that twelve paginated
// lists are not throttled by client-go's defaults (5 QPS).
//
// Errors name the field at fault and never contain the token or the PEM.
func RESTConfig(c Config) (*rest.Config, error) {
	server := strings.TrimSpace(c.Server)
	if server == "" {
		return nil, ErrNoServer
	}
	u, err := url.Parse(server)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%w: %q", ErrInvalidServer, server)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	cfg := &rest.Config{
		Host:           server,
		BearerToken:    strings.TrimSpace(c.Token),
		Timeout:        timeout,
		QPS:            50,
		Burst:          100,
		UserAgent:      c.UserAgent,
		WarningHandler: rest.NoWarnings{},
	}
	switch {
	case c.InsecureSkipTLSVerify:
		cfg.TLSClientConfig.Insecure = true
	case strings.TrimSpace(c.CACert) != "":
		ca := []byte(strings.TrimSpace(c.CACert) + "\n")
		if err := checkPEM(ca); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidCA, err)
		}
		cfg.TLSClientConfig.CAData = ca
	}
	// With neither, client-go verifies against the system roots.
	return cfg, nil
}

// checkPEM reports a CA field that holds no usable certificate before
// client-go does, with an error that says which field is wrong rather than
// client-go's "unable to load root certificates".
func checkPEM(data []byte) error {
	found := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse: %v", found+1, err)
		}
		found++
	}
	if found == 0 {
		return errors.New("no PEM certificate found")
	}
	return nil
}
