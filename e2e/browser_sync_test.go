//go:build e2e

package e2e

import (
	"strings"
	"testing"

	"github.com/hhgate/hhgate/e2e/browser"
)

// TestBrowserExpiredSyncCompletesAfterSignIn is the seed's journey with
// session-aware pages: the user opens a fabric, the session expires, they
// click "Sync Now" → a dialog says the session expired (no JSON parse error)
// → they sign in in the popup → the very click they made runs, and the
// plugin's own success alert shows, on the same page, without a reload.
// A second request made while the dialog is open waits for the same
// sign-in and succeeds too.
// Real parts: Django stand-in, hhgate binary (drop-in Caddyfile), Chromium.
func TestBrowserExpiredSyncCompletesAfterSignIn(t *testing.T) {
	s := startBrowserStack(t, true, nil)
	tab := s.browser.NewTab(t, "fabric")
	s.openFabricPage(tab)
	if !browser.Eval[bool](tab, `typeof window.hhgate === 'object' && !!document.querySelector('head script[src^="/.hhgate/shim.js?v="][defer]')`) {
		t.Fatal("the page has no shim")
	}

	s.netbox.ExpireSessions(t, user)
	tab.Click("#sync-now-btn")
	tab.WaitFor("the session dialog", dialogOpen)

	dialog := browser.Eval[map[string]string](tab, `(() => {
		const d = document.querySelector('#hhgate-dialog');
		return {role: d.getAttribute('role'), modal: d.getAttribute('aria-modal'),
			title: document.getElementById(d.getAttribute('aria-labelledby')).textContent,
			text: document.getElementById(d.getAttribute('aria-describedby')).textContent,
			focused: document.activeElement.id, primary: document.querySelector('#hhgate-dialog-primary').textContent};
	})()`)
	want := map[string]string{"role": "dialog", "modal": "true", "title": "Your session has expired",
		"text": "Please sign in again.", "focused": "hhgate-dialog-primary", "primary": "Sign in again"}
	for k, v := range want {
		if dialog[k] != v {
			t.Errorf("dialog %s = %q, want %q", k, dialog[k], v)
		}
	}
	if alerts := tab.Alerts(); len(alerts) != 0 {
		t.Fatalf("the plugin alerted %q before the sign-in", alerts)
	}

	// Another script's request while the dialog is open: NetBox's API, as
	// NetBox's own apiRequest() sends it.
	browser.Eval[bool](tab, `(window.hhgateTestSecond = fetch('/api/plugins/hedgehog/fabrics/',
		{headers: {'X-CSRFToken': window.CSRF_TOKEN}, credentials: 'same-origin'}).then(r => r.status), true)`)
	tab.WaitFor("the second request to wait for the same sign-in", `window.hhgate.stats.intercepted === 2`)

	signInInPopup(t, tab, "#hhgate-dialog-primary")

	if alerts := tab.WaitAlerts(1); alerts[0] != syncSucceeded {
		t.Fatalf("the plugin alerted %q, want %q", alerts[0], syncSucceeded)
	}
	tab.WaitFor("the dialog to close", dialogClosed)
	s.assertSamePage(t, tab)
	if status := browser.Eval[int](tab, `window.hhgateTestSecond`); status != 200 {
		t.Errorf("the request queued behind the dialog ended with %d, want 200", status)
	}
	if st := readShimStats(tab); st != (shimStats{Intercepted: 2, Retried: 2, Dialogs: 1, Popups: 1}) {
		t.Errorf("shim counters %+v: want two requests retried after one dialog and one popup", st)
	}
	if got := s.netbox.Fabric(t, s.fabricID)["sync_status"]; got != "in_sync" {
		t.Errorf("NetBox's fabric sync_status = %v: the sync did not run", got)
	}
	if alerts := tab.Alerts(); len(alerts) != 1 {
		t.Errorf("alerts %q, want exactly the success", alerts)
	}
}

