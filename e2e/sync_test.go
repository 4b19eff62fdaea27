//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hhgate/hhgate/internal/testca"
	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

const serviceToken = "5e7f1c0ffee0ddba11c0ffee0ddba11c0ffee00"

// syncStack is a real kube-apiserver (shared), the Django stand-in with the
// plugin's models, a service user for the gateway, an operator who may
// change fabrics, and the gateway with the drop-in Caddyfile (HHGATE_SYNC=on).
type syncStack struct {
	cluster   *kube.Cluster
	netbox    *testenv.NetBox
	gateway   *testenv.Gateway
	namespace string
}

func startSyncStack(t *testing.T, standinEnv map[string]string) *syncStack {
	t.Helper()
	s := startSyncBackends(t, standinEnv)
	s.gateway = testenv.StartGateway(t, testenv.GatewayOptions{
		Upstream: s.netbox.Addr,
		// Storage of its own: gateways in front of one NetBox share storage.
		Env: map[string]string{"HHGATE_SYNC": "on", "HHGATE_SYNC_CONTROLLER": "off", "HHGATE_NETBOX_TOKEN": serviceToken, "HHGATE_INJECT_SCRIPT": "off", "XDG_DATA_HOME": t.TempDir()},
	})
	return s
}

// startSyncBackends is syncStack without a gateway.
func startSyncBackends(t *testing.T, standinEnv map[string]string) *syncStack {
	t.Helper()
	cluster := kube.Shared(t)
	nb := testenv.StartNetBox(t, testenv.NetBoxOptions{Env: standinEnv})
	nb.CreateUser(t, testenv.User{Username: "hhgate-sync", Password: "x-unused-password", Superuser: true, Token: serviceToken})
	nb.CreateUser(t, testenv.User{Username: user, Password: password, Superuser: true})
	ns := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(ns) > 50 {
		ns = ns[:50]
	}
	return &syncStack{cluster: cluster, netbox: nb, namespace: strings.Trim(ns, "-")}
}

// fabric creates a fabric pointing at the cluster's namespace with a token
// allowed to list the given resources.
func (s *syncStack) fabric(t *testing.T, allowed []string, caPEM string) int {
	t.Helper()
	return s.netbox.CreateFabric(t, map[string]any{
		"name":                 "fab-" + s.namespace,
		"kubernetes_server":    s.cluster.Server,
		"kubernetes_token":     s.cluster.Token(t, s.namespace, allowed),
		"kubernetes_ca_cert":   caPEM,
		"kubernetes_namespace": s.namespace,
		"connection_status":    "connected",
	})
}

// syncAnswer is the plugin's JSON contract as the gateway answers it.
type syncAnswer struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Code    string `json:"code"`
	Stats   struct {
		TotalCRDs    int    `json:"total_crds"`
		Created      int    `json:"created"`
		Updated      int    `json:"updated"`
		Deleted      int    `json:"deleted"`
		Unchanged    int    `json:"unchanged"`
		Errors       int    `json:"errors"`
		Status       string `json:"status"`
		DurationMS   int64  `json:"duration_ms"`
		ErrorDetails []struct {
			Kind, Name, Operation, Error string
		} `json:"error_details"`
		Kinds map[string]struct {
			Listed int    `json:"listed"`
			Status string `json:"status"`
			Error  string `json:"error"`
		} `json:"kinds"`
	} `json:"stats"`
}

