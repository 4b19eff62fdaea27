//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hhgate/hhgate/e2e/browser"
	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

// panelStack is syncStack with the page script on (or off) and Chromium.
type panelStack struct {
	*syncStack
	browser *browser.Browser
}

// controllerOff is the gateway environment of a panel test that counts
// syncs: the controller (on by default with HHGATE_SYNC=on) would sync
// the stand-in's sync-enabled fabrics on its own schedule.
var controllerOff = map[string]string{"HHGATE_SYNC_CONTROLLER": "off"}

// startPanelStack starts the backends, Chromium and the gateway with
// inject_script inject and env on top of the panel's environment.
func startPanelStack(t *testing.T, inject string, env map[string]string) *panelStack {
	t.Helper()
	s := newPanelStack(t)
	s.startGateway(t, inject, env)
	return s
}

// newPanelStack is panelStack without a gateway yet (a test that wants
// its fabric there before the controller starts).
func newPanelStack(t *testing.T) *panelStack {
	t.Helper()
	if _, err := browser.Chromium(); err != nil {
		t.Fatal(err)
	}
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	return &panelStack{syncStack: s, browser: browser.Start(t)}
}

func (s *panelStack) startGateway(t *testing.T, inject string, env map[string]string) {
	t.Helper()
	all := map[string]string{"HHGATE_SYNC": "on", "HHGATE_NETBOX_TOKEN": serviceToken, "HHGATE_INJECT_SCRIPT": inject,
		"XDG_DATA_HOME": t.TempDir()}
	maps.Copy(all, env)
	s.gateway = testenv.StartGateway(t, testenv.GatewayOptions{Upstream: s.netbox.Addr, Env: all})
}

// openAs signs login in and opens page.
func (s *panelStack) openAs(t *testing.T, name, login, pw, page string) *browser.Tab {
	t.Helper()
	tab := s.browser.NewTab(t, name)
	tab.Navigate(s.gateway.URL + "/login/?next=" + page)
	tab.WaitFor("the login form", `document.querySelector('#id_password')`)
	tab.Fill("#id_username", login)
	tab.Fill("#id_password", pw)
	tab.Click(`button[type="submit"]`)
	tab.WaitFor("the page", fmt.Sprintf(`location.pathname === %q && document.readyState === 'complete'`, page))
	return tab
}

// panelReady: the panel is connected and no sync is running (a
// controller may have one scheduled).
const panelReady = `!!document.querySelector('#hhgate-fabric-panel') && ['Idle', 'Scheduled'].includes(document.querySelector('#hhgate-panel-state').textContent)`

// TestBrowserFabricPanelFollowsAnImport: on the fabric page the panel shows
// a 2,000-object import while it runs (kinds read, changes written) and
// its counts after; the page's own status badge and last-sync text change
// without a reload; the journal lists the sync; the preview before it
// lists exactly the sync's per-kind counts, and after it says the next
// sync changes nothing; with a token that may not read Agents there is no
// readiness line. The controller is off: the sync counted is the click's.
// Real parts: kube-apiserver + etcd, Django stand-in, hhgate binary, Chromium.
func TestBrowserFabricPanelFollowsAnImport(t *testing.T) {
	s := startPanelStack(t, "on", controllerOff)
	objs := s.cluster.GenerateFabric(t, s.namespace, 2000)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	page := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id)
	tab := s.openAs(t, "operator", user, password, page)
	tab.WaitFor("the panel, idle", panelReady)
	tab.WaitFor("the preview", previewTable)
	planned := previewCounts(t, tab)
	if total := sumColumn(planned, 0); total != len(objs) {
		t.Errorf("the preview plans %d creations, want %d: %v", total, len(objs), planned)
	}
	recordSyncAnswers(tab)
	if got := browser.Eval[string](tab, `document.querySelector('#sync-status').textContent.trim()`); got != "Never Synced" {
		t.Fatalf("page badge before the sync %q", got)
	}

	// Record every text of the live line, and mark the document: a reload
	// would lose the mark.
	browser.Eval[bool](tab, `(() => {
		window.hhgateTestLines = [];
		window.hhgateTestMark = 'same document';
		const line = document.querySelector('#hhgate-panel-line');
		new MutationObserver(() => window.hhgateTestLines.push(line.textContent)).observe(line, {childList: true, characterData: true, subtree: true});
		return true;
	})()`)
	start := time.Now()
	tab.Click("#sync-now-btn")
	tab.WaitFor("progress on the panel", `window.hhgateTestLines.some(l => l.startsWith('Sync running:'))`)
	tab.Screenshot("progress")
	if alerts := tab.WaitAlerts(1); alerts[0] != syncSucceeded {
		t.Fatalf("alert %q, want %q", alerts[0], syncSucceeded)
	}
	took := time.Since(start)
	tab.WaitFor("the outcome", `/Last sync succeeded/.test(document.querySelector('#hhgate-panel-outcome').textContent)`)
	outcome := browser.Eval[string](tab, `document.querySelector('#hhgate-panel-outcome').textContent`)
	if want := fmt.Sprintf("%s created, 0 updated, 0 deleted, 0 unchanged", thousands(len(objs))); !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(outcome) {
		t.Errorf("outcome %q, want %q", outcome, want)
	}

	// The progress the panel showed: counts that grew toward the total.
	lines := browser.Eval[[]string](tab, `window.hhgateTestLines`)
	progress := regexp.MustCompile(`^Sync running: (\d+) of 12 kinds read(?: · ([\d,]+) of ([\d,]+) changes written)?$`)
	partial, seen := false, 0
	for _, l := range lines {
		m := progress.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		seen++
		read, _ := strconv.Atoi(m[1])
		if read < 12 || m[2] != "" && m[2] != m[3] {
			partial = true
		}
	}
	t.Logf("import of %d objects took %s in the browser; %d progress texts: %q", len(objs), took.Round(time.Millisecond), seen, lines)
	if seen == 0 || !partial {
		t.Errorf("no intermediate progress shown during the import: %q", lines)
	}

	tab.WaitFor("the page's own badge", `document.querySelector('#sync-status').textContent.trim() === 'In Sync'`)
	if got := browser.Eval[string](tab, `window.hhgateTestMark + '|' + document.querySelector('#sync-status').dataset.syncStatus + '|' + document.querySelector('#last-sync').textContent.trim()`); got == "" ||
		!regexp.MustCompile(`^same document\|in_sync\|`).MatchString(got) || regexp.MustCompile(`\|Never$`).MatchString(got) {
		t.Errorf("after the sync (mark|status|last sync): %q; want the same document, in_sync and a last-sync time", got)
	}
	tab.WaitFor("the plugin's own live status partial", `document.querySelector('#fabric-status .status').dataset.syncStatus === 'in_sync'`)
	tab.WaitFor("the journal entry", `/Sync from Kubernetes triggered by `+user+`/.test(document.querySelector('#hhgate-journal').textContent)`)
	assertPreviewWasTheSync(t, planned, syncAnswerCounts(t, tab, 0))
	tab.WaitFor("the preview after the sync", `!!document.querySelector('#hhgate-preview-empty')`)
	if got := readinessShown(tab); got != "" {
		t.Errorf("readiness %q shown for a token that may not read Agents", got)
	}
	tab.FullScreenshot("final")
}

