//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"github.com/hhgate/hhgate/e2e/browser"
	"github.com/hhgate/hhgate/testenv/kube"
)

// TestBrowserDemoPagesLookLikeNetBox: what `make demo` shows — the login
// page (a labelled form), the fabric list and the fabric page with the
// panel after a sync of the VLAB fixture — styled by Tabler as NetBox 4's
// pages are. Its screenshots are the README's (docs/img/).
// Real parts: kube-apiserver + etcd, Django stand-in, hhgate binary, Chromium.
func TestBrowserDemoPagesLookLikeNetBox(t *testing.T) {
	s := startPanelStack(t, "on")
	s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	tab := s.browser.NewTab(t, "demo")
	tab.Navigate(s.gateway.URL + "/login/")
	tab.WaitFor("the login form", `!!document.querySelector('#id_password')`)
	labels := browser.Eval[string](tab, `[...document.querySelectorAll('label[for]')].map(l => l.htmlFor + '=' + l.textContent.trim()).join(',')`)
	if labels != "id_username=Username,id_password=Password" {
		t.Errorf("login labels %q", labels)
	}
	// Tabler's stylesheet applied: its card and form-control rules.
	if got := browser.Eval[string](tab, `getComputedStyle(document.querySelector('.card')).borderRadius`); got == "" || got == "0px" {
		t.Errorf("the card has no Tabler style (border-radius %q)", got)
	}
	tab.FullScreenshot("login")
	fillLoginForm(tab)
	tab.WaitFor("the home page", `location.pathname === '/' && document.readyState === 'complete'`)
	tab.Navigate(s.gateway.URL + "/plugins/hedgehog/fabrics/")
	tab.WaitFor("the fabric list", `!!document.querySelector('#fabric-table .badge')`)
	tab.FullScreenshot("fabric-list")
	tab.Navigate(s.gateway.URL + fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id))
	tab.WaitFor("the panel", panelReady)
	tab.Click("#sync-now-btn")
	tab.WaitAlerts(1)
	tab.WaitFor("the outcome", `/Last sync succeeded/.test(document.querySelector('#hhgate-panel-outcome').textContent)`)
	tab.WaitFor("the journal", `!!document.querySelector('#hhgate-journal table')`)
	tab.WaitFor("the page's badge", `document.querySelector('#sync-status').textContent.trim() === 'In Sync'`)
	tab.FullScreenshot("fabric-page")
}