// TestBrowserDismissedDialogGivesThePageTheGatewayAnswer: Escape closes
// the dialog, focus returns to the button, and the page's own code gets
// the gateway's JSON answer (the plugin shows its failure, not a parse
// error).
// Real parts: Django stand-in, hhgate binary (drop-in Caddyfile), Chromium.
func TestBrowserDismissedDialogGivesThePageTheGatewayAnswer(t *testing.T) {
	s := startBrowserStack(t, true, nil)
	tab := s.browser.NewTab(t, "fabric")
	s.openFabricPage(tab)
	s.netbox.ExpireSessions(t, user)

	tab.Click("#sync-now-btn")
	tab.WaitFor("the session dialog", dialogOpen)
	tab.PressEscape()
	tab.WaitFor("the dialog to close", dialogClosed)
	// The page gets the gateway's answer with its human message where pages
	// print "error": never the machine code to a person.
	if alerts := tab.WaitAlerts(1); alerts[0] != "Sync failed: Your session has expired. Please sign in again." {
		t.Fatalf("the plugin alerted %q, want the gateway's message", alerts[0])
	}
	// The plugin disabled its button while the request ran; focus goes back
	// to it once the plugin enables it again.
	tab.WaitFor("focus back on the Sync Now button", `document.activeElement && document.activeElement.id === 'sync-now-btn'`)
	s.assertSamePage(t, tab)
}

// TestBrowserExpiredSyncWithoutShimAlertsGatewayAnswer: with injection off
// the plugin's own alert shows the gateway's answer — its error code,
// which is all the plugin prints (data.error) — where NetBox directly makes
// it show a JSON parse error.
// Real parts: Django stand-in, hhgate binary (drop-in Caddyfile, inject off), Chromium.
func TestBrowserExpiredSyncWithoutShimAlertsGatewayAnswer(t *testing.T) {
	s := startBrowserStack(t, false, nil)
	tests := []struct {
		name    string
		base    string
		want    func(string) bool
		wantMsg string
	}{
		{"directly against NetBox (the bug)", s.netbox.URL,
			func(a string) bool { return strings.HasPrefix(a, "Sync failed: ") && strings.Contains(a, "JSON") },
			"a JSON parse error"},
		{"through the gateway", s.gateway.URL,
			func(a string) bool { return a == "Sync failed: authentication_required" },
			"Sync failed: authentication_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := s.browser.NewTab(t, "fabric")
			signInAt(tab, tt.base, s.fabricPage())
			tab.WaitFor("the htmx partial", `document.querySelector('#fabric-status .status')`)
			if browser.Eval[bool](tab, `typeof window.hhgate !== 'undefined' || !!document.querySelector('script[src*=".hhgate/"]')`) {
				t.Fatal("the shim is on the page with inject_script off")
			}
			s.netbox.ExpireSessions(t, user)
			tab.Click("#sync-now-btn")
			if alerts := tab.WaitAlerts(1); !tt.want(alerts[0]) {
				t.Errorf("the plugin alerted %q, want %s", alerts[0], tt.wantMsg)
			}
		})
	}
}

// TestBrowserCSRFRotatedPageRecovers: a login in another tab rotates the
// CSRF token; the old page's next Sync is refused by NetBox (CSRF), and the
// shim recovers without asking anything: fresh token from the gateway, the
// request once more, the plugin's success. The page then holds the new
// token, so its next POST goes through at once.
// Real parts: Django stand-in, hhgate binary (drop-in Caddyfile), Chromium.
func TestBrowserCSRFRotatedPageRecovers(t *testing.T) {
	s := startBrowserStack(t, true, nil)
	tab := s.browser.NewTab(t, "fabric")
	s.openFabricPage(tab)
	oldToken := browser.Eval[string](tab, `window.CSRF_TOKEN`)

	other := tab.NewTab("second-tab")
	other.Navigate(s.gateway.URL + "/logout/")
	signInAt(other, s.gateway.URL, "/plugins/hedgehog/fabrics/")

	tab.Click("#sync-now-btn")
	if alerts := tab.WaitAlerts(1); alerts[0] != syncSucceeded {
		t.Fatalf("the plugin alerted %q, want %q", alerts[0], syncSucceeded)
	}
	if st := readShimStats(tab); st != (shimStats{Intercepted: 1, Retried: 1}) {
		t.Errorf("shim counters %+v: want one refused request retried, no dialog", st)
	}
	tokens := browser.Eval[[]string](tab, `[window.CSRF_TOKEN, document.querySelector('[name=csrfmiddlewaretoken]').value]`)
	if tokens[0] == oldToken || tokens[0] != tokens[1] {
		t.Errorf("tokens on the page %q (old %q): want the new one everywhere", tokens, oldToken)
	}

	tab.WaitFor("the plugin to enable its button again", syncButtonActive)
	tab.Click("#sync-now-btn")
	if alerts := tab.WaitAlerts(2); alerts[1] != syncSucceeded {
		t.Fatalf("second sync: the plugin alerted %q", alerts[1])
	}
	if st := readShimStats(tab); st.Intercepted != 1 {
		t.Errorf("the next POST was refused again (%+v): the page did not keep the new token", st)
	}
	s.assertSamePage(t, tab)
}
