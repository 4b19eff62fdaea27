//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hhgate/hhgate/e2e/browser"
	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/testenv/kube"
)

// The panel's parts that need the controller and the plan: drift, switch
// readiness and the preview, each checked against what the gateway does.

// previewTable: the preview shows its table (the plan has changes).
const previewTable = `!!document.querySelector('#hhgate-preview table tr[data-kind]')`

// kindCounts are one kind's created, updated and deleted objects.
type kindCounts [3]int

// previewCounts reads the preview table: per kind, the +created ~updated
// −deleted it shows.
func previewCounts(t *testing.T, tab *browser.Tab) map[string]kindCounts {
	t.Helper()
	rows := browser.Eval[map[string][]int](tab, `Object.fromEntries([...document.querySelectorAll('#hhgate-preview tr[data-kind]')].map(tr =>
		[tr.dataset.kind, ['create', 'update', 'delete'].map(c => Number(tr.querySelector('[data-count="' + c + '"]').textContent.replace(/[^0-9]/g, '')))]))`)
	return toKindCounts(rows)
}

func toKindCounts(rows map[string][]int) map[string]kindCounts {
	out := map[string]kindCounts{}
	for k, v := range rows {
		if len(v) == 3 && v[0]+v[1]+v[2] > 0 {
			out[k] = kindCounts{v[0], v[1], v[2]}
		}
	}
	return out
}

func sumColumn(counts map[string]kindCounts, col int) int {
	n := 0
	for _, c := range counts {
		n += c[col]
	}
	return n
}

// recordSyncAnswers keeps the JSON answers of the page's sync POSTs (the
// plugin's fetch, through the page script) in window.hhgateTestAnswers.
func recordSyncAnswers(tab *browser.Tab) {
	browser.Eval[bool](tab, `(() => {
		window.hhgateTestAnswers = [];
		const pageFetch = window.fetch;
		window.fetch = function (url, opts) {
			const answer = pageFetch.apply(this, arguments);
			if (/\/sync\/$/.test(String(url)) && opts && opts.method === 'POST') {
				answer.then(r => r.clone().json()).then(b => window.hhgateTestAnswers.push(b), () => {});
			}
			return answer;
		};
		return true;
	})()`)
}

// syncAnswerCounts is the i-th recorded sync answer's per-kind created,
// updated and deleted (stats.kinds), kinds without any left out.
func syncAnswerCounts(t *testing.T, tab *browser.Tab, i int) map[string]kindCounts {
	t.Helper()
	tab.WaitFor("the sync's answer", fmt.Sprintf(`window.hhgateTestAnswers.length > %d`, i))
	rows := browser.Eval[map[string][]int](tab, fmt.Sprintf(`(() => {
		const a = window.hhgateTestAnswers[%d];
		if (!a.success) throw new Error('sync failed: ' + JSON.stringify(a).slice(0, 300));
		return Object.fromEntries(Object.entries(a.stats.kinds || {}).map(([k, v]) => [k, [v.created, v.updated, v.deleted]]));
	})()`, i))
	return toKindCounts(rows)
}

// assertPreviewWasTheSync: per kind, the preview showed what the sync did.
func assertPreviewWasTheSync(t *testing.T, preview, synced map[string]kindCounts) {
	t.Helper()
	if !maps.Equal(preview, synced) {
		t.Errorf("preview (+created ~updated −deleted per kind) %v, the sync did %v", preview, synced)
	}
}

// readinessShown is the readiness line's text, "" when it is hidden.
func readinessShown(tab *browser.Tab) string {
	return browser.Eval[string](tab, `document.querySelector('#hhgate-panel-readiness').hidden ? '' :
		document.querySelector('#hhgate-readiness-line').textContent`)
}

// clickCentered clicks css with the mouse after scrolling it to the middle
// of the window: at the bottom edge the stand-in's login toast ("Logged in
// as …", which stays) would take the click.
func clickCentered(tab *browser.Tab, css string) {
	browser.Eval[bool](tab, fmt.Sprintf(`(document.querySelector(%q).scrollIntoView({block: 'center'}), true)`, css))
	tab.WaitFor(css+" to stop moving", fmt.Sprintf(stableBox, css, css))
	tab.Click(css)
}

