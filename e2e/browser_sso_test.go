//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/hhgate/hhgate/e2e/browser"
)

// The page script with single sign-on: the drop-in Caddyfile with HHGATE_SSO=on (netbox_oidc in front
// of netbox_guard), the stand-in in remote-auth mode, the zitadel example
// OP with its HTML login form, and Chromium.

// ssoSession is what a page reads from GET /.hhgate/session.
type ssoSession struct {
	Authenticated bool    `json:"authenticated"`
	User          string  `json:"user"`
	Source        string  `json:"source"`
	ExpiresAt     float64 `json:"expires_at"`
	ServerTime    float64 `json:"server_time"`
}

// readSSOSession has the page ask the gateway, with the page's cookies.
func readSSOSession(tab *browser.Tab) ssoSession {
	return browser.Eval[ssoSession](tab, `fetch('/.hhgate/session', {cache: 'no-store'}).then(r => r.json())`)
}

// signInAtIdP fills the IdP's login form in tab and submits it.
func signInAtIdP(tab *browser.Tab, issuer string) {
	tab.WaitFor("the IdP's login form", fmt.Sprintf(`location.origin === %q && !!document.querySelector('#password')`, issuer))
	tab.Fill("#username", ssoUser.Username)
	tab.Fill("#password", ssoUser.Password)
	tab.Click(`button[type="submit"]`)
}

// openFabricPageSSO opens a new fabric's page in a fresh browser profile:
// the gateway sends it to the IdP, the user signs in there, and the page
// opens with its scripts run. It returns the tab, the page's path and the
// fabric's id.
func openFabricPageSSO(t *testing.T, s *ssoStack, b *browser.Browser, name string) (*browser.Tab, string, int) {
	t.Helper()
	id := s.netbox.CreateFabric(t, map[string]any{"name": "fab-" + name, "connection_status": "connected", "sync_status": "never_synced"})
	page := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id)
	tab := b.NewTab(t, name)
	tab.Navigate(s.gateway.URL + page)
	signInAtIdP(tab, s.op.Issuer)
	tab.WaitFor("the fabric page after the sign-in", fmt.Sprintf(
		`location.origin === %q && location.pathname === %q && document.readyState === 'complete'`, s.gateway.URL, page))
	tab.WaitFor("the htmx partial", `document.querySelector('#fabric-status .status')`)
	// The fabric panel's first requests reach NetBox as the user: let them
	// end before a test counts or expires NetBox sessions.
	tab.WaitFor("the fabric panel to settle", panelSettled)
	if !browser.Eval[bool](tab, `typeof window.hhgate === 'object' && !!document.querySelector('head script[src^="/.hhgate/shim.js?v="][defer]')`) {
		t.Fatal("the page has no shim: the drop-in Caddyfile with SSO does not turn inject_script on")
	}
	// A marker in the document: gone after any reload or navigation.
	browser.Eval[bool](tab, `(window.hhgateTestSamePage = true)`)
	return tab, page, id
}

func assertSamePageSSO(t *testing.T, tab *browser.Tab, page string) {
	t.Helper()
	if !browser.Eval[bool](tab, fmt.Sprintf(`window.hhgateTestSamePage === true && location.pathname === %q`, page)) {
		t.Errorf("the fabric page was reloaded or left: now at %s", browser.Eval[string](tab, `location.href`))
	}
}

