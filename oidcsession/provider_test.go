package oidcsession

import (
	"testing"

	"golang.org/x/oauth2"
)

func TestAuthStyle(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		announced  []string
		want       oauth2.AuthStyle
	}{
		{"IdP says nothing: basic (the OIDC default)", "", nil, oauth2.AuthStyleInHeader},
		{"IdP lists both: basic", "", []string{AuthMethodPost, AuthMethodBasic}, oauth2.AuthStyleInHeader},
		{"IdP lists only post", "", []string{AuthMethodPost, "private_key_jwt"}, oauth2.AuthStyleInParams},
		{"configured post wins", AuthMethodPost, []string{AuthMethodBasic}, oauth2.AuthStyleInParams},
		{"configured basic wins", AuthMethodBasic, []string{AuthMethodPost}, oauth2.AuthStyleInHeader},
	}
	for _, tt := range tests {
		if got := authStyle(tt.configured, tt.announced); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
