package oidcsession

import (
	"net/http"
	"slices"
	"testing"

	"github.com/hhgate/hhgate/oidcstore"
)

func mustIdentityHeaders(t *testing.T, names HeaderNames) identityHeaders {
	t.Helper()
	ih, err := newIdentityHeaders(withDefaultHeaders(names), "|")
	if err != nil {
		t.Fatal(err)
	}
	return ih
}

// TestStripIdentityHeaders sends each spelling of an identity header as the
// raw key a server could hand over; every one must be gone, whatever its
// case and whether it uses "_" or "-" (Django maps all of them to the same
// HTTP_REMOTE_USER META key).
func TestStripIdentityHeaders(t *testing.T) {
	ih := mustIdentityHeaders(t, HeaderNames{})
	for _, key := range []string{
		"Remote-User", "remote-user", "REMOTE-USER", "Remote_User", "REMOTE_USER", "remote_user", "rEmOtE_uSeR",
		"Remote-User-Email", "REMOTE_USER_EMAIL", "Remote-User-First-Name", "remote_user_first_name",
		"Remote-User-Last-Name", "REMOTE-USER-LAST_NAME", "Remote-User-Group", "remote_user_group", "Remote_User-Group",
	} {
		t.Run(key, func(t *testing.T) {
			h := http.Header{key: {"mallory"}, "Accept": {"*/*"}}
			ih.Strip(h)
			if _, ok := h[key]; ok {
				t.Fatalf("%s survived", key)
			}
			if h.Get("Accept") != "*/*" {
				t.Fatal("an unrelated header was removed")
			}
		})
	}
}

// TestStripOnlyIdentityHeaders: names that merely look alike stay.
func TestStripOnlyIdentityHeaders(t *testing.T) {
	ih := mustIdentityHeaders(t, HeaderNames{})
	for _, key := range []string{"X-Remote-User", "Remote-Users", "Remote-User-Groups", "Remote", "User"} {
		t.Run(key, func(t *testing.T) {
			h := http.Header{key: {"v"}}
			ih.Strip(h)
			if _, ok := h[key]; !ok {
				t.Fatalf("%s was removed but is not an identity header", key)
			}
		})
	}
}

// TestStripConfiguredHeaderNames: custom names are stripped in every
// spelling, and NetBox's default names still are (NetBox may read them).
func TestStripConfiguredHeaderNames(t *testing.T) {
	ih := mustIdentityHeaders(t, HeaderNames{User: "X-Remote-User", Groups: "X-Remote-Groups"})
	for _, key := range []string{"X-Remote-User", "x_remote_user", "X-REMOTE_GROUPS", "Remote-User", "REMOTE_USER"} {
		t.Run(key, func(t *testing.T) {
			h := http.Header{key: {"mallory"}}
			ih.Strip(h)
			if len(h) != 0 {
				t.Fatalf("%s survived", key)
			}
		})
	}
}

func TestSetIdentityHeaders(t *testing.T) {
	ih := mustIdentityHeaders(t, HeaderNames{Groups: "X-Groups"})
	tests := []struct {
		name string
		id   oidcstore.Identity
		want http.Header
	}{
		{"everything", oidcstore.Identity{User: "alice", Email: "a@example.com", FirstName: "Alice", LastName: "Liddell", Groups: []string{"noc", "admins"}},
			http.Header{"Remote-User": {"alice"}, "Remote-User-Email": {"a@example.com"}, "Remote-User-First-Name": {"Alice"},
				"Remote-User-Last-Name": {"Liddell"}, "X-Groups": {"noc|admins"}}},
		{"empty values are left out", oidcstore.Identity{User: "bob"}, http.Header{"Remote-User": {"bob"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			ih.Set(h, &tt.id)
			if len(h) != len(tt.want) {
				t.Fatalf("headers %v, want %v", h, tt.want)
			}
			for k, v := range tt.want {
				if !slices.Equal(h[k], v) {
					t.Errorf("%s = %q, want %q", k, h[k], v)
				}
			}
		})
	}
}

// TestSetValuesAreIndependent: the five values share one allocation; a
// later append to one header must not overwrite another.
func TestSetValuesAreIndependent(t *testing.T) {
	ih := mustIdentityHeaders(t, HeaderNames{})
	h := http.Header{}
	ih.Set(h, &oidcstore.Identity{User: "alice", Email: "a@example.com"})
	h.Add("Remote-User", "second")
	if got := h["Remote-User-Email"]; !slices.Equal(got, []string{"a@example.com"}) {
		t.Fatalf("Remote-User-Email = %q after appending to Remote-User", got)
	}
}

func TestHeaderNamesAreChecked(t *testing.T) {
	tests := []struct {
		names   HeaderNames
		wantErr string
	}{
		{HeaderNames{User: "Remote User"}, `headers.user: "Remote User" is not a valid header name`},
		{HeaderNames{Email: "Cookie"}, `headers.email: "Cookie" cannot carry the identity`},
		{HeaderNames{Groups: "remote_user"}, `headers.groups: "remote_user" is the same header as headers.user`},
	}
	for _, tt := range tests {
		_, err := newIdentityHeaders(withDefaultHeaders(tt.names), "|")
		if err == nil || err.Error() != tt.wantErr {
			t.Errorf("newIdentityHeaders(%+v) = %v, want %q", tt.names, err, tt.wantErr)
		}
	}
}