// TestBrowserSSOSessionAwarePages: the page script with netbox_oidc in
// front. The expiry banner counts down the gateway session (the OIDC
// module's answer), not NetBox's; NetBox's own session ending is invisible
// (NetBox logs the user back in from the remote-user headers) and the CSRF
// rotation that comes with it is repaired silently; the gateway session
// ending gets the dialog, whose sign-in at the IdP in the popup completes
// the interrupted sync.
// Real parts: zitadel example OP (HTML login form), Django stand-in in
// remote-auth mode, hhgate binary with the drop-in Caddyfile, SSO on (inject_script by its
// default), Chromium.
func TestBrowserSSOSessionAwarePages(t *testing.T) {
	if _, err := browser.Chromium(); err != nil {
		t.Fatal(err)
	}
	// The drop-in file's own default is under test, whatever the caller's
	// environment says (t.Setenv restores it afterwards).
	t.Setenv("HHGATE_INJECT_SCRIPT", "")
	if err := os.Unsetenv("HHGATE_INJECT_SCRIPT"); err != nil {
		t.Fatal(err)
	}
	s := startSSOStack(t) // LOGIN_TIMEOUT one day; session_ttl 12h by default
	b := browser.Start(t)

	t.Run("the banner warns before the gateway session ends", func(t *testing.T) {
		tab, page, _ := openFabricPageSSO(t, s, b, "banner")
		status := readSSOSession(tab)
		if !status.Authenticated || status.Source != "oidc" || status.User != ssoUser.Username {
			t.Fatalf("/.hhgate/session answers %+v, want the OIDC module's session of %s", status, ssoUser.Username)
		}
		// session_ttl (12h) after the sign-in, not NetBox's LOGIN_TIMEOUT (24h).
		if left := status.ExpiresAt - status.ServerTime; left > 12*3600 || left < 12*3600-60 {
			t.Fatalf("the gateway session ends in %.0f s, want session_ttl (12h) after the sign-in", left)
		}
		if got := knownExpiry(tab); got != status.ExpiresAt*1000 {
			t.Fatalf("the shim counts down to %v, the OIDC session ends at %v", got, status.ExpiresAt*1000)
		}
		if browser.Eval[bool](tab, bannerShown) {
			t.Fatal("the banner warns twelve hours ahead")
		}

		// 11h59m pass on the page's clock: one minute left, inside warn_before (2m).
		browser.Eval[bool](tab, `(window.hhgate.now = () => Date.now() + (12 * 60 - 1) * 60 * 1000, window.hhgate.check(), true)`)
		tab.WaitFor("the expiry banner", bannerShown)
		if text := browser.Eval[string](tab, `document.querySelector('#hhgate-banner-text').textContent`); text != "Your session expires within a minute." {
			t.Errorf("banner says %q", text)
		}
		// session_ttl is a hard limit: a NetBox page render does not move it,
		// and the banner says so instead of pretending.
		tab.Click("#hhgate-banner-stay")
		tab.WaitFor("the banner to say the session cannot be extended",
			`document.querySelector('#hhgate-banner-stay').hidden && document.querySelector('#hhgate-banner-text').textContent.includes('cannot be extended')`)
		if got := browser.Eval[float64](tab, `window.hhgate.session.expiresAt`); got != status.ExpiresAt*1000 {
			t.Errorf("the shim's expiry moved from %v to %v", status.ExpiresAt*1000, got)
		}
		assertSamePageSSO(t, tab, page)
	})

	t.Run("NetBox's session ending is invisible", func(t *testing.T) {
		tab, page, id := openFabricPageSSO(t, s, b, "netbox-expiry")
		s.netbox.ExpireSessions(t, ssoUser.Username)
		sessions := s.netbox.SessionCount(t)

		tab.Click("#sync-now-btn")
		if alerts := tab.WaitAlerts(1); alerts[0] != syncSucceeded {
			t.Fatalf("the plugin alerted %q, want %q", alerts[0], syncSucceeded)
		}
		if st := readShimStats(tab); st != (shimStats{}) {
			t.Errorf("shim counters %+v: the sync was intercepted, want it straight through", st)
		}
		if browser.Eval[bool](tab, `!!document.querySelector('#hhgate-dialog')`) {
			t.Error("the shim built its dialog")
		}
		if n := s.netbox.SessionCount(t); n != sessions+1 {
			t.Errorf("NetBox sessions %d -> %d: want one new session, NetBox logging the user back in", sessions, n)
		}
		if got := s.netbox.Fabric(t, id)["sync_status"]; got != "in_sync" {
			t.Errorf("sync_status = %v: the sync did not run", got)
		}

		// That re-login rotated NetBox's CSRF token; the page still holds the
		// old one. Its next sync is refused (csrf_failed) and repaired by
		// the shim without a dialog.
		tab.WaitFor("the plugin to enable its button again", syncButtonActive)
		tab.Click("#sync-now-btn")
		if alerts := tab.WaitAlerts(2); alerts[1] != syncSucceeded {
			t.Fatalf("second sync: the plugin alerted %q", alerts[1])
		}
		if st := readShimStats(tab); st != (shimStats{Intercepted: 1, Retried: 1}) {
			t.Errorf("shim counters %+v: want the refused token renewed and the sync retried, no dialog", st)
		}
		assertSamePageSSO(t, tab, page)
	})

	t.Run("the gateway session ending asks for the IdP sign-in", func(t *testing.T) {
		tab, page, id := openFabricPageSSO(t, s, b, "gateway-logout")
		before := readSSOSession(tab)

		// Logged out in another tab: the gateway session and NetBox's end.
		other := tab.NewTab("logout-tab")
		other.Navigate(s.gateway.URL + "/.hhgate/logout")
		if st := readSSOSession(tab); st.Authenticated {
			t.Fatalf("still signed in after the logout: %+v", st)
		}
		// Where the dialog's button sends the popup, and the window, to see
		// it close: only relogin-done closes it.
		browser.Eval[bool](tab, `(() => {
			const open = window.open;
			window.open = function (url) {
				window.hhgateTestOpened = String(url);
				return (window.hhgateTestPopup = open.apply(this, arguments));
			};
			return true;
		})()`)

		tab.Click("#sync-now-btn")
		tab.WaitFor("the session dialog", dialogOpen)
		if alerts := tab.Alerts(); len(alerts) != 0 {
			t.Fatalf("the plugin alerted %q before the sign-in", alerts)
		}
		popup := tab.Popup(func() { tab.Click("#hhgate-dialog-primary") })
		// The shim takes the login from the 401's redirect, replacing its
		// rd (no rd there would have added a next; no redirect at all would
		// have meant NetBox's /login/).
		opened := browser.Eval[map[string]string](tab, `(() => {
			const u = new URL(window.hhgateTestOpened);
			return {origin: u.origin, path: u.pathname, rd: u.searchParams.get('rd'), next: String(u.searchParams.get('next'))};
		})()`)
		want := map[string]string{"origin": s.gateway.URL, "path": "/.hhgate/oidc/login", "rd": "/.hhgate/relogin-done", "next": "null"}
		for k, v := range want {
			if opened[k] != v {
				t.Errorf("the popup opened %s = %q, want %q (the OIDC login of the 401, returning to relogin-done)", k, opened[k], v)
			}
		}
		signInAtIdP(popup, s.op.Issuer)

		if alerts := tab.WaitAlerts(1); alerts[0] != syncSucceeded {
			t.Fatalf("the plugin alerted %q, want %q", alerts[0], syncSucceeded)
		}
		tab.WaitFor("the dialog to close", dialogClosed)
		tab.WaitFor("relogin-done to close the popup", `window.hhgateTestPopup.closed`)
		if st := readShimStats(tab); st != (shimStats{Intercepted: 1, Retried: 1, Dialogs: 1, Popups: 1}) {
			t.Errorf("shim counters %+v: want the sync retried after one dialog and one popup", st)
		}
		if got := s.netbox.Fabric(t, id)["sync_status"]; got != "in_sync" {
			t.Errorf("sync_status = %v: the sync did not run", got)
		}
		after := readSSOSession(tab)
		if !after.Authenticated || after.Source != "oidc" || after.ExpiresAt <= before.ExpiresAt {
			t.Errorf("after the sign-in /.hhgate/session answers %+v, want a new OIDC session (the old one ended at %v)", after, before.ExpiresAt)
		}
		assertSamePageSSO(t, tab, page)
	})
}
