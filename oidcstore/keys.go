package oidcstore

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// KeySize is the length of a session key: AES-256.
const KeySize = 32

// ParseKey decodes a session key given as 64 hex digits or as base64
// (standard or URL alphabet, padded or not). The error never repeats the
// key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("is empty")
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != KeySize {
			return nil, fmt.Errorf("decodes to %d bytes, want %d (generate one with: openssl rand -base64 32)", len(b), KeySize)
		}
		return b, nil
	}
	return nil, fmt.Errorf("is neither 64 hex digits nor base64 of %d bytes (generate one with: openssl rand -base64 32)", KeySize)
}
