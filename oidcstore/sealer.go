package oidcstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// sealFormat is the first byte of every sealed value, so that a later format
// can be told apart.
const sealFormat byte = 1

// ErrUnsealable means a sealed value was damaged, was sealed for another
// purpose (additional data), or with a key that is no longer configured.
var ErrUnsealable = errors.New("sealed value cannot be opened with any configured key")

// Sealer encrypts and authenticates values with AES-256-GCM. The first key
// seals; every key opens, so a key can be rotated by putting the new one
// first and keeping the old one until the values it sealed have expired.
type Sealer struct {
	aeads []cipher.AEAD
}

// NewSealer builds a Sealer from one or more 32-byte keys.
func NewSealer(keys [][]byte) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("no key")
	}
	s := &Sealer{}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("key %d: %d bytes, want %d", i, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// Seal encrypts plaintext under the first key. additional is authenticated
// but not stored: Open must be given the same bytes, which binds a sealed
// value to its place (a storage key, a cookie name).
func (s *Sealer) Seal(plaintext, additional []byte) []byte {
	aead := s.aeads[0]
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealFormat
	if _, err := rand.Read(out[1:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never returns an error on supported platforms
	}
	return aead.Seal(out, out[1:], plaintext, additional)
}

// Open decrypts a value sealed by Seal under any configured key.
func (s *Sealer) Open(sealed, additional []byte) ([]byte, error) {
	if len(sealed) < 1 || sealed[0] != sealFormat {
		return nil, ErrUnsealable
	}
	for _, aead := range s.aeads {
		n := aead.NonceSize()
		if len(sealed) < 1+n+aead.Overhead() {
			return nil, ErrUnsealable
		}
		if plain, err := aead.Open(nil, sealed[1:1+n], sealed[1+n:], additional); err == nil {
			return plain, nil
		}
	}
	return nil, ErrUnsealable
}