// TestBrowserFabricPanelNeedsViewPermission: the stream refuses a user who
// may not view the fabric (JSON 403 to a script in the browser); their
// fabric page is NetBox's refusal, with no panel.
func TestBrowserFabricPanelNeedsViewPermission(t *testing.T) {
	s := startPanelStack(t, "on", nil)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	s.netbox.CreateUser(t, testenv.User{Username: "nobody", Password: password})
	tab := s.openAs(t, "nobody", "nobody", password, "/")
	answer := browser.Eval[map[string]any](tab, fmt.Sprintf(`fetch('/.hhgate/fabrics/%d/events', {credentials: 'same-origin'})
		.then(r => r.json().then(b => ({status: r.status, type: r.headers.get('Content-Type'), error: b.error})))`, id))
	if answer["status"] != 403.0 || answer["error"] != "permission_denied" || answer["type"] != "application/json" {
		t.Fatalf("stream for a user without view permission: %v", answer)
	}
	tab.Navigate(s.gateway.URL + fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id))
	tab.WaitFor("the page", `document.readyState === 'complete'`)
	if browser.Eval[bool](tab, `!!document.querySelector('#hhgate-fabric-panel')`) {
		t.Fatal("the panel is on a page the user may not see")
	}
	tab.Screenshot("refused")
}

// TestBrowserFabricPanelOnlyOnTheFabricPage: no panel on other pages, and
// none with the page script off (the page is NetBox's own).
func TestBrowserFabricPanelOnlyOnTheFabricPage(t *testing.T) {
	for _, inject := range []string{"on", "off"} {
		t.Run("inject_script "+inject, func(t *testing.T) {
			s := startPanelStack(t, inject, nil)
			id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
			fabric := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id)
			tab := s.openAs(t, "operator", user, password, fabric)
			if inject == "on" {
				tab.WaitFor("the panel", panelReady)
			}
			for _, p := range []string{"/", "/plugins/hedgehog/fabrics/", fabric + "status/", fabric} {
				tab.Navigate(s.gateway.URL + p)
				tab.WaitFor("the page", `document.readyState === 'complete'`)
				want := inject == "on" && p == fabric
				if inject == "on" && want {
					tab.WaitFor("the panel", `!!document.querySelector('#hhgate-fabric-panel')`)
				}
				if got := browser.Eval[int](tab, `document.querySelectorAll('#hhgate-fabric-panel').length`); got != map[bool]int{true: 1, false: 0}[want] {
					t.Errorf("%s: %d panels, want %v", p, got, want)
				}
			}
			tab.Screenshot("fabric-page")
		})
	}
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
