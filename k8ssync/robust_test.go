package k8ssync

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/rest"
	clienttesting "k8s.io/client-go/testing"

	"github.com/hhgate/hhgate/k8ssync/internal/fakenetbox"
	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// fakeDynamic is client-go's fake dynamic client holding one VPC and one
// Switch, whose Switch list panics.
func fakeDynamic(t *testing.T) *dynamicfake.FakeDynamicClient {
	listKinds := map[schema.GroupVersionResource]string{}
	for _, k := range kinds.All {
		listKinds[k.GVR()] = k.Kind + "List"
	}
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	for _, k := range []kinds.Kind{kind("VPC"), kind("Switch")} {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": k.Group + "/" + k.Version, "kind": k.Kind,
			"metadata": map[string]any{"name": "x", "namespace": "default", "uid": "u", "resourceVersion": "1"},
			"spec":     map[string]any{"a": "b"},
		}}
		if err := client.Tracker().Create(k.GVR(), obj, "default"); err != nil {
			t.Fatal(err)
		}
	}
	client.PrependReactor("list", "switches", func(clienttesting.Action) (bool, runtime.Object, error) {
		panic("nil map in switch decoder")
	})
	return client
}

func TestPanicInsideAKindIsRecordedAndStatusWritten(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.NewDynamicClient = func(*rest.Config) (dynamic.Interface, error) { return fakeDynamic(t), nil }
	})
	res := h.sync()
	if res.Success || res.Code != CodeInternal || !strings.Contains(res.Error, "panic: nil map in switch decoder") {
		t.Fatalf("result = %s %q", res.Code, res.Error)
	}
	if res.Stats.Kinds["Switch"].Status != KindFailed || res.Stats.Kinds["VPC"].Created != 1 {
		t.Errorf("kinds = %+v: the panic must stay in its kind", res.Stats.Kinds)
	}
	p := h.lastPatch()
	if p["sync_status"] != "error" || !strings.Contains(p["sync_error"].(string), "panic") || !res.StatusWritten {
		t.Errorf("status = %v", p)
	}
}

func TestPanicOutsideTheKindsStillWritesStatus(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.NewDynamicClient = func(*rest.Config) (dynamic.Interface, error) { panic("factory bug") }
	})
	res := h.sync()
	if res.Code != CodeInternal || !res.StatusWritten || h.lastPatch()["sync_status"] != "error" {
		t.Errorf("result = %s %q written=%t", res.Code, res.Error, res.StatusWritten)
	}
}

func TestCancelledCallerStillGetsTheFinalStatus(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.kube.OnList(func(string) { cancel() }) // the browser goes away mid-sync
	h.setFabric("sync_status", "syncing")

	res := h.engine.Sync(ctx, fabricID)
	h.assertNoSecrets(res)
	h.assertNotSyncing()
	if res.Success || res.Code != CodeCancelled || !res.StatusWritten {
		t.Errorf("result = %s %q written=%t", res.Code, res.Error, res.StatusWritten)
	}
	if p := h.lastPatch(); p["sync_status"] != "error" || p["sync_error"] == "" || p["connection_status"] == "error" {
		t.Errorf("status = %v: a cancelled sync is not a broken connection", p)
	}
}

func TestTimeoutStillWritesTheFinalStatus(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Timeout = 100 * time.Millisecond })
	seedWiring(h.kube)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })      // runs before the servers close
	h.kube.OnList(func(string) { <-release }) // the API server hangs

	res := h.sync()
	if res.Success || res.Code != CodeTimeout || !res.StatusWritten {
		t.Errorf("result = %s %q written=%t", res.Code, res.Error, res.StatusWritten)
	}
	if p := h.lastPatch(); p["sync_status"] != "error" || !strings.HasPrefix(res.Error, "Sync timed out after 100ms") {
		t.Errorf("status = %v, error %q", p, res.Error)
	}
}

func TestFailedStatusWriteIsReported(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	h.nb.SetFault(func(r fakenetbox.Request) fakenetbox.Fault {
		if r.Method == http.MethodPatch && strings.Contains(r.Path, "/fabrics/") {
			return fakenetbox.Fault{Status: 503}
		}
		return fakenetbox.Fault{}
	})
	res := h.engine.Sync(t.Context(), fabricID)
	h.assertNoSecrets(res)
	if res.Success || res.StatusWritten || res.Code != CodeNetBoxUnavailable ||
		!strings.Contains(res.Error, "status could not be recorded") {
		t.Errorf("result = %s %q written=%t", res.Code, res.Error, res.StatusWritten)
	}
}

