package oidcsession

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hhgate/hhgate/testenv/oidcop"
)

// spoofs are client-sent identity headers in the spellings a server may
// hand over; raw keys are sent as written.
var spoofs = http.Header{
	"Remote-User":            {"mallory"},
	"remote-user":            {"mallory"},
	"REMOTE-USER-GROUP":      {"superusers"},
	"Remote-User-Email":      {"mallory@evil.example"},
	"remote-user-first-name": {"Mal"},
	"Remote-User-Last-Name":  {"Lory"},
}

func identityHeadersSeen(s seen) []string {
	var found []string
	for k := range s.Headers {
		if strings.HasPrefix(normalizeHeaderName(k), "remote-user") {
			found = append(found, k+": "+strings.Join(s.Headers[k], ","))
		}
	}
	return found
}

// TestSpoofedIdentityHeadersNeverReachNetBox, with and without a session,
// on every kind of request that reaches NetBox.
// Real parts: zitadel example OP.
func TestSpoofedIdentityHeadersNeverReachNetBox(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	anonymous := newBrowser(t)
	loggedIn := newBrowser(t)
	loggedIn.login(t, s.gw, "/", alice)

	tests := []struct {
		name      string
		b         *browser
		path      string
		extra     http.Header
		wantIdent []string
	}{
		{"no session, public path", anonymous, "/static/netbox.css", nil, nil},
		{"no session, API token", anonymous, "/api/dcim/", http.Header{"Authorization": {"Token 0123456789abcdef"}}, nil},
		{"session, page", loggedIn, "/dcim/", nil, []string{"alice"}},
		{"session, API token: no identity", loggedIn, "/api/dcim/", http.Header{"Authorization": {"Bearer nbt_abc"}}, nil},
		{"session, public path: no identity", loggedIn, "/favicon.ico", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range spoofs {
				h[k] = v
			}
			for k, v := range tt.extra {
				h[k] = v
			}
			got := tt.b.reach(t, s.gw.URL+tt.path, h)
			user := got.header("Remote-User")
			if tt.wantIdent == nil {
				if idents := identityHeadersSeen(got); len(idents) != 0 {
					t.Fatalf("NetBox saw %v", idents)
				}
			} else if user != tt.wantIdent[0] || got.header("Remote-User-Group") != "netbox-admins|noc" || len(got.Headers["Remote-User"]) != 1 {
				t.Fatalf("NetBox saw Remote-User %q group %q (%v)", user, got.header("Remote-User-Group"), identityHeadersSeen(got))
			}
			if strings.Contains(got.header("Cookie"), "hhgate") {
				t.Errorf("gateway cookie forwarded: %q", got.header("Cookie"))
			}
			if tt.extra != nil && got.header("Authorization") == "" {
				t.Errorf("the API credentials were not passed on")
			}
		})
	}
}

// TestOtherCookiesPassUntouched: NetBox's cookies reach it byte for byte.
// Real parts: zitadel example OP.
func TestOtherCookiesPassUntouched(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	b := newBrowser(t)
	b.login(t, s.gw, "/", alice)
	req, _ := http.NewRequest(http.MethodGet, s.gw.URL+"/dcim/", nil)
	req.Header.Set("Cookie", "csrftoken=abc; hhgate_session="+b.sessionID(s.gw)+"; sessionid=xyz")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	got := upstreamSaw(t, resp, body)
	if got.header("Cookie") != "csrftoken=abc; sessionid=xyz" || got.header("Remote-User") != "alice" {
		t.Fatalf("NetBox saw Cookie %q, Remote-User %q", got.header("Cookie"), got.header("Remote-User"))
	}
}
