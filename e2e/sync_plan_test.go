//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

// The dry-run plan, max_prune and switch readiness end to end: real
// kube-apiserver + etcd (with the Agent CRD), the Django stand-in, and the
// built gateway with its admin API (metrics).

// planAnswer is the plan endpoint's JSON (docs/sync.md).
type planAnswer struct {
	Fabric   int `json:"fabric"`
	MaxPrune int `json:"max_prune"`
	Kinds    []struct {
		Kind      string        `json:"kind"`
		Status    string        `json:"status"`
		Listed    int           `json:"listed"`
		Unchanged int           `json:"unchanged"`
		Create    []plannedName `json:"create"`
		Update    []plannedName `json:"update"`
		Delete    []plannedName `json:"delete"`
		Held      *heldCounts   `json:"held"`
		Error     string        `json:"error"`
	} `json:"kinds"`
	Unreadable []map[string]string                `json:"unreadable"`
	Switches   *struct{ Ready, Total, Stale int } `json:"switches"`
	Code       string                             `json:"code"`
}

type plannedName struct {
	Name   string   `json:"name"`
	Fields []string `json:"fields"`
}

type heldCounts struct{ Count, Total int }

// syncKinds is the per-kind part of the sync's answer that the plan
// predicts, and the readiness numbers.
type syncKinds struct {
	Success bool   `json:"success"`
	Code    string `json:"code"`
	Error   string `json:"error"`
	Stats   struct {
		Created, Updated, Deleted int
		SwitchesReady             *int `json:"switches_ready"`
		SwitchesTotal             *int `json:"switches_total"`
		SwitchesStale             *int `json:"switches_stale"`
		Kinds                     map[string]struct {
			Created, Updated, Deleted, Unchanged int
			PruneHeld                            *heldCounts `json:"prune_held"`
		} `json:"kinds"`
	} `json:"stats"`
}

// getPlan asks for the fabric's plan the way a page script would.
func (s *syncStack) getPlan(t *testing.T, sess *testenv.Session, gw *testenv.Gateway, id int) (int, planAnswer, []byte) {
	t.Helper()
	res, body := sess.Do(t, http.MethodGet, fmt.Sprintf("/.hhgate/fabrics/%d/plan", id),
		browserFetch(gw.URL, fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id)), nil)
	var p planAnswer
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("plan answer is not JSON (%d): %.300q", res.StatusCode, body)
	}
	return res.StatusCode, p, body
}

