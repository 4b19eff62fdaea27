package oidcsession

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hhgate/hhgate/oidcstore"
)

func TestIdentityFromClaims(t *testing.T) {
	custom := ClaimNames{User: "email", Email: "mail", FirstName: "first", LastName: "last", Groups: "roles"}
	tests := []struct {
		name    string
		claims  map[string]any
		names   ClaimNames
		want    oidcstore.Identity
		wantErr string
	}{
		{"standard claims, groups as JSON array",
			map[string]any{"preferred_username": "alice", "email": "a@example.com", "given_name": "Alice", "family_name": "Liddell", "groups": []any{"noc", "admins"}},
			DefaultClaims,
			oidcstore.Identity{User: "alice", Email: "a@example.com", FirstName: "Alice", LastName: "Liddell", Groups: []string{"noc", "admins"}}, ""},
		{"one group as a string",
			map[string]any{"preferred_username": "alice", "groups": "noc"}, DefaultClaims,
			oidcstore.Identity{User: "alice", Groups: []string{"noc"}}, ""},
		{"optional claims missing or of the wrong type",
			map[string]any{"preferred_username": "alice", "email": 42, "groups": map[string]any{"x": 1}}, DefaultClaims,
			oidcstore.Identity{User: "alice"}, ""},
		{"configured claim names",
			map[string]any{"email": "alice@example.com", "mail": "other@example.com", "first": "A", "last": "L", "roles": []any{"r1"}, "preferred_username": "ignored"},
			custom,
			oidcstore.Identity{User: "alice@example.com", Email: "other@example.com", FirstName: "A", LastName: "L", Groups: []string{"r1"}}, ""},
		{"groups holding the separator, control characters or duplicates are dropped",
			map[string]any{"preferred_username": "alice", "groups": []any{"a|b", "ok", "bad\r\nX-Injected: 1", "ok", "", 7}}, DefaultClaims,
			oidcstore.Identity{User: "alice", Groups: []string{"ok"}}, ""},
		{"an unsafe optional value is dropped",
			map[string]any{"preferred_username": "alice", "given_name": "Al\nice", "family_name": strings.Repeat("x", 2000)}, DefaultClaims,
			oidcstore.Identity{User: "alice"}, ""},
		{"user claim missing", map[string]any{"email": "a@example.com"}, DefaultClaims, oidcstore.Identity{},
			`no "preferred_username" claim`},
		{"user claim not a string", map[string]any{"preferred_username": 12}, DefaultClaims, oidcstore.Identity{},
			`no "preferred_username" claim`},
		{"user claim with a line break", map[string]any{"preferred_username": "alice\r\nRemote-User: root"}, DefaultClaims, oidcstore.Identity{},
			"cannot be sent to NetBox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identityFromClaims(tt.claims, tt.names, "|")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("identity %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestMergeClaims(t *testing.T) {
	id := map[string]any{"sub": "s1", "preferred_username": "from-id-token", "email": "id@example.com"}
	got, err := mergeClaims(id, map[string]any{"sub": "s1", "preferred_username": "from-userinfo", "groups": []any{"g"}})
	if err != nil || got["preferred_username"] != "from-userinfo" || got["email"] != "id@example.com" || got["groups"] == nil {
		t.Fatalf("merged %v, %v", got, err)
	}
	if _, err := mergeClaims(id, map[string]any{"sub": "someone-else", "preferred_username": "mallory"}); err == nil {
		t.Fatal("userinfo about another subject was merged")
	}
	if got, err := mergeClaims(id, nil); err != nil || got["preferred_username"] != "from-id-token" {
		t.Fatalf("without userinfo: %v, %v", got, err)
	}
}
