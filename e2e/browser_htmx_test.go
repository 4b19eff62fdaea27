//go:build e2e

package e2e

import (
	"testing"

	"github.com/hhgate/hhgate/e2e/browser"
)

// TestBrowserHTMXPartialWithoutShimNavigatesToLogin: with injection off, an
// htmx partial refreshed after the session expired ends on NetBox's login
// page as a full navigation (the guard's HX-Redirect), coming back to the
// fabric page afterwards — never with the login form swapped into the
// partial.
// Real parts: Django stand-in, hhgate binary (drop-in Caddyfile, inject off), Chromium.
func TestBrowserHTMXPartialWithoutShimNavigatesToLogin(t *testing.T) {
	s := startBrowserStack(t, false, nil)
	tab := s.browser.NewTab(t, "fabric")
	s.openFabricPage(tab)
	s.netbox.ExpireSessions(t, user)

	tab.Click("#refresh-status")
	tab.WaitFor("NetBox's login page", `location.pathname === '/login/' && document.readyState === 'complete' && document.querySelector('#id_password')`)
	if browser.Eval[bool](tab, `window.hhgateTestSamePage === true`) {
		t.Error("the login page is in the old document: not a full navigation")
	}
	if next := browser.Eval[string](tab, `new URLSearchParams(location.search).get('next')`); next != s.fabricPage() {
		t.Errorf("the login page comes back to %q, want %q", next, s.fabricPage())
	}
	if browser.Eval[bool](tab, `!!document.querySelector('#fabric-status') || document.querySelectorAll('form').length !== 1`) {
		t.Error("the login page holds parts of the fabric page")
	}
}

// TestBrowserHTMXPartialWithShimSwapsAfterSignIn: with session-aware pages
// the same click shows the dialog instead of leaving the page; after the
// sign-in in the popup, htmx's request runs again and swaps in the real,
// current partial — on the same page, with no login form anywhere in it.
// Real parts: Django stand-in, hhgate binary (drop-in Caddyfile), Chromium.
func TestBrowserHTMXPartialWithShimSwapsAfterSignIn(t *testing.T) {
	s := startBrowserStack(t, true, nil)
	tab := s.browser.NewTab(t, "fabric")
	s.openFabricPage(tab)
	if got := browser.Eval[string](tab, `document.querySelector('#fabric-status .status').dataset.syncStatus`); got != "never_synced" {
		t.Fatalf("partial shows %q, want never_synced", got)
	}
	s.netbox.UpdateFabric(t, s.fabricID, map[string]any{"sync_status": "out_of_sync"})
	s.netbox.ExpireSessions(t, user)

	tab.Click("#refresh-status")
	tab.WaitFor("the session dialog", dialogOpen)
	if browser.Eval[bool](tab, `!!document.querySelector('#fabric-status form, #fabric-status #id_password')`) {
		t.Fatal("the login form was swapped into the partial")
	}
	s.assertSamePage(t, tab)

	signInInPopup(t, tab, "#hhgate-dialog-primary")
	tab.WaitFor("the partial to show the fabric's current status",
		`document.querySelector('#fabric-status .status') && document.querySelector('#fabric-status .status').dataset.syncStatus === 'out_of_sync'`)
	tab.WaitFor("the dialog to close", dialogClosed)
	s.assertSamePage(t, tab)
	if browser.Eval[bool](tab, `!!document.querySelector('#id_password')`) {
		t.Error("a login form is on the fabric page")
	}
	if st := readShimStats(tab); st != (shimStats{Intercepted: 1, Retried: 1, Dialogs: 1, Popups: 1}) {
		t.Errorf("shim counters %+v", st)
	}
}
