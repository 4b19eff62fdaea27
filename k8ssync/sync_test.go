package k8ssync

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hhgate/hhgate/k8ssync/internal/fakenetbox"
)

func TestInitialImportThenNoOpResyncWritesNoObject(t *testing.T) {
	h := newHarness(t)
	total := seedWiring(h.kube)

	res := h.sync()
	if !res.Success || res.Stats.Created != total || res.Stats.TotalCRDs != total || res.Stats.Errors != 0 {
		t.Fatalf("import: %+v", res)
	}
	if res.Stats.Details != "18 created, 0 updated, 0 deleted, 0 unchanged" {
		t.Errorf("details = %q", res.Stats.Details)
	}
	if k := res.Stats.Kinds["Connection"]; k != (KindStats{Listed: 3, Created: 3, Status: KindOK}) {
		t.Errorf("Connection stats = %+v", k)
	}
	p := h.lastPatch()
	want := map[string]any{
		"sync_status": "in_sync", "sync_error": "", "connection_status": "connected", "connection_error": "",
		"cached_crd_count": 18.0, "cached_vpc_count": 2.0, "vpcs_count": 2.0, "cached_connection_count": 3.0,
		"connections_count": 3.0, "servers_count": 2.0, "switches_count": 3.0,
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("fabric %s = %v, want %v", k, p[k], v)
		}
	}
	if p["last_sync"] == nil {
		t.Error("last_sync not written after a successful sync")
	}
	sw := h.nb.Find("switches", "leaf-01")
	if sw["fabric"] != fabricID || sw["namespace"] != "default" || sw["kubernetes_status"] != "applied" ||
		sw["auto_sync"] != true || sw["sync_error"] != "" || sw["last_synced"] == nil || sw["kubernetes_uid"] == "" {
		t.Errorf("imported switch = %v", sw)
	}
	firstSynced := sw["last_synced"]

	h.nb.ResetRequests()
	res = h.sync()
	if !res.Success || res.Stats.Unchanged != total || res.Stats.Created+res.Stats.Updated+res.Stats.Deleted != 0 {
		t.Fatalf("resync: %+v", res.Stats)
	}
	if n := h.nb.ObjectWrites(); n != 0 {
		t.Errorf("no-op resync made %d object writes, want 0", n)
	}
	for _, r := range h.nb.Requests() {
		if r.Method != http.MethodGet && r.Path != "/api/plugins/hedgehog/fabrics/35/" {
			t.Errorf("unexpected write %s %s", r.Method, r.Path)
		}
	}
	if got := h.nb.Find("switches", "leaf-01")["last_synced"]; got != firstSynced {
		t.Errorf("last_synced of an unchanged object moved: %v -> %v", firstSynced, got)
	}
}

func TestChangesBecomeExactlyThoseWrites(t *testing.T) {
	h := newHarness(t)
	total := seedWiring(h.kube)
	h.sync()

	h.kube.Update(kind("VPC"), "vpc-1", func(o map[string]any) {
		o["spec"].(map[string]any)["subnets"].(map[string]any)["default"].(map[string]any)["vlan"] = 1010
	})
	h.kube.Add(kind("Server"), "default", "server-03", map[string]any{"description": "new"}, nil)
	h.kube.Remove(kind("Switch"), "leaf-02")
	h.nb.ResetRequests()

	res := h.sync()
	s := res.Stats
	if !res.Success || s.Created != 1 || s.Updated != 1 || s.Deleted != 1 || s.Unchanged != total-2 {
		t.Fatalf("stats = %+v", s)
	}
	var writes []string
	for _, r := range h.nb.Requests() {
		if r.Method != http.MethodGet && !strings.Contains(r.Path, "/fabrics/") {
			writes = append(writes, r.Method+" "+r.Path)
		}
	}
	want := "PATCH /api/plugins/hedgehog/vpcs/ POST /api/plugins/hedgehog/servers/ DELETE /api/plugins/hedgehog/switches/"
	if strings.Join(writes, " ") != want {
		t.Errorf("writes = %v, want %s", writes, want)
	}
	vpc := h.nb.Find("vpcs", "vpc-1")
	if vlan := vpc["spec"].(map[string]any)["subnets"].(map[string]any)["default"].(map[string]any)["vlan"]; vlan != 1010.0 {
		t.Errorf("vpc-1 vlan = %v", vlan)
	}
	if h.nb.Find("switches", "leaf-02") != nil || h.nb.Find("servers", "server-03") == nil {
		t.Error("delete or create not applied")
	}
}

func TestPruneCanBeTurnedOff(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Prune = Bool(false) })
	seedWiring(h.kube)
	h.sync()
	h.kube.Remove(kind("Switch"), "leaf-02")
	res := h.sync()
	if !res.Success || res.Stats.Deleted != 0 || h.nb.Find("switches", "leaf-02") == nil {
		t.Errorf("prune off: %+v", res.Stats)
	}
}