func TestNetBoxDownWhenReadingTheFabric(t *testing.T) {
	h := newHarness(t)
	h.nb.SetFault(func(r fakenetbox.Request) fakenetbox.Fault {
		if r.Method == http.MethodGet {
			return fakenetbox.Fault{Status: 502}
		}
		return fakenetbox.Fault{}
	})
	res := h.sync()
	if res.Code != CodeNetBoxUnavailable || !res.StatusWritten {
		t.Errorf("result = %s %q written=%t", res.Code, res.Error, res.StatusWritten)
	}
}

func TestResultJSONMatchesThePluginContract(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	keys := func(res Result) (map[string]any, map[string]any) {
		var m map[string]any
		b, _ := json.Marshal(res)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		stats, _ := m["stats"].(map[string]any)
		return m, stats
	}
	statsKeys := []string{"total_crds", "created", "updated", "deleted", "unchanged", "errors", "status", "details", "kinds", "duration_ms"}

	ok, stats := keys(h.sync())
	if ok["success"] != true || ok["message"] != `Sync completed successfully! Fabric "vlab" is now synchronized.` {
		t.Errorf("success body = %v", ok)
	}
	for _, k := range []string{"error", "code"} {
		if _, found := ok[k]; found {
			t.Errorf("success body has %q", k)
		}
	}
	for _, k := range statsKeys {
		if _, found := stats[k]; !found {
			t.Errorf("stats lacks %q", k)
		}
	}
	if _, found := stats["error_details"]; found {
		t.Error("success stats has error_details")
	}
	vpc := stats["kinds"].(map[string]any)["VPC"].(map[string]any)
	for _, k := range []string{"listed", "created", "updated", "deleted", "unchanged", "errors", "status"} {
		if _, found := vpc[k]; !found {
			t.Errorf("kind stats lack %q", k)
		}
	}

	h.kube.Forbid(kind("Server"))
	bad, stats := keys(h.sync())
	if bad["success"] != false || bad["code"] != CodePartialFailure || !strings.HasPrefix(bad["error"].(string), "Sync completed with 1 errors") {
		t.Errorf("failure body = %v", bad)
	}
	details, _ := stats["error_details"].([]any)
	if len(details) != 1 {
		t.Fatalf("error_details = %v", stats["error_details"])
	}
	d := details[0].(map[string]any)
	for _, k := range []string{"kind", "name", "operation", "error"} {
		if _, found := d[k]; !found {
			t.Errorf("error detail lacks %q: %v", k, d)
		}
	}
}

func TestTestConnectionRecordsTheConnectionStatus(t *testing.T) {
	h := newHarness(t)
	res := h.engine.TestConnection(t.Context(), fabricID)
	if !res.Success || res.Details == nil || res.Details.ClusterVersion != "v1.37.2" || !res.Details.NamespaceAccess || !res.StatusWritten {
		t.Fatalf("result = %+v", res)
	}
	if p := h.lastPatch(); p["connection_status"] != "connected" || p["connection_error"] != "" {
		t.Errorf("patch = %v", p)
	}
	for _, r := range h.kube.Requests() {
		if strings.HasPrefix(r, "/api/v1/namespaces?") {
			t.Errorf("cluster-scoped namespace list: %s", r)
		}
	}

	h.setFabric("kubernetes_ca_cert", otherCA)
	res = h.engine.TestConnection(t.Context(), fabricID)
	b, _ := json.Marshal(res)
	if res.Success || res.Code != CodeKubernetesTLS || !strings.Contains(res.Error, "x509") ||
		strings.Contains(string(b), kubeToken) || strings.Contains(string(b), serviceToken) {
		t.Errorf("wrong CA: %s", b)
	}
	if p := h.lastPatch(); p["connection_status"] != "error" || !strings.Contains(p["connection_error"].(string), "x509") {
		t.Errorf("patch = %v", p)
	}
	if res := h.engine.TestConnection(t.Context(), 99); res.Code != CodeFabricNotFound {
		t.Errorf("missing fabric: %+v", res)
	}
}