// stableBox is true once the element's box read the same in three polls
// in a row: the panel's journal and preview load around it and move it,
// and a click aimed at a moving button misses.
const stableBox = `(() => {
	const r = document.querySelector(%q).getBoundingClientRect(), box = [r.x, r.y, r.width, r.height].join();
	const prev = (window.hhgateStable || {})[%q], n = prev && prev.box === box ? prev.n + 1 : 0;
	window.hhgateStable = Object.assign(window.hhgateStable || {}, {[%[1]q]: {box, n}});
	return n >= 2;
})()`

// waitPageSettled waits until the page's texts followed the sync that
// ended (its badge, the plugin's htmx partial, journal entries journaled
// syncs): they move the panel, and a click before would miss.
func waitPageSettled(tab *browser.Tab, journaled int) {
	tab.WaitFor("the page after the sync", fmt.Sprintf(`document.querySelector('#sync-status').textContent.trim() === 'In Sync' &&
		document.querySelector('#fabric-status .status')?.dataset.syncStatus === 'in_sync' &&
		document.querySelectorAll('#hhgate-journal tbody tr').length === %d`, journaled))
}

// TestBrowserFabricPanelShowsDriftUntilTheControllersSync: with the
// controller on (this gateway is alone, so it is the leader; debounce 2s,
// no schedule), a CR change shows "1 change in the cluster since the last
// sync" on the fabric page by itself, and the controller's change-driven
// sync clears it: the outcome says 1 updated, the page's badge reads In
// Sync, the journal lists the change-driven sync — all without a reload.
// Real parts: kube-apiserver + etcd, Django stand-in, hhgate binary, Chromium.
func TestBrowserFabricPanelShowsDriftUntilTheControllersSync(t *testing.T) {
	s := newPanelStack(t)
	objs := s.cluster.ApplyFixture(t, s.namespace)
	id := s.controllerFabric(t, 0)
	before := hedgehogWatches(t, s.cluster)
	s.startGateway(t, "on", map[string]string{"HHGATE_SYNC_DEBOUNCE": "2s"})
	waitForCond(t, 30*time.Second, "the controller's watches", func() bool {
		return hedgehogWatches(t, s.cluster)-before >= len(kinds.All)
	})
	page := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id)
	tab := s.openAs(t, "operator", user, password, page)
	tab.WaitFor("the panel, idle", panelReady)
	clickCentered(tab, "#hhgate-panel-sync")
	if alerts := tab.WaitAlerts(1); alerts[0] != syncSucceeded {
		t.Fatalf("alert %q, want %q", alerts[0], syncSucceeded)
	}
	tab.WaitFor("the import's outcome", fmt.Sprintf(`/Last sync succeeded.*: %d created/.test(document.querySelector('#hhgate-panel-outcome').textContent)`, len(objs)))
	if browser.Eval[bool](tab, `!document.querySelector('#hhgate-panel-drift').hidden`) {
		t.Fatal("a drift line right after the sync, before any change")
	}

	// Every text of the drift line, and a mark a reload would lose.
	browser.Eval[bool](tab, `(() => {
		window.hhgateTestDrift = [];
		window.hhgateTestMark = 'same document';
		const drift = document.querySelector('#hhgate-panel-drift');
		new MutationObserver(() => window.hhgateTestDrift.push(drift.hidden ? '' : drift.textContent))
			.observe(drift, {childList: true, characterData: true, subtree: true, attributes: true});
		return true;
	})()`)
	relabelFirstVPC(t, s.cluster, s.namespace, objs, map[string]string{"changed-by": "panel-test"})
	changed := time.Now()
	tab.WaitFor("the drift line", `window.hhgateTestDrift.some(l => l.startsWith('1 change in the cluster since the last sync'))`)
	shown := time.Since(changed)
	tab.Screenshot("drift")
	tab.WaitFor("the change-driven sync's outcome", `(window.hhgate.panel.lastOutcome || {}).trigger === 'change'`)
	tab.WaitFor("the drift line cleared", `document.querySelector('#hhgate-panel-drift').hidden`)
	cleared := time.Since(changed)
	outcome := browser.Eval[string](tab, `document.querySelector('#hhgate-panel-outcome').textContent`)
	if want := fmt.Sprintf("0 created, 1 updated, 0 deleted, %d unchanged", len(objs)-1); !strings.Contains(outcome, "Last sync succeeded") || !strings.Contains(outcome, want) {
		t.Errorf("outcome %q, want the change-driven sync's %q", outcome, want)
	}
	drift := browser.Eval[[]string](tab, `window.hhgateTestDrift`)
	if last := drift[len(drift)-1]; last != "" {
		t.Errorf("drift texts %q: the last is not the cleared line", drift)
	}
	tab.WaitFor("the page's own badge", `document.querySelector('#sync-status').textContent.trim() === 'In Sync'`)
	tab.WaitFor("the journal entry", `/Change-driven sync from Kubernetes after 1 changes/.test(document.querySelector('#hhgate-journal').textContent)`)
	if mark := browser.Eval[string](tab, `window.hhgateTestMark`); mark != "same document" {
		t.Errorf("the page was reloaded (mark %q)", mark)
	}
	if f := s.netbox.Fabric(t, id); f["sync_status"] != "in_sync" {
		t.Errorf("fabric after the change-driven sync: %v", f["sync_status"])
	}
	t.Logf("CR change → drift line in %s, → cleared by the controller's sync in %s; drift texts %q",
		shown.Round(10*time.Millisecond), cleared.Round(10*time.Millisecond), drift)
	tab.FullScreenshot("final")
}