// syncOn presses Sync on gw and decodes the per-kind stats.
func (s *syncStack) syncOn(t *testing.T, sess *testenv.Session, gw *runtimeGateway, id int) syncKinds {
	t.Helper()
	_, _, body := s.pressOn(t, gw, sess, id)
	var a syncKinds
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// assertPlanIsWhatSyncDid compares a plan with the sync that followed it.
func assertPlanIsWhatSyncDid(t *testing.T, p planAnswer, a syncKinds) {
	t.Helper()
	if len(p.Kinds) != len(kinds.All) {
		t.Fatalf("plan has %d kinds, want %d", len(p.Kinds), len(kinds.All))
	}
	for _, kp := range p.Kinds {
		ks := a.Stats.Kinds[kp.Kind]
		wantDeleted := len(kp.Delete)
		if kp.Held != nil {
			wantDeleted = 0
		}
		if ks.Created != len(kp.Create) || ks.Updated != len(kp.Update) || ks.Deleted != wantDeleted ||
			ks.Unchanged != kp.Unchanged || fmt.Sprint(ks.PruneHeld) != fmt.Sprint(kp.Held) {
			t.Errorf("%s: planned +%d ~%d -%d =%d held %v; the sync did %+v", kp.Kind, len(kp.Create), len(kp.Update),
				len(kp.Delete), kp.Unchanged, kp.Held, ks)
		}
	}
}

// TestPlanListsExactlyWhatTheNextSyncDoes: the plan of a first import and
// of a change, an addition and a deletion, each compared with the sync
// that follows and with NetBox's content; a plan writes nothing.
func TestPlanListsExactlyWhatTheNextSyncDoes(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	gw := s.startRuntimeGateway(t, t.TempDir())
	objs := s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sess := testenv.Login(t, gw.URL, user, password)

	s.netbox.ResetAPIRequestCounts(t)
	status, p, body := s.getPlan(t, sess, gw.Gateway, id)
	counts := s.netbox.APIRequestCounts(t)
	if status != 200 || p.Fabric != id || p.Code != "" || len(p.Unreadable) != 0 || p.MaxPrune != 50 {
		t.Fatalf("first plan: %d %.500s", status, body)
	}
	if counts["POST"]+counts["PATCH"]+counts["PUT"]+counts["DELETE"] != 0 {
		t.Fatalf("the plan wrote to NetBox: %v", counts)
	}
	if f := s.netbox.Fabric(t, id); f["sync_status"] != "never_synced" {
		t.Fatalf("the plan changed sync_status to %v", f["sync_status"])
	}
	planned := 0
	for _, kp := range p.Kinds {
		planned += len(kp.Create)
	}
	if planned != len(objs) {
		t.Fatalf("plan creates %d objects, the cluster has %d", planned, len(objs))
	}
	a := s.syncOn(t, sess, gw, id)
	assertPlanIsWhatSyncDid(t, p, a)
	if got, want := s.netboxCounts(t, id), fixtureCounts(objs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("NetBox holds %v, the cluster %v", got, want)
	}

	vpc := s.cluster.Get(t, "VPC", s.namespace, objs[firstOf(t, objs, "VPC")].Name)
	vpc.Object["spec"].(map[string]any)["subnets"].(map[string]any)["added-by-test"] = map[string]any{"subnet": "10.99.0.0/24", "vlan": int64(1999)}
	s.cluster.Update(t, vpc)
	server := objs[firstOf(t, objs, "Server")].Created.DeepCopy()
	server.SetName("server-added-by-test")
	server.SetUID("")
	server.SetResourceVersion("")
	s.cluster.Create(t, server)
	gone := objs[firstOf(t, objs, "Connection")]
	s.cluster.Delete(t, gone.Created)

	_, p, body = s.getPlan(t, sess, gw.Gateway, id)
	var changes []string
	for _, kp := range p.Kinds {
		for _, c := range kp.Create {
			changes = append(changes, "create "+kp.Kind+" "+c.Name)
		}
		for _, u := range kp.Update {
			changes = append(changes, fmt.Sprintf("update %s %s %v", kp.Kind, u.Name, u.Fields))
		}
		for _, d := range kp.Delete {
			changes = append(changes, "delete "+kp.Kind+" "+d.Name)
		}
	}
	want := []string{
		"create Server server-added-by-test",
		fmt.Sprintf("delete Connection %s", gone.Name),
		fmt.Sprintf("update VPC %s [spec.subnets kubernetes_resource_version]", vpc.GetName()),
	}
	slices.Sort(changes)
	if !slices.Equal(changes, want) {
		t.Fatalf("plan after the changes = %q, want %q\n%.800s", changes, want, body)
	}
	a = s.syncOn(t, sess, gw, id)
	if !a.Success || a.Stats.Created != 1 || a.Stats.Updated != 1 || a.Stats.Deleted != 1 {
		t.Fatalf("sync after the plan: %+v", a)
	}
	assertPlanIsWhatSyncDid(t, p, a)
	names := map[string]bool{}
	for _, o := range s.netbox.Objects(t, "servers", id) {
		names[o["name"].(string)] = true
	}
	for _, o := range s.netbox.Objects(t, "connections", id) {
		names[o["name"].(string)] = true
	}
	if !names["server-added-by-test"] || names[gone.Name] {
		t.Errorf("NetBox after the sync: server added %v, connection %s still there %v", names["server-added-by-test"], gone.Name, names[gone.Name])
	}
}

// TestPlanNeedsViewPermission: NetBox decides with the user's own
// credentials; a refusal is the guard's JSON contract.
func TestPlanNeedsViewPermission(t *testing.T) {
	s := startSyncBackends(t, nil)
	// The drop-in's default: session-aware pages on, so the guard answers
	// its own .hhgate/ endpoints and must pass .hhgate/fabrics/ on.
	s.gateway = testenv.StartGateway(t, testenv.GatewayOptions{
		Upstream: s.netbox.Addr,
		Env:      map[string]string{"HHGATE_SYNC": "on", "HHGATE_NETBOX_TOKEN": serviceToken, "HHGATE_INJECT_SCRIPT": "on", "XDG_DATA_HOME": t.TempDir()},
	})
	id := s.netbox.CreateFabric(t, map[string]any{"name": "fab-plan-refusals"})
	s.netbox.CreateUser(t, testenv.User{Username: "nobody", Password: password})
	s.netbox.CreateUser(t, testenv.User{Username: "viewer", Password: password, Permissions: []string{"netbox_hedgehog.view_hedgehogfabric"}})

	nobody := testenv.Login(t, s.gateway.URL, "nobody", password)
	status, _, body := s.getPlan(t, nobody, s.gateway, id)
	if status != 403 || !strings.Contains(string(body), `"error":"permission_denied"`) ||
		!strings.Contains(string(body), "permission to view this fabric") || !strings.Contains(string(body), `"success":false`) {
		t.Errorf("no view permission: %d %s", status, body)
	}

	expired := testenv.Login(t, s.gateway.URL, "viewer", password)
	s.netbox.ExpireSessions(t, "viewer")
	status, _, body = s.getPlan(t, expired, s.gateway, id)
	if status != 401 || !strings.Contains(string(body), `"error":"authentication_required"`) {
		t.Errorf("expired session: %d %s", status, body)
	}

	// View is enough for the plan (not for a sync): the fabric has no
	// cluster yet, and the plan says so.
	viewer := testenv.Login(t, s.gateway.URL, "viewer", password)
	status, p, body := s.getPlan(t, viewer, s.gateway, id)
	if status != 200 || p.Code != "fabric_not_configured" || strings.Contains(string(body), "kubernetes_token") {
		t.Errorf("viewer: %d %s", status, body)
	}
	status, _, body = s.getPlan(t, viewer, s.gateway, 987654)
	if status != 404 || !strings.Contains(string(body), `"error":"not_found"`) {
		t.Errorf("unknown fabric: %d %s", status, body)
	}
}

// TestEmptyNamespaceDeletesNothingAndReportsPruneHeld: a populated fabric
// pointed at an empty namespace (with a token that may read it) lists
// every kind completely and empty; nothing is deleted, and the answer,
// sync_error, journal and metrics say prune_held.
func TestEmptyNamespaceDeletesNothingAndReportsPruneHeld(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	gw := s.startRuntimeGateway(t, t.TempDir())
	objs := s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sess := testenv.Login(t, gw.URL, user, password)
	if a := s.syncOn(t, sess, gw, id); !a.Success {
		t.Fatalf("initial import: %+v", a)
	}
	before := s.netboxCounts(t, id)
	heldBefore := gw.metric(t, "hhgate_sync_prune_held_total", `kind="Switch"`)

	empty := s.namespace + "-empty"
	s.netbox.UpdateFabric(t, id, map[string]any{"kubernetes_namespace": empty,
		"kubernetes_token": s.cluster.Token(t, empty, kube.AllResources())})
	_, p, body := s.getPlan(t, sess, gw.Gateway, id)
	for _, kp := range p.Kinds {
		n := before[kindRoute(kp.Kind)]
		if n > 0 && (kp.Held == nil || kp.Held.Count != n || kp.Held.Total != n || len(kp.Delete) != n) {
			t.Errorf("plan %s: held %v, delete %d; NetBox has %d", kp.Kind, kp.Held, len(kp.Delete), n)
		}
	}
	a := s.syncOn(t, sess, gw, id)
	if a.Success || a.Code != "prune_held" || a.Stats.Deleted != 0 || !strings.Contains(a.Error, "max_prune 50%") {
		t.Fatalf("sync into an empty namespace: %+v\nplan %.500s", a, body)
	}
	assertPlanIsWhatSyncDid(t, p, a)
	if got := s.netboxCounts(t, id); fmt.Sprint(got) != fmt.Sprint(before) || len(objs) == 0 {
		t.Fatalf("NetBox %v after the held sync, %v before", got, before)
	}
	f := assertNotSyncing(t, s.netbox, id)
	syncErr, _ := f["sync_error"].(string)
	if f["sync_status"] != "out_of_sync" || !strings.Contains(syncErr, fmt.Sprintf("Switch: %d of %d would be deleted", before["switches"], before["switches"])) {
		t.Errorf("fabric after the held sync: %v %q", f["sync_status"], syncErr)
	}
	entries := s.netbox.JournalEntries(t)
	if len(entries) == 0 || entries[len(entries)-1].Kind != "warning" ||
		!strings.Contains(entries[len(entries)-1].Comments, fmt.Sprintf("- Switch: deletion of %d of %d objects held", before["switches"], before["switches"])) {
		t.Errorf("journal: %+v", entries)
	}
	if got := gw.metric(t, "hhgate_sync_prune_held_total", `kind="Switch"`); got != heldBefore+1 {
		t.Errorf("hhgate_sync_prune_held_total{kind=Switch} = %v, was %v", got, heldBefore)
	}
}

func kindRoute(kind string) string {
	for _, k := range kinds.All {
		if k.Kind == kind {
			return k.Route
		}
	}
	return ""
}

// TestSwitchReadinessFromAgents: 3 ready Agents, 1 whose switch has not
// applied its latest generation, 1 whose heartbeat is 5 minutes old →
// 3 of 5 ready, 1 stale, in the answer, the plan, the journal and the
// metrics. A token without agents leaves readiness unknown, not failed.
func TestSwitchReadinessFromAgents(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	gw := s.startRuntimeGateway(t, t.TempDir())
	s.cluster.ApplyFixture(t, s.namespace)
	now := time.Now()
	for _, name := range []string{"spine-01", "leaf-01", "leaf-02"} {
		s.cluster.CreateAgent(t, s.namespace, name, 2, 2, now)
	}
	s.cluster.CreateAgent(t, s.namespace, "leaf-03", 3, 2, now)
	s.cluster.CreateAgent(t, s.namespace, "leaf-04", 1, 1, now.Add(-5*time.Minute))

	id := s.fabric(t, append(kube.AllResources(), "agents"), string(s.cluster.CACert))
	sess := testenv.Login(t, gw.URL, user, password)
	_, p, body := s.getPlan(t, sess, gw.Gateway, id)
	if p.Switches == nil || *p.Switches != (struct{ Ready, Total, Stale int }{3, 5, 1}) {
		t.Errorf("plan switches: %.300s", body)
	}
	if !strings.Contains(string(body), `{"name":"leaf-04","state":"stale heartbeat","ready":false,"stale":true}`) {
		t.Errorf("plan does not list leaf-04 as stale: %.600s", body)
	}
	a := s.syncOn(t, sess, gw, id)
	if !a.Success || a.Stats.SwitchesReady == nil || *a.Stats.SwitchesReady != 3 || *a.Stats.SwitchesTotal != 5 || *a.Stats.SwitchesStale != 1 {
		t.Fatalf("sync readiness: %+v", a)
	}
	entries := s.netbox.JournalEntries(t)
	if len(entries) == 0 || !strings.Contains(entries[len(entries)-1].Comments, "Switches: 3 of 5 ready, 1 stale.") {
		t.Errorf("journal: %+v", entries)
	}
	fabric := fmt.Sprintf(`fabric="%d"`, id)
	for state, want := range map[string]float64{"ready": 3, "total": 5, "stale": 1} {
		if got := gw.metric(t, "hhgate_fabric_switches", fabric, `state="`+state+`"`); got != want {
			t.Errorf("hhgate_fabric_switches{%s,state=%s} = %v, want %v", fabric, state, got, want)
		}
	}

	// The Role the plugin's docs ask for (no agents): unknown, no error.
	s.netbox.UpdateFabric(t, id, map[string]any{"kubernetes_token": s.cluster.Token(t, s.namespace, kube.AllResources())})
	a = s.syncOn(t, sess, gw, id)
	if !a.Success || a.Stats.SwitchesReady != nil || a.Stats.SwitchesTotal != nil {
		t.Errorf("agents forbidden: %+v", a)
	}
	if _, p, _ = s.getPlan(t, sess, gw.Gateway, id); p.Switches != nil {
		t.Errorf("plan with agents forbidden: %+v", p.Switches)
	}
	if got := gw.metric(t, "hhgate_fabric_switches", fabric); got != 0 {
		t.Errorf("readiness metrics kept after it became unknown: %v", got)
	}
}
