//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"github.com/hhgate/hhgate/e2e/browser"
	"github.com/hhgate/hhgate/testenv"
)

// browserStack is the stand-in with one user and one connected fabric, the
// built gateway in front of it with the drop-in Caddyfile, and a headless
// Chromium.
type browserStack struct {
	netbox   *testenv.NetBox
	gateway  *testenv.Gateway
	browser  *browser.Browser
	fabricID int
}

// startBrowserStack starts the stack; inject sets the drop-in Caddyfile's
// HHGATE_INJECT_SCRIPT, netboxEnv configures the stand-in (LOGIN_TIMEOUT…).
func startBrowserStack(t *testing.T, inject bool, netboxEnv map[string]string) *browserStack {
	t.Helper()
	if _, err := browser.Chromium(); err != nil {
		t.Fatal(err) // before starting anything else
	}
	nb := testenv.StartNetBox(t, testenv.NetBoxOptions{Env: netboxEnv})
	nb.CreateUser(t, testenv.User{Username: user, Password: password, Superuser: true})
	id := nb.CreateFabric(t, map[string]any{"name": "fab-browser", "connection_status": "connected", "sync_status": "never_synced"})
	injectScript := "off"
	if inject {
		injectScript = "on"
	}
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Upstream: nb.Addr, Env: map[string]string{"HHGATE_INJECT_SCRIPT": injectScript}})
	return &browserStack{netbox: nb, gateway: gw, browser: browser.Start(t), fabricID: id}
}

func (s *browserStack) fabricPage() string {
	return fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", s.fabricID)
}

// signInAt signs in with NetBox's login form at base and waits for the page
// it sends the user to (next).
func signInAt(tab *browser.Tab, base, next string) {
	tab.Navigate(base + "/login/?next=" + next)
	fillLoginForm(tab)
	tab.WaitFor("the page after the login", fmt.Sprintf(`location.pathname === %q && document.readyState === 'complete'`, next))
}

// fillLoginForm fills NetBox's login form and submits it.
func fillLoginForm(tab *browser.Tab) {
	tab.WaitFor("the login form", `document.querySelector('#id_password')`)
	tab.Fill("#id_username", user)
	tab.Fill("#id_password", password)
	tab.Click(`button[type="submit"]`)
}

// openFabricPage signs in and opens the fabric page, waiting until its
// scripts ran (the htmx partial loaded).
func (s *browserStack) openFabricPage(tab *browser.Tab) {
	signInAt(tab, s.gateway.URL, s.fabricPage())
	tab.WaitFor("the htmx partial", `document.querySelector('#fabric-status .status')`)
	// A marker in the document: gone after any reload or navigation.
	browser.Eval[bool](tab, `(window.hhgateTestSamePage = true)`)
}

// assertSamePage fails unless the page is the same document as when
// openFabricPage returned.
func (s *browserStack) assertSamePage(t *testing.T, tab *browser.Tab) {
	t.Helper()
	if !browser.Eval[bool](tab, fmt.Sprintf(`window.hhgateTestSamePage === true && location.pathname === %q`, s.fabricPage())) {
		t.Errorf("the fabric page was reloaded or left: now at %s", browser.Eval[string](tab, `location.href`))
	}
}

// shimStats reads the shim's counters.
type shimStats struct {
	Intercepted int `json:"intercepted"`
	Retried     int `json:"retried"`
	Dialogs     int `json:"dialogs"`
	Popups      int `json:"popups"`
}

func readShimStats(tab *browser.Tab) shimStats {
	return browser.Eval[shimStats](tab, `window.hhgate.stats`)
}

// signInInPopup clicks the dialog's "Sign in again", checks the popup is
// NetBox's login coming back to relogin-done, and signs in there.
func signInInPopup(t *testing.T, tab *browser.Tab, click string) {
	t.Helper()
	popup := tab.Popup(func() { tab.Click(click) })
	popup.WaitFor("the login page in the popup", `location.pathname === '/login/'`)
	if next := browser.Eval[string](popup, `new URLSearchParams(location.search).get('next')`); next != "/.hhgate/relogin-done" {
		t.Fatalf("the popup's login comes back to %q, want /.hhgate/relogin-done", next)
	}
	fillLoginForm(popup)
}

const (
	dialogOpen       = `!!document.querySelector('#hhgate-dialog[open]')`
	dialogClosed     = `!document.querySelector('#hhgate-dialog[open]')`
	bannerShown      = `!!document.querySelector('#hhgate-banner:not([hidden])')`
	bannerHidden     = `!document.querySelector('#hhgate-banner:not([hidden])')`
	syncSucceeded    = "Sync completed successfully!"
	syncButtonActive = `!document.querySelector('#sync-now-btn').disabled`
)
