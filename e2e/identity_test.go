//go:build e2e

package e2e

import (
	"net/http"
	"testing"

	"github.com/hhgate/hhgate/testenv"
)

// TestClientIdentityHeadersNeverReachNetBox: with NetBox trusting
// Remote-User (REMOTE_AUTH_ENABLED, users auto-created), no spelling of the
// identity headers a client sends through the drop-in gateway logs anyone
// in. Directly against Django the same header does (the control).
// Real parts: Django stand-in in remote-auth mode, hhgate binary.
func TestClientIdentityHeadersNeverReachNetBox(t *testing.T) {
	nb := testenv.StartNetBox(t, testenv.NetBoxOptions{Env: map[string]string{
		"REMOTE_AUTH_ENABLED": "1", "REMOTE_AUTH_AUTO_CREATE_USER": "1", "REMOTE_AUTH_GROUP_SYNC_ENABLED": "1",
	}})
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Upstream: nb.Addr})

	res, _ := testenv.NewSession(nb.URL).Do(t, http.MethodGet, "/", http.Header{"Remote-User": {"mallory"}}, nil)
	if res.Header.Get("X-Standin-User") != "mallory" {
		t.Fatalf("control: Django did not log mallory in from the header (X-Standin-User %q)", res.Header.Get("X-Standin-User"))
	}
	for _, spelling := range []string{"Remote-User", "remote-user", "REMOTE-USER", "rEmOtE-uSeR", "Remote_User", "REMOTE_USER"} {
		t.Run(spelling, func(t *testing.T) {
			before := nb.SessionCount(t)
			res, _ := testenv.NewSession(gw.URL).Do(t, http.MethodGet, "/", http.Header{
				spelling: {"mallory"}, "Remote-User-Group": {"superusers"}, "Sec-Fetch-Mode": {"navigate"},
			}, nil)
			if who := res.Header.Get("X-Standin-User"); who != "" || res.StatusCode != http.StatusFound {
				t.Fatalf("%s reached NetBox: status %d, user %q", spelling, res.StatusCode, who)
			}
			if after := nb.SessionCount(t); after != before {
				t.Fatalf("a session was created (%d → %d)", before, after)
			}
		})
	}
}