func TestOtherFabricsObjectsAreNeverTouched(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	h.nb.AddFabric(map[string]any{"id": 36, "name": "other"})
	h.nb.Seed("switches", map[string]any{"fabric": 36, "name": "leaf-01", "spec": map[string]any{"role": "spine"}})
	h.nb.Seed("switches", map[string]any{"fabric": 36, "name": "not-in-35", "spec": map[string]any{"role": "spine"}})
	res := h.sync()
	if !res.Success || res.Stats.Deleted != 0 {
		t.Fatalf("stats = %+v", res.Stats)
	}
	n := 0
	for _, o := range h.nb.Objects("switches") {
		if o["fabric"] == 36 {
			n++
			if o["spec"].(map[string]any)["role"] != "spine" {
				t.Errorf("fabric 36 object changed: %v", o)
			}
		}
	}
	if n != 2 {
		t.Errorf("fabric 36 has %d switches, want 2", n)
	}
}

func TestForbiddenKindIsReportedAndLeftUntouched(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	h.sync()
	before := h.nb.Objects("connections")

	h.kube.Forbid(kind("Connection"))
	h.kube.Remove(kind("Connection"), "server-02--unbundled--leaf-01")
	h.kube.Update(kind("VPC"), "vpc-2", func(o map[string]any) { o["spec"].(map[string]any)["mode"] = "l3vni" })
	res := h.sync()

	if res.Success || res.Code != CodePartialFailure || res.Stats.Updated != 1 {
		t.Fatalf("result = %s %q %+v", res.Code, res.Error, res.Stats)
	}
	k := res.Stats.Kinds["Connection"]
	if k.Status != KindFailed || !strings.Contains(k.Error, "forbidden") || k.Deleted != 0 {
		t.Errorf("Connection = %+v", k)
	}
	if after := h.nb.Objects("connections"); len(after) != len(before) {
		t.Errorf("connections %d -> %d: a forbidden kind was pruned", len(before), len(after))
	}
	if len(res.Stats.ErrorDetails) != 1 || res.Stats.ErrorDetails[0] != (ErrorDetail{Kind: "Connection", Operation: "list", Error: k.Error}) {
		t.Errorf("error_details = %+v", res.Stats.ErrorDetails)
	}
	p := h.lastPatch()
	if p["sync_status"] != "error" || p["connection_status"] != "connected" {
		t.Errorf("status = %v / %v", p["sync_status"], p["connection_status"])
	}
	syncErr, _ := p["sync_error"].(string)
	if !strings.HasPrefix(syncErr, "list connections.wiring.githedgehog.com in namespace default: ") || !strings.Contains(syncErr, "forbidden") {
		t.Errorf("sync_error = %q, want the real first error", syncErr)
	}
	for _, absent := range []string{"last_sync", "connections_count", "cached_connection_count", "cached_crd_count"} {
		if _, ok := p[absent]; ok {
			t.Errorf("%s written after a partial sync: %v", absent, p[absent])
		}
	}
	if p["vpcs_count"] != 2.0 {
		t.Errorf("vpcs_count = %v: complete kinds still report their count", p["vpcs_count"])
	}
}

func TestNotInstalledKindIsOKAndNotPruned(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	h.sync()
	h.kube.NotInstalled(kind("External"))
	res := h.sync()
	if !res.Success || res.Stats.Kinds["External"].Status != KindNotInstalled || res.Stats.Deleted != 0 {
		t.Fatalf("result = %s %+v", res.Code, res.Stats)
	}
	if h.nb.Find("externals", "ext-1") == nil {
		t.Error("objects of a kind answering 404 were pruned")
	}
}

func TestNoKindServedIsAnError(t *testing.T) {
	h := newHarness(t)
	for _, k := range []string{"VPC", "External", "ExternalAttachment", "ExternalPeering", "IPv4Namespace", "VPCAttachment",
		"VPCPeering", "Connection", "Server", "Switch", "SwitchGroup", "VLANNamespace"} {
		h.kube.NotInstalled(kind(k))
	}
	res := h.sync()
	if res.Success || res.Code != CodeCRDsNotInstalled || h.lastPatch()["sync_status"] != "error" {
		t.Errorf("result = %s %q", res.Code, res.Error)
	}
}

