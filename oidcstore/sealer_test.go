package oidcstore

import (
	"bytes"
	"errors"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustSealer(t *testing.T, keys ...[]byte) *Sealer {
	t.Helper()
	s, err := NewSealer(keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealerRoundTripAndRotation(t *testing.T) {
	oldKey, newKey, otherKey := testKey(1), testKey(2), testKey(3)
	plain, ad := []byte(`{"user":"alice"}`), []byte("hhgate/sessions/abc")
	sealedOld := mustSealer(t, oldKey).Seal(plain, ad)
	sealedNew := mustSealer(t, newKey, oldKey).Seal(plain, ad)

	tests := []struct {
		name    string
		opener  *Sealer
		sealed  []byte
		ad      []byte
		wantErr bool
	}{
		{"same key", mustSealer(t, oldKey), sealedOld, ad, false},
		{"old key still opens after rotation", mustSealer(t, newKey, oldKey), sealedOld, ad, false},
		{"new first key seals", mustSealer(t, newKey), sealedNew, ad, false},
		{"retired key no longer opens", mustSealer(t, newKey), sealedOld, ad, true},
		{"foreign key", mustSealer(t, otherKey), sealedNew, ad, true},
		{"other additional data (moved record)", mustSealer(t, newKey), sealedNew, []byte("hhgate/sessions/xyz"), true},
		{"empty", mustSealer(t, newKey), nil, ad, true},
		{"truncated", mustSealer(t, newKey), sealedNew[:10], ad, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opener.Open(tt.sealed, tt.ad)
			if tt.wantErr {
				if !errors.Is(err, ErrUnsealable) {
					t.Fatalf("Open = %q, %v; want ErrUnsealable", got, err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("Open = %q, %v; want %q", got, err, plain)
			}
		})
	}
}

// TestSealerRejectsEveryTamperedByte flips each byte of a sealed value in
// turn: none may open.
func TestSealerRejectsEveryTamperedByte(t *testing.T) {
	s := mustSealer(t, testKey(7))
	sealed := s.Seal([]byte("refresh-token-value"), nil)
	for i := range sealed {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 0x01
		if got, err := s.Open(tampered, nil); err == nil {
			t.Fatalf("byte %d flipped: opened to %q", i, got)
		}
	}
}

func TestSealerNoncesDiffer(t *testing.T) {
	s := mustSealer(t, testKey(9))
	a, b := s.Seal([]byte("x"), nil), s.Seal([]byte("x"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are identical: nonce reuse")
	}
}

func TestNewSealerChecksKeys(t *testing.T) {
	if _, err := NewSealer(nil); err == nil {
		t.Error("no key accepted")
	}
	if _, err := NewSealer([][]byte{testKey(1), make([]byte, 16)}); err == nil {
		t.Error("16-byte key accepted")
	}
}
