//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"github.com/hhgate/hhgate/e2e/browser"
	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

// TestBrowserNativeSyncWithThePluginsJavaScript presses the plugin's own
// "Sync Now" button in Chromium with the gateway's native sync behind it
// (drop-in Caddyfile with HHGATE_SYNC=on, page script off so the plugin's unmodified JavaScript
// handles every answer): success shows the plugin's success alert and the
// fabric is synced; an expired session and a user without change
// permission show the gateway's JSON answers in the plugin's failure alert,
// never a JSON parse error.
// Real parts: kube-apiserver + etcd, Django stand-in, hhgate binary, Chromium.
func TestBrowserNativeSyncWithThePluginsJavaScript(t *testing.T) {
	if _, err := browser.Chromium(); err != nil {
		t.Fatal(err)
	}
	s := startSyncStack(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	objs := s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	s.netbox.CreateUser(t, testenv.User{Username: "viewer", Password: password, Permissions: []string{"netbox_hedgehog.view_hedgehogfabric"}})
	b := browser.Start(t)
	page := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id)

	openAs := func(name, login, pw string) *browser.Tab {
		tab := b.NewTab(t, name)
		tab.Navigate(s.gateway.URL + "/login/?next=" + page)
		tab.WaitFor("the login form", `document.querySelector('#id_password')`)
		tab.Fill("#id_username", login)
		tab.Fill("#id_password", pw)
		tab.Click(`button[type="submit"]`)
		tab.WaitFor("the fabric page", fmt.Sprintf(`location.pathname === %q && !!document.querySelector('#sync-now-btn')`, page))
		return tab
	}

	t.Run("success shows the plugin's alert", func(t *testing.T) {
		tab := openAs("operator", user, password)
		tab.Click("#sync-now-btn")
		if alerts := tab.WaitAlerts(1); alerts[0] != syncSucceeded {
			t.Fatalf("alert %q, want %q", alerts[0], syncSucceeded)
		}
		f := s.netbox.Fabric(t, id)
		if f["sync_status"] != "in_sync" || int(f["cached_crd_count"].(float64)) != len(objs) {
			t.Fatalf("fabric after the click: %v", f)
		}
	})
	t.Run("expired session shows the 401 contract", func(t *testing.T) {
		tab := openAs("expired", user, password)
		s.netbox.ExpireSessions(t, user)
		tab.Click("#sync-now-btn")
		if alerts := tab.WaitAlerts(1); alerts[0] != "Sync failed: authentication_required" {
			t.Fatalf("alert %q, want the gateway's authentication_required", alerts[0])
		}
	})
	t.Run("no permission shows 403 permission_denied", func(t *testing.T) {
		tab := openAs("viewer", "viewer", password)
		tab.Click("#sync-now-btn")
		if alerts := tab.WaitAlerts(1); alerts[0] != "Sync failed: permission_denied" {
			t.Fatalf("alert %q, want the gateway's permission_denied", alerts[0])
		}
	})
}
