//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"github.com/hhgate/hhgate/e2e/browser"
)

// One hour of NetBox session; the tests let 59 minutes pass on the pages'
// clocks (hhgate.now), which leaves one minute: inside warn_before (2m).
const (
	sessionSeconds = "3600"
	letTimePass    = `(window.hhgate.now = () => Date.now() + 59 * 60 * 1000, window.hhgate.check(), true)`
)

// panelSettled: the page script's fabric panel is live, refused or absent
// (no native sync behind the gateway).
const panelSettled = `!!document.documentElement.getAttribute('data-hhgate-panel')`

// knownExpiry has the page fetch what the gateway knows now, and returns the
// expiry in Unix milliseconds. It waits for that first: the htmx partial's
// request may just have renewed the session.
func knownExpiry(tab *browser.Tab) float64 {
	return browser.Eval[float64](tab, `window.hhgate.refresh().then(s => s.expiresAt)`)
}

// TestBrowserExpiryBannerStaySignedInExtendsSession: under NetBox's
// LOGIN_PERSISTENCE, the banner appears warn_before ahead of expiry, in
// every tab; "Stay signed in" renews NetBox's session, and the banner goes
// away in this tab and, through BroadcastChannel, in the other one.
// Real parts: Django stand-in (LOGIN_TIMEOUT, LOGIN_PERSISTENCE), hhgate binary (drop-in Caddyfile), Chromium.
func TestBrowserExpiryBannerStaySignedInExtendsSession(t *testing.T) {
	s := startBrowserStack(t, true, map[string]string{"LOGIN_TIMEOUT": sessionSeconds, "LOGIN_PERSISTENCE": "1"})
	tab := s.browser.NewTab(t, "fabric")
	s.openFabricPage(tab)
	other := tab.NewTab("second-tab")
	other.Navigate(s.gateway.URL + s.fabricPage())
	other.WaitFor("the htmx partial", `document.querySelector('#fabric-status .status')`)

	// The fabric panel's first requests go through NetBox, which renews a
	// sliding session: let them end before the clocks are moved.
	for _, tb := range []*browser.Tab{tab, other} {
		tb.WaitFor("the fabric panel to settle", panelSettled)
	}
	before := knownExpiry(tab)
	if got := knownExpiry(other); got != before {
		t.Fatalf("the tabs disagree on the expiry: %v and %v", before, got)
	}
	for _, tb := range []*browser.Tab{tab, other} {
		if browser.Eval[bool](tb, bannerShown) {
			t.Fatalf("tab %s warns an hour ahead", tb.Name)
		}
		browser.Eval[bool](tb, letTimePass)
		tb.WaitFor("the expiry banner", bannerShown)
	}
	text := browser.Eval[string](tab, `document.querySelector('#hhgate-banner-text').textContent`)
	if text != "Your session expires within a minute." {
		t.Errorf("banner says %q", text)
	}
	if !browser.Eval[bool](tab, `!document.querySelector('#hhgate-banner-stay').hidden && document.querySelector('#hhgate-banner-signin').hidden`) {
		t.Error(`the banner does not offer "Stay signed in"`)
	}

	tab.Click("#hhgate-banner-stay")
	tab.WaitFor("the banner to go", bannerHidden)
	other.WaitFor("the banner to go in the other tab", bannerHidden)
	after := browser.Eval[float64](tab, `window.hhgate.session.expiresAt`)
	if after <= before {
		t.Fatalf("expiry %v after \"Stay signed in\", was %v: the session was not extended", after, before)
	}
	// The gateway's own answer agrees (it learnt it from NetBox's Set-Cookie).
	gateway := browser.Eval[float64](tab, `fetch('/.hhgate/session').then(r => r.json()).then(j => j.expires_at * 1000)`)
	if gateway != after {
		t.Errorf("the gateway says %v, the page %v", gateway, after)
	}
	s.assertSamePage(t, tab)
}

// TestBrowserExpiryBannerWithoutPersistence: without LOGIN_PERSISTENCE
// Django never extends a session, and its login page sends a signed-in user
// straight on, so neither "Stay signed in" nor a sign-in can help before the
// session ends. The banner says so; once the session has ended it offers
// "Sign in again", and a sign-in in the popup (a new session) clears it.
// Real parts: Django stand-in (LOGIN_TIMEOUT), hhgate binary (drop-in Caddyfile), Chromium.
func TestBrowserExpiryBannerWithoutPersistence(t *testing.T) {
	s := startBrowserStack(t, true, map[string]string{"LOGIN_TIMEOUT": sessionSeconds})
	tab := s.browser.NewTab(t, "fabric")
	s.openFabricPage(tab)
	before := knownExpiry(tab)

	browser.Eval[bool](tab, letTimePass)
	tab.WaitFor("the expiry banner", bannerShown)
	tab.Click("#hhgate-banner-stay")
	tab.WaitFor("the banner to say the session cannot be extended",
		`document.querySelector('#hhgate-banner-stay').hidden && document.querySelector('#hhgate-banner-text').textContent.includes('cannot be extended')`)
	if browser.Eval[bool](tab, `!document.querySelector('#hhgate-banner-signin').hidden`) {
		t.Error(`"Sign in again" offered while the session still runs`)
	}
	if got := browser.Eval[float64](tab, `window.hhgate.session.expiresAt`); got != before {
		t.Errorf("expiry moved from %v to %v without LOGIN_PERSISTENCE", before, got)
	}

	// The session ends: on NetBox's side, and on the page's clock.
	s.netbox.ExpireSessions(t, user)
	browser.Eval[bool](tab, `(window.hhgate.now = () => Date.now() + 61 * 60 * 1000, window.hhgate.check(), true)`)
	tab.WaitFor(`the banner to offer "Sign in again"`,
		`!document.querySelector('#hhgate-banner-signin').hidden && document.querySelector('#hhgate-banner-text').textContent === 'Your session has expired.'`)

	signInInPopup(t, tab, "#hhgate-banner-signin")
	// (On the way, the popup's login page briefly knows no session at all.)
	tab.WaitFor("the banner to go once the new session is known",
		bannerHidden+fmt.Sprintf(` && window.hhgate.session.expiresAt > %f`, before))
	s.assertSamePage(t, tab)
}