// TestBrowserFabricPanelReadinessAndPreviewMatchTheSync: the VLAB fixture
// with five Agents — 3 ready, 1 that has not applied its latest
// generation, 1 whose heartbeat is 5 minutes old — reads "Switches ready
// 3/5 · 1 stale heartbeat" from the plan and again from the sync's stats.
// The preview lists per kind exactly what the next sync does: first the
// import, then after a change, an addition and a deletion in the cluster,
// with the changed object's name and fields on demand. The controller is
// off, so that nothing syncs between the preview and "Sync now".
// Real parts: kube-apiserver + etcd, Django stand-in, hhgate binary, Chromium.
func TestBrowserFabricPanelReadinessAndPreviewMatchTheSync(t *testing.T) {
	s := startPanelStack(t, "on", controllerOff)
	objs := s.cluster.ApplyFixture(t, s.namespace)
	// The ready heartbeats are a minute ahead: a slow machine must not make
	// them stale (60 s) while the test runs.
	beat := time.Now().Add(time.Minute)
	for _, name := range []string{"spine-01", "leaf-01", "leaf-02"} {
		s.cluster.CreateAgent(t, s.namespace, name, 2, 2, beat)
	}
	s.cluster.CreateAgent(t, s.namespace, "leaf-03", 3, 2, beat)
	s.cluster.CreateAgent(t, s.namespace, "leaf-04", 1, 1, time.Now().Add(-5*time.Minute))
	id := s.fabric(t, append(kube.AllResources(), "agents"), string(s.cluster.CACert))
	const readiness = "Switches ready 3/5 · 1 stale heartbeat"

	page := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id)
	tab := s.openAs(t, "operator", user, password, page)
	tab.WaitFor("the panel, idle", panelReady)
	tab.WaitFor("the preview", previewTable)
	if got := readinessShown(tab); got != readiness {
		t.Errorf("readiness from the plan %q, want %q", got, readiness)
	}
	// Each switch on demand: the line opens to the plan's list.
	switches := browser.Eval[string](tab, `Array.from(document.querySelectorAll('#hhgate-panel-readiness li')).map(li => li.textContent).join('; ')`)
	if want := "leaf-01: ready; leaf-02: ready; leaf-03: not ready (applied generation 2 of 3); leaf-04: stale heartbeat; spine-01: ready"; switches != want {
		t.Errorf("switches on demand %q, want %q", switches, want)
	}
	import1 := previewCounts(t, tab)
	if n := sumColumn(import1, 0); n != len(objs) || sumColumn(import1, 1)+sumColumn(import1, 2) != 0 {
		t.Errorf("preview of the import %v: want %d creations and nothing else", import1, len(objs))
	}
	recordSyncAnswers(tab)
	clickCentered(tab, "#hhgate-panel-sync")
	assertPreviewWasTheSync(t, import1, syncAnswerCounts(t, tab, 0))
	tab.WaitFor("the preview after the import", `!!document.querySelector('#hhgate-preview-empty')`)
	tab.WaitFor("the readiness from the sync's stats", `(window.hhgate.panel.lastOutcome || {}).stats?.switches_total === 5`)
	if got := readinessShown(tab); got != readiness {
		t.Errorf("readiness after the sync %q, want %q", got, readiness)
	}
	waitPageSettled(tab, 1)

	// A change, an addition and a deletion in the cluster.
	byKind := map[string][]string{}
	for _, o := range objs {
		byKind[o.Kind] = append(byKind[o.Kind], o.Name)
	}
	vpc := s.cluster.Get(t, "VPC", s.namespace, byKind["VPC"][0])
	vpc.SetLabels(map[string]string{"changed-by": "panel-test"})
	s.cluster.Update(t, vpc)
	s.cluster.Delete(t, s.cluster.Get(t, "VPCPeering", s.namespace, byKind["VPCPeering"][0]))
	extra := kube.Generated(s.namespace, 1)[0]
	extra.SetName("added-by-panel-test")
	s.cluster.Create(t, extra)
	clickCentered(tab, "#hhgate-preview-refresh")
	tab.WaitFor("the preview of the changes", previewTable)
	changes := previewCounts(t, tab)
	want := map[string]kindCounts{"VPC": {0, 1, 0}, "VPCPeering": {0, 0, 1}}
	want[extra.GetKind()] = want[extra.GetKind()].plus(kindCounts{1, 0, 0})
	if !maps.Equal(changes, want) {
		t.Errorf("preview of a change, an addition and a deletion %v, want %v", changes, want)
	}
	// Names and changed fields on demand (native <details>).
	clickCentered(tab, `#hhgate-preview tr[data-kind="VPC"] summary`)
	details := browser.Eval[string](tab, `document.querySelector('#hhgate-preview tr[data-kind="VPC"] details').open ?
		document.querySelector('#hhgate-preview tr[data-kind="VPC"] ul').textContent : ''`)
	if !strings.Contains(details, "~ "+byKind["VPC"][0]+" (") || !strings.Contains(details, "labels") {
		t.Errorf("VPC details %q, want the updated VPC with its changed fields", details)
	}
	tab.Screenshot("preview")
	clickCentered(tab, "#hhgate-panel-sync")
	assertPreviewWasTheSync(t, changes, syncAnswerCounts(t, tab, 1))
	tab.WaitFor("the preview after the sync", `!!document.querySelector('#hhgate-preview-empty')`)
	if got := readinessShown(tab); got != readiness {
		t.Errorf("readiness after the second sync %q, want %q", got, readiness)
	}
	t.Logf("preview = sync: import %v, then %v (kinds %v)", import1, changes, slices.Sorted(maps.Keys(changes)))
	tab.FullScreenshot("final")
}

func (c kindCounts) plus(o kindCounts) kindCounts {
	return kindCounts{c[0] + o[0], c[1] + o[1], c[2] + o[2]}
}

// relabelFirstVPC sets labels on the fixture's first VPC in the cluster:
// a change the controller's watches see.
func relabelFirstVPC(t *testing.T, cluster *kube.Cluster, namespace string, objs []kube.Object, labels map[string]string) {
	t.Helper()
	i := slices.IndexFunc(objs, func(o kube.Object) bool { return o.Kind == "VPC" })
	if i < 0 {
		t.Fatal("the fixture has no VPC")
	}
	obj := cluster.Get(t, "VPC", namespace, objs[i].Name)
	obj.SetLabels(labels)
	cluster.Update(t, obj)
}
