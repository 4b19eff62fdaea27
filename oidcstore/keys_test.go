package oidcstore

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xAB}, KeySize)
	key[0] = 0xFB // makes the standard and URL base64 alphabets differ
	tests := []struct {
		name, input string
		wantErr     string
	}{
		{"hex", hex.EncodeToString(key), ""},
		{"base64 padded", base64.StdEncoding.EncodeToString(key), ""},
		{"base64 unpadded", base64.RawStdEncoding.EncodeToString(key), ""},
		{"base64url", base64.URLEncoding.EncodeToString(key), ""},
		{"base64url unpadded", base64.RawURLEncoding.EncodeToString(key), ""},
		{"surrounding space", " " + hex.EncodeToString(key) + "\n", ""},
		{"empty", "", "is empty"},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), "decodes to 16 bytes, want 32"},
		{"not an encoding", "this is not a key!", "neither 64 hex digits nor base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKey(tt.input)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), strings.TrimSpace(tt.input)) && tt.input != "" {
					t.Errorf("the error repeats the key: %v", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("ParseKey = %x, %v; want %x", got, err, key)
			}
		})
	}
}