func TestTLSFailuresAreConnectionErrors(t *testing.T) {
	tests := []struct {
		name string
		ca   string
	}{
		{"wrong CA", otherCA},
		{"no CA: system roots, never skipped silently", ""},
		{"CA field is not PEM", "not a certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			seedWiring(h.kube)
			h.nb.Seed("vpcs", map[string]any{"fabric": fabricID, "name": "stale", "spec": map[string]any{"a": 1}})
			h.setFabric("kubernetes_ca_cert", tc.ca)
			h.extra = append(h.extra, caBody(otherCA))
			res := h.sync()
			if res.Success || res.Code != CodeKubernetesTLS {
				t.Fatalf("result = %s %q", res.Code, res.Error)
			}
			p := h.lastPatch()
			connErr, _ := p["connection_error"].(string)
			syncErr, _ := p["sync_error"].(string)
			if p["connection_status"] != "error" || p["sync_status"] != "error" || connErr == "" || syncErr != connErr {
				t.Errorf("status = %v", p)
			}
			if tc.ca != "not a certificate" && !strings.Contains(syncErr, "x509") {
				t.Errorf("sync_error = %q, want the x509 error", syncErr)
			}
			if _, ok := p["last_sync"]; ok {
				t.Error("last_sync written")
			}
			if h.nb.ObjectWrites() != 0 || h.nb.Find("vpcs", "stale") == nil {
				t.Error("objects written or pruned without a cluster")
			}
		})
	}
}

func TestInsecureSkipTLSVerifyIsAnExplicitOption(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.InsecureSkipTLSVerify = true })
	seedWiring(h.kube)
	h.setFabric("kubernetes_ca_cert", "")
	if res := h.sync(); !res.Success {
		t.Fatalf("result = %s %q", res.Code, res.Error)
	}
}

func TestRefusedTokenIsAConnectionError(t *testing.T) {
	h := newHarness(t)
	h.setFabric("kubernetes_token", "expired-"+kubeToken)
	res := h.sync()
	if res.Code != CodeKubernetesUnauthorized || h.lastPatch()["connection_status"] != "error" {
		t.Errorf("result = %s %q", res.Code, res.Error)
	}
}

func TestAPIServerStoppingMidSyncPrunesNothing(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	h.sync()
	before := count(h)
	// Every kind loses a resource, then the API server goes away after
	// answering three lists.
	h.kube.Remove(kind("VPC"), "vpc-2")
	h.kube.Remove(kind("Switch"), "leaf-02")
	h.kube.Remove(kind("Connection"), "server-02--unbundled--leaf-01")
	h.kube.Remove(kind("Server"), "server-02")
	h.kube.StopAfter(3)

	res := h.sync()
	if res.Success || res.Code != CodeKubernetesUnreachable || res.Stats.Deleted != 0 {
		t.Fatalf("result = %s %q %+v", res.Code, res.Error, res.Stats)
	}
	if after := count(h); after != before {
		t.Errorf("objects %d -> %d: pruned after losing the API server", before, after)
	}
	p := h.lastPatch()
	if p["connection_status"] != "error" || p["sync_status"] != "error" || !strings.Contains(p["sync_error"].(string), "refused") {
		t.Errorf("status = %v", p)
	}
}

func TestBlankSpecIsRefusedPerObjectAndHealsOncePluginAllowsIt(t *testing.T) {
	h := newHarness(t)
	total := seedWiring(h.kube)
	h.kube.Add(kind("SwitchGroup"), "default", "empty", map[string]any{}, nil)
	h.nb.AllowBlankSpec(false) // the plugin as released

	res := h.sync()
	if res.Success || res.Code != CodePartialFailure || res.Stats.Created != total-1 || res.Stats.Errors != 2 {
		t.Fatalf("result = %s %q %+v", res.Code, res.Error, res.Stats)
	}
	wantDetail := ErrorDetail{Kind: "SwitchGroup", Name: "default/empty", Operation: "create", Error: "spec: This field cannot be blank."}
	if len(res.Stats.ErrorDetails) != 2 || res.Stats.ErrorDetails[1] != wantDetail {
		t.Errorf("error_details = %+v", res.Stats.ErrorDetails)
	}
	if sg := res.Stats.Kinds["SwitchGroup"]; sg.Status != KindOK || sg.Errors != 2 || sg.Created != 0 {
		t.Errorf("SwitchGroup = %+v", sg)
	}
	p := h.lastPatch()
	if p["sync_error"] != "SwitchGroup default/mclag-1: create: spec: This field cannot be blank.; SwitchGroup default/empty: create: spec: This field cannot be blank." {
		t.Errorf("sync_error = %q", p["sync_error"])
	}
	if _, ok := p["last_sync"]; ok {
		t.Error("last_sync written after refusals")
	}

	h.nb.AllowBlankSpec(true) // the one-line plugin fix
	res = h.sync()
	if !res.Success || res.Stats.Created != 2 || res.Stats.Unchanged != total-1 {
		t.Fatalf("after fix: %s %+v", res.Code, res.Stats)
	}
	h.nb.ResetRequests()
	if res = h.sync(); !res.Success || h.nb.ObjectWrites() != 0 {
		t.Errorf("third sync: %+v, %d writes", res.Stats, h.nb.ObjectWrites())
	}
}

