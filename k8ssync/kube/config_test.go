package kube

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hhgate/hhgate/k8ssync/internal/fakekube"
)

const testToken = "kube-token-3f9c1e-do-not-print"

func TestRESTConfigVerifiesTLSUnlessExplicitlyTold(t *testing.T) {
	ca := fakekube.OtherCAPEM()
	tests := []struct {
		name         string
		cfg          Config
		wantInsecure bool
		wantCA       bool
	}{
		{"no CA: system roots, verified", Config{Server: "https://k8s:6443", Token: testToken}, false, false},
		{"CA given: verified against it", Config{Server: "https://k8s:6443", Token: testToken, CACert: ca}, false, true},
		{"explicit option: not verified", Config{Server: "https://k8s:6443", Token: testToken, CACert: ca, InsecureSkipTLSVerify: true}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := RESTConfig(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rc.TLSClientConfig.Insecure != tc.wantInsecure {
				t.Errorf("Insecure = %t, want %t", rc.TLSClientConfig.Insecure, tc.wantInsecure)
			}
			if got := len(rc.TLSClientConfig.CAData) > 0; got != tc.wantCA {
				t.Errorf("CAData set = %t, want %t", got, tc.wantCA)
			}
			if rc.BearerToken != testToken {
				t.Errorf("BearerToken not set")
			}
			if rc.QPS < 50 {
				t.Errorf("QPS = %v: client-go's default would throttle twelve paginated lists", rc.QPS)
			}
		})
	}
}

func TestRESTConfigRejectsBadFieldsWithoutQuotingSecrets(t *testing.T) {
	badPEM := "-----BEGIN CERTIFICATE-----\nTUlJQm9nSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NBbWd3Z2dKa0FnRUFBb0dCQUxSaQ==\n-----END CERTIFICATE-----\n"
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"no server", Config{Token: testToken}, ErrNoServer},
		{"not a URL", Config{Server: "k8s:6443", Token: testToken}, ErrInvalidServer},
		{"CA is not PEM", Config{Server: "https://k8s", Token: testToken, CACert: "hello " + testToken}, ErrInvalidCA},
		{"CA PEM does not parse", Config{Server: "https://k8s", Token: testToken, CACert: badPEM}, ErrInvalidCA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RESTConfig(tc.cfg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "TUlJQm9n") {
				t.Errorf("error quotes a secret: %v", err)
			}
		})
	}
}

func TestConfigPrintsNoSecrets(t *testing.T) {
	c := Config{Server: "https://k8s", Token: testToken, CACert: fakekube.OtherCAPEM()}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, testToken) || strings.Contains(s, "BEGIN CERTIFICATE") {
			t.Errorf("printed config leaks a secret: %s", s)
		}
	}
}
