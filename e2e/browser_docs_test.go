//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/hhgate/hhgate/e2e/browser"
	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/testenv/kube"
)

// TestBrowserDemoPagesLookLikeNetBox: what `make demo` shows — the login
// page (a labelled form), the fabric list and the fabric page with the
// panel after a sync of the VLAB fixture, its switches' readiness from
// seven Agents (one silent), and, after a CR change, the drift line and
// the preview of the next sync, which reloads by itself — styled by Tabler as NetBox 4's pages are. The controller
// is on as in the demo (sync_interval 300 s), with a debounce long enough
// that the drift stays on the page for the screenshot. Its screenshots are
// the README's (docs/img/).
// Real parts: kube-apiserver + etcd, Django stand-in, hhgate binary, Chromium.
func TestBrowserDemoPagesLookLikeNetBox(t *testing.T) {
	s := newPanelStack(t)
	objs := s.cluster.ApplyFixture(t, s.namespace)
	beat := time.Now().Add(time.Minute) // ready for the whole test
	for _, name := range []string{"spine-01", "spine-02", "leaf-01", "leaf-02", "leaf-03", "leaf-04"} {
		s.cluster.CreateAgent(t, s.namespace, name, 1, 1, beat)
	}
	s.cluster.CreateAgent(t, s.namespace, "leaf-05", 1, 1, time.Now().Add(-5*time.Minute))
	id := s.netbox.CreateFabric(t, map[string]any{
		"name": "vlab", "kubernetes_server": s.cluster.Server, "kubernetes_namespace": s.namespace,
		"kubernetes_token":   s.cluster.Token(t, s.namespace, append(kube.AllResources(), "agents")),
		"kubernetes_ca_cert": string(s.cluster.CACert), "connection_status": "connected",
		"sync_enabled": true, "sync_interval": 300,
	})
	before := hedgehogWatches(t, s.cluster)
	s.startGateway(t, "on", map[string]string{"HHGATE_SYNC_DEBOUNCE": "10m"})
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
	if alerts := tab.WaitAlerts(1); alerts[0] != syncSucceeded {
		t.Fatalf("alert %q, want %q", alerts[0], syncSucceeded)
	}
	tab.WaitFor("the outcome", `/Last sync succeeded/.test(document.querySelector('#hhgate-panel-outcome').textContent)`)
	tab.WaitFor("the journal", `!!document.querySelector('#hhgate-journal table')`)
	tab.WaitFor("the page's badge", `document.querySelector('#sync-status').textContent.trim() === 'In Sync'`)
	if got, want := readinessShown(tab), "Switches ready 6/7 · 1 stale heartbeat"; got != want {
		t.Errorf("readiness %q, want %q", got, want)
	}

	// A CR change, as the demo's POST /change-cr makes: the drift line,
	// and the preview of the sync that will apply it.
	waitForCond(t, 30*time.Second, "the controller's watches", func() bool {
		return hedgehogWatches(t, s.cluster)-before >= len(kinds.All)
	})
	relabelFirstVPC(t, s.cluster, s.namespace, objs, map[string]string{"demo.hhgate.dev/changed": "1"})
	tab.WaitFor("the drift line", `/^1 change in the cluster since the last sync/.test(document.querySelector('#hhgate-panel-drift').textContent)`)
	// The preview follows the drift by itself (no "Refresh preview").
	tab.WaitFor("the preview of the change", previewTable)
	if got := previewCounts(t, tab); !maps.Equal(got, map[string]kindCounts{"VPC": {0, 1, 0}}) {
		t.Errorf("preview after the change %v, want VPC ~1", got)
	}
	clickCentered(tab, `#hhgate-preview tr[data-kind="VPC"] summary`)
	tab.WaitFor("the VPC's name and changed fields", `document.querySelector('#hhgate-preview tr[data-kind="VPC"] details').open`)
	tab.WaitFor("the page's Sync Now button back", `!document.querySelector('#sync-now-btn').disabled`)
	tab.FullScreenshot("fabric-page")
}