// pressSync clicks "Sync" the way the plugin's page does, as the operator.
func (s *syncStack) pressSync(t *testing.T, sess *testenv.Session, fabricID int) (*http.Response, syncAnswer, []byte) {
	t.Helper()
	res, body := sess.Do(t, http.MethodPost, fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync/", fabricID),
		merge(http.Header{"X-Csrftoken": {sess.CSRFToken}, "Content-Type": {"application/json"}},
			browserFetch(s.gateway.URL, fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", fabricID))), nil)
	var a syncAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("sync answer is not JSON (%d): %.300q", res.StatusCode, body)
	}
	return res, a, body
}

// netboxCounts is the number of the fabric's objects per route in NetBox.
func (s *syncStack) netboxCounts(t *testing.T, fabricID int) map[string]int {
	out := map[string]int{}
	for _, k := range kinds.All {
		out[k.Route] = len(s.netbox.Objects(t, k.Route, fabricID))
	}
	return out
}

func fixtureCounts(objs []kube.Object) map[string]int {
	out := map[string]int{}
	for _, k := range kinds.All {
		out[k.Route] = 0
	}
	for _, o := range objs {
		out[o.Type.Route]++
	}
	return out
}

func assertNotSyncing(t *testing.T, nb *testenv.NetBox, id int) map[string]any {
	t.Helper()
	f := nb.Fabric(t, id)
	if f["sync_status"] == "syncing" {
		t.Fatalf("fabric %d left in syncing: %v", id, f["sync_error"])
	}
	return f
}

// TestSyncImportsResyncsAndFollowsChanges: the initial import of the
// fixture, a no-op resync that writes no object, and a change, an addition
// and a deletion in the cluster showing up as exactly one update, create and
// delete. Real parts: kube-apiserver + etcd, Django stand-in (blank specs
// allowed, as after the plugin fix), hhgate binary.
func TestSyncImportsResyncsAndFollowsChanges(t *testing.T) {
	s := startSyncStack(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	objs := s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sess := testenv.Login(t, s.gateway.URL, user, password)

	res, a, body := s.pressSync(t, sess, id)
	if res.StatusCode != 200 || !a.Success || a.Stats.Created != len(objs) || a.Stats.TotalCRDs != len(objs) {
		t.Fatalf("initial import: %d %s", res.StatusCode, body)
	}
	if got, want := s.netboxCounts(t, id), fixtureCounts(objs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("NetBox holds %v, the cluster %v", got, want)
	}
	f := assertNotSyncing(t, s.netbox, id)
	if f["sync_status"] != "in_sync" || f["last_sync"] == nil || f["sync_error"] != "" || f["connection_status"] != "connected" {
		t.Fatalf("fabric after import: %v", f)
	}
	if int(f["cached_crd_count"].(float64)) != len(objs) {
		t.Errorf("cached_crd_count %v, want %d", f["cached_crd_count"], len(objs))
	}

	s.netbox.ResetAPIRequestCounts(t)
	_, a, body = s.pressSync(t, sess, id)
	counts := s.netbox.APIRequestCounts(t)
	if !a.Success || a.Stats.Unchanged != len(objs) || a.Stats.Created+a.Stats.Updated+a.Stats.Deleted != 0 {
		t.Fatalf("no-op resync: %s", body)
	}
	// The only writes are the fabric's: the operator's authorization (a
	// PATCH that changes nothing), the engine's "syncing" and its final
	// status.
	if counts["POST"] != 0 || counts["DELETE"] != 0 || counts["PUT"] != 0 || counts["PATCH"] != 3 {
		t.Fatalf("no-op resync wrote to NetBox: %v", counts)
	}

	vpc := s.cluster.Get(t, "VPC", s.namespace, objs[firstOf(t, objs, "VPC")].Name)
	subnets := vpc.Object["spec"].(map[string]any)["subnets"].(map[string]any)
	subnets["added-by-test"] = map[string]any{"subnet": "10.99.0.0/24", "vlan": int64(1999)}
	s.cluster.Update(t, vpc)
	server := objs[firstOf(t, objs, "Server")].Created.DeepCopy()
	server.SetName("server-added-by-test")
	server.SetUID("")
	server.SetResourceVersion("")
	s.cluster.Create(t, server)
	s.cluster.Delete(t, objs[firstOf(t, objs, "Connection")].Created)

	s.netbox.ResetAPIRequestCounts(t)
	_, a, body = s.pressSync(t, sess, id)
	counts = s.netbox.APIRequestCounts(t)
	if !a.Success || a.Stats.Created != 1 || a.Stats.Updated != 1 || a.Stats.Deleted != 1 || a.Stats.Unchanged != len(objs)-2 {
		t.Fatalf("after change/add/delete: %s", body)
	}
	if counts["POST"] != 1 || counts["DELETE"] != 1 || counts["PATCH"] != 4 {
		t.Fatalf("requests for one create, update and delete: %v", counts)
	}
	for _, o := range s.netbox.Objects(t, "vpcs", id) {
		if o["name"] == vpc.GetName() && !strings.Contains(fmt.Sprint(o["spec"]), "10.99.0.0/24") {
			t.Errorf("VPC spec not updated in NetBox: %v", o["spec"])
		}
	}
}

// TestSyncReportsRefusedBlankSpecs: with the plugin as it is (spec without
// blank=True), NetBox refuses the SwitchGroups' empty spec; the sync
// reports each one and imports everything else. Real parts: kube-apiserver,
// Django stand-in, hhgate binary.
func TestSyncReportsRefusedBlankSpecs(t *testing.T) {
	s := startSyncStack(t, nil)
	objs := s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sess := testenv.Login(t, s.gateway.URL, user, password)

	res, a, body := s.pressSync(t, sess, id)
	groups := fixtureCounts(objs)["switch-groups"]
	if res.StatusCode != 200 || a.Success || a.Code != "partial_failure" || a.Stats.Created != len(objs)-groups {
		t.Fatalf("answer %d %s", res.StatusCode, body)
	}
	refused := 0
	for _, d := range a.Stats.ErrorDetails {
		if d.Kind == "SwitchGroup" && d.Operation == "create" && strings.Contains(d.Error, "This field cannot be blank.") {
			refused++
		}
	}
	if refused != groups {
		t.Errorf("%d SwitchGroups reported refused, want %d: %s", refused, groups, body)
	}
	f := assertNotSyncing(t, s.netbox, id)
	if f["sync_status"] != "error" || f["last_sync"] != nil || !strings.Contains(f["sync_error"].(string), "blank") {
		t.Errorf("fabric: %v", f)
	}
}

// TestSyncForbiddenKindLeavesItsObjectsAlone: a token whose Role lacks
// switches: the other kinds sync, the Switch objects NetBox already holds
// are neither updated nor pruned, and the error names the kind.
// Real parts: kube-apiserver with RBAC, Django stand-in, hhgate binary.
func TestSyncForbiddenKindLeavesItsObjectsAlone(t *testing.T) {
	s := startSyncStack(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	objs := s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sess := testenv.Login(t, s.gateway.URL, user, password)
	if _, a, body := s.pressSync(t, sess, id); !a.Success {
		t.Fatalf("initial import: %s", body)
	}
	switchesBefore := s.netbox.Objects(t, "switches", id)

	s.netbox.UpdateFabric(t, id, map[string]any{"kubernetes_token": s.cluster.Token(t, s.namespace, kube.AllResources("switches"))})
	s.cluster.Delete(t, objs[firstOf(t, objs, "Switch")].Created)
	s.cluster.Delete(t, objs[firstOf(t, objs, "VPC")].Created)

	_, a, body := s.pressSync(t, sess, id)
	if a.Success || a.Code != "partial_failure" || a.Stats.Kinds["Switch"].Status != "failed" || !strings.Contains(a.Stats.Kinds["Switch"].Error, "forbidden") {
		t.Fatalf("answer: %s", body)
	}
	if a.Stats.Deleted != 1 {
		t.Errorf("deleted %d, want only the VPC removed from the cluster", a.Stats.Deleted)
	}
	if after := s.netbox.Objects(t, "switches", id); len(after) != len(switchesBefore) {
		t.Fatalf("Switch objects changed from %d to %d although the kind could not be read", len(switchesBefore), len(after))
	}
	f := assertNotSyncing(t, s.netbox, id)
	if f["sync_status"] != "error" || !strings.Contains(f["sync_error"].(string), "switches") {
		t.Errorf("fabric: %v", f)
	}
}

// TestSyncWithAWrongCAFailsWithTLSError: a CA that did not sign the API
// server's certificate gives a TLS error in sync_error, and nothing is
// written or pruned. Real parts: kube-apiserver, Django stand-in, hhgate.
func TestSyncWithAWrongCAFailsWithTLSError(t *testing.T) {
	s := startSyncStack(t, nil)
	s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), testca.UnrelatedPEM())
	sess := testenv.Login(t, s.gateway.URL, user, password)
	s.netbox.ResetAPIRequestCounts(t)
	_, a, body := s.pressSync(t, sess, id)
	if a.Success || a.Code != "kubernetes_tls" {
		t.Fatalf("answer: %s", body)
	}
	f := assertNotSyncing(t, s.netbox, id)
	if f["sync_status"] != "error" || f["connection_status"] != "error" || !strings.Contains(f["sync_error"].(string), "x509") {
		t.Errorf("fabric: %v", f)
	}
	if c := s.netbox.APIRequestCounts(t); c["POST"]+c["DELETE"] != 0 {
		t.Errorf("objects written despite the TLS failure: %v", c)
	}
}

// TestSyncWithTheAPIServerDownPrunesNothing: the fabric's API server is
// gone (a dedicated cluster, stopped after the first import): the sync
// answers kubernetes_unreachable, deletes nothing and ends "syncing".
// (The engine's tests also stop a fake API server between list pages.)
// Real parts: a dedicated kube-apiserver, Django stand-in, hhgate binary.
func TestSyncWithTheAPIServerDownPrunesNothing(t *testing.T) {
	s := startSyncStack(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	own := kube.Start(t)
	s.cluster = own
	objs := own.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(own.CACert))
	sess := testenv.Login(t, s.gateway.URL, user, password)
	if _, a, body := s.pressSync(t, sess, id); !a.Success {
		t.Fatalf("initial import: %s", body)
	}
	own.Stop()
	_, a, body := s.pressSync(t, sess, id)
	if a.Success || a.Code != "kubernetes_unreachable" || a.Stats.Deleted != 0 {
		t.Fatalf("answer: %s", body)
	}
	total := 0
	for _, n := range s.netboxCounts(t, id) {
		total += n
	}
	if total != len(objs) {
		t.Fatalf("NetBox holds %d objects, want all %d kept", total, len(objs))
	}
	if f := assertNotSyncing(t, s.netbox, id); f["sync_status"] != "error" || f["connection_status"] != "error" {
		t.Errorf("fabric: %v", f)
	}
}

// TestSyncRetriesNetBox500ThenReports: NetBox answers 500 to the VPC batch;
// the sync retries it (the fault is used up exactly), then reports it
// while the other kinds import. A single 500 is retried into success.
// Real parts: kube-apiserver, Django stand-in with fault injection, hhgate.
func TestSyncRetriesNetBox500ThenReports(t *testing.T) {
	s := startSyncStack(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	objs := s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sess := testenv.Login(t, s.gateway.URL, user, password)

	const attempts = 4 // the engine's bounded attempts per batch
	s.netbox.InjectFault(t, testenv.Fault{Route: "vpcs", Method: "POST", Status: 500, Times: attempts})
	_, a, body := s.pressSync(t, sess, id)
	vpcs := fixtureCounts(objs)["vpcs"]
	if a.Success || a.Stats.Created != len(objs)-vpcs || a.Stats.Kinds["VPC"].Listed != vpcs {
		t.Fatalf("answer: %s", body)
	}
	if left := s.netbox.PendingFaults(t); len(left) != 0 {
		t.Fatalf("the 500 was not retried %d times: %v left", attempts, left)
	}
	reported := 0
	for _, d := range a.Stats.ErrorDetails {
		if d.Kind == "VPC" && d.Operation == "create" {
			reported++
		}
	}
	if reported != vpcs {
		t.Errorf("%d VPC creates reported, want %d: %s", reported, vpcs, body)
	}
	assertNotSyncing(t, s.netbox, id)

	s.netbox.InjectFault(t, testenv.Fault{Route: "vpcs", Method: "POST", Status: 500, Times: 1})
	if _, a, body := s.pressSync(t, sess, id); !a.Success || a.Stats.Created != vpcs {
		t.Fatalf("one 500 then success: %s", body)
	}
}

// TestConcurrentSyncRequestsShareOneSync: two operators press Sync at once;
// one sync runs and both get the identical answer. NetBox holds the
// engine's first read for three seconds so the second press lands while
// the first sync runs. Real parts: kube-apiserver, Django stand-in, hhgate.
func TestConcurrentSyncRequestsShareOneSync(t *testing.T) {
	s := startSyncStack(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	first := testenv.Login(t, s.gateway.URL, user, password)
	second := testenv.Login(t, s.gateway.URL, user, password)
	s.netbox.InjectFault(t, testenv.Fault{Route: "fabrics", Method: "GET", Status: 0, DelayMS: 3000, Times: 1})

	var wg sync.WaitGroup
	answers := make([][]byte, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _, answers[0] = s.pressSync(t, first, id)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for s.netbox.Fabric(t, id)["sync_status"] != "syncing" {
		if time.Now().After(deadline) {
			t.Fatal("the first sync never started")
		}
	}
	_, _, answers[1] = s.pressSync(t, second, id)
	wg.Wait()
	if string(answers[0]) != string(answers[1]) {
		t.Fatalf("answers differ:\n%s\n%s", answers[0], answers[1])
	}
	var a syncAnswer
	_ = json.Unmarshal(answers[0], &a)
	if !a.Success || a.Stats.DurationMS < 3000 {
		t.Fatalf("not the held sync: %s", answers[0])
	}
}

// TestSyncRefusals: through the gateway, an expired session gets the 401
// contract, a user without change permission 403 permission_denied, and
// an unknown fabric 404. Real parts: Django stand-in, hhgate binary.
func TestSyncRefusals(t *testing.T) {
	s := startSyncStack(t, nil)
	id := s.netbox.CreateFabric(t, map[string]any{"name": "fab-refusals"})
	s.netbox.CreateUser(t, testenv.User{Username: "viewer", Password: password, Permissions: []string{"netbox_hedgehog.view_hedgehogfabric"}})

	expired := testenv.Login(t, s.gateway.URL, user, password)
	s.netbox.ExpireSessions(t, user)
	res, _, body := s.pressSync(t, expired, id)
	if res.StatusCode != 401 || !strings.Contains(string(body), `"error":"authentication_required"`) ||
		!strings.Contains(string(body), fmt.Sprintf(`"redirect":"/login/?next=/plugins/hedgehog/fabrics/%d/"`, id)) {
		t.Errorf("expired session: %d %s", res.StatusCode, body)
	}

	viewer := testenv.Login(t, s.gateway.URL, "viewer", password)
	res, _, body = s.pressSync(t, viewer, id)
	if res.StatusCode != 403 || !strings.Contains(string(body), `"error":"permission_denied"`) {
		t.Errorf("no permission: %d %s", res.StatusCode, body)
	}

	op := testenv.Login(t, s.gateway.URL, user, password)
	res, _, body = s.pressSync(t, op, 987654)
	if res.StatusCode != 404 || !strings.Contains(string(body), `"error":"not_found"`) {
		t.Errorf("unknown fabric: %d %s", res.StatusCode, body)
	}
	if f := s.netbox.Fabric(t, id); f["sync_status"] != "never_synced" {
		t.Errorf("a refused sync changed the fabric: %v", f["sync_status"])
	}
}

func firstOf(t *testing.T, objs []kube.Object, kind string) int {
	t.Helper()
	for i, o := range objs {
		if o.Kind == kind {
			return i
		}
	}
	t.Fatalf("fixture has no %s", kind)
	return -1
}