func TestNetBox500OnOneBatchIsRetriedThenReported(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	h.nb.SetFault(func(r fakenetbox.Request) fakenetbox.Fault {
		if r.Method == http.MethodPost && r.Path == "/api/plugins/hedgehog/servers/" {
			return fakenetbox.Fault{Status: 500, Body: "<h1>Server Error (500)</h1>"}
		}
		return fakenetbox.Fault{}
	})
	res := h.sync()
	if res.Success || res.Code != CodeNetBoxUnavailable || res.Stats.Created != 16 || res.Stats.Errors != 2 {
		t.Fatalf("result = %s %q %+v", res.Code, res.Error, res.Stats)
	}
	posts := 0
	for _, r := range h.nb.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/plugins/hedgehog/servers/" {
			posts++
		}
	}
	if posts != 4 {
		t.Errorf("%d POSTs of the failing batch, want 4 (bounded retries)", posts)
	}
	d := res.Stats.ErrorDetails[0]
	if d.Kind != "Server" || d.Operation != "create" || !strings.Contains(d.Error, "500") {
		t.Errorf("detail = %+v", d)
	}
	if h.lastPatch()["sync_status"] != "error" {
		t.Error("sync_status not error")
	}

	h.nb.SetFault(nil)
	if res = h.sync(); !res.Success || res.Stats.Created != 2 {
		t.Errorf("next sync: %s %+v", res.Code, res.Stats)
	}
}

func TestSyncErrorKeepsTheFirstRealErrors(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	h.kube.Forbid(kind("VPC"))
	h.kube.Status(kind("Server"), 503)
	h.kube.Add(kind("SwitchGroup"), "default", "a", map[string]any{}, nil)
	h.kube.Add(kind("SwitchGroup"), "default", "b", map[string]any{}, nil)
	h.kube.Add(kind("SwitchGroup"), "default", "c", map[string]any{}, nil)
	h.nb.AllowBlankSpec(false)

	res := h.sync()
	syncErr := h.lastPatch()["sync_error"].(string)
	parts := strings.Split(syncErr, "; ")
	if len(parts) != 3 || !strings.HasPrefix(parts[0], "list vpcs.vpc.githedgehog.com") ||
		!strings.HasPrefix(parts[1], "list servers.wiring.githedgehog.com") ||
		!strings.HasPrefix(parts[2], "SwitchGroup default/mclag-1: create: spec: This field cannot be blank.") ||
		!strings.HasSuffix(syncErr, "(and 3 more)") {
		t.Errorf("sync_error = %q", syncErr)
	}
	if !strings.HasPrefix(res.Error, "Sync completed with 6 errors: list vpcs.vpc.githedgehog.com") {
		t.Errorf("error = %q", res.Error)
	}
}

func TestFabricNotFoundWritesNothing(t *testing.T) {
	h := newHarness(t)
	res := h.engine.Sync(t.Context(), 99)
	// The only request is the "syncing" PATCH that NetBox answers 404.
	if patches := h.nb.FabricPatches(99); res.Success || res.Code != CodeFabricNotFound || len(patches) != 1 ||
		patches[0]["sync_status"] != "syncing" || res.StatusWritten || res.PendingStatus != nil {
		t.Errorf("result = %s %q, patches %v", res.Code, res.Error, patches)
	}
}

func TestFabricWithoutServerIsNotConfigured(t *testing.T) {
	h := newHarness(t)
	h.setFabric("kubernetes_server", "")
	res := h.sync()
	p := h.lastPatch()
	if res.Code != CodeFabricNotConfigured || p["connection_status"] != "error" || !strings.Contains(p["sync_error"].(string), "kubernetes_server is not set") {
		t.Errorf("result = %s %q, patch %v", res.Code, res.Error, p)
	}
}

func TestNetBoxEchoingASecretIsRedacted(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	h.nb.SetFault(func(r fakenetbox.Request) fakenetbox.Fault {
		if r.Method == http.MethodPost {
			return fakenetbox.Fault{Status: 400, Body: `{"detail": "token ` + serviceToken + ` and ` + kubeToken + ` rejected"}`}
		}
		return fakenetbox.Fault{}
	})
	res := h.sync() // h.sync asserts that no output holds a secret
	if res.Success || !strings.Contains(res.Stats.ErrorDetails[0].Error, "[REDACTED]") {
		t.Errorf("detail = %+v", res.Stats.ErrorDetails[0])
	}
}
