package k8ssync

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// plan runs Engine.Plan and checks that it wrote nothing to NetBox and
// leaked no secret.
func (h *harness) plan() PlanResult {
	h.t.Helper()
	h.nb.ResetRequests()
	res := h.engine.Plan(context.Background(), fabricID)
	for _, r := range h.nb.Requests() {
		if r.Method != http.MethodGet {
			h.t.Errorf("plan sent %s %s", r.Method, r.Path)
		}
	}
	js, _ := json.Marshal(res)
	for _, secret := range append([]string{serviceToken, kubeToken, "BEGIN CERTIFICATE"}, h.extra...) {
		if strings.Contains(string(js), secret) {
			h.t.Errorf("plan contains secret %q", secret)
		}
	}
	return res
}

func (p PlanResult) kind(t *testing.T, name string) KindPlan {
	t.Helper()
	i := slices.IndexFunc(p.Kinds, func(k KindPlan) bool { return k.Kind == name })
	if i < 0 {
		t.Fatalf("plan has no kind %s: %+v", name, p.Kinds)
	}
	return p.Kinds[i]
}

func names(objs []PlannedObject) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Name
	}
	slices.Sort(out)
	return out
}

func TestPlanListsExactlyWhatTheSyncThenDoes(t *testing.T) {
	h := newHarness(t)
	total := seedWiring(h.kube)
	first := h.plan()
	if got := first.kind(t, "Switch"); len(got.Create) != 3 || len(got.Update)+len(got.Delete) != 0 {
		t.Fatalf("plan of an empty NetBox: Switch = %+v", got)
	}
	if n := len(h.nb.FabricPatches(fabricID)); n != 0 {
		t.Fatalf("plan wrote the fabric status %d times", n)
	}
	h.sync()

	h.kube.Update(kind("VPC"), "vpc-1", func(o map[string]any) {
		o["spec"].(map[string]any)["subnets"].(map[string]any)["default"].(map[string]any)["vlan"] = 1010
	})
	h.kube.Add(kind("Server"), "default", "server-03", map[string]any{"description": "new"}, nil)
	h.kube.Remove(kind("Switch"), "leaf-02")
	p := h.plan()

	if len(p.Kinds) != len(kinds.All) || len(p.Unreadable) != 0 || p.Code != "" || !p.Prune || p.MaxPrune != 50 || p.Namespace != "default" {
		t.Fatalf("plan = %+v", p)
	}
	vpc := p.kind(t, "VPC")
	if len(vpc.Update) != 1 || vpc.Update[0].Name != "vpc-1" ||
		!slices.Equal(vpc.Update[0].Fields, []string{"spec.subnets", "kubernetes_resource_version"}) {
		t.Errorf("VPC plan = %+v", vpc)
	}
	if got := names(p.kind(t, "Server").Create); !slices.Equal(got, []string{"server-03"}) {
		t.Errorf("Server creates = %v", got)
	}
	sw := p.kind(t, "Switch")
	if got := names(sw.Delete); !slices.Equal(got, []string{"leaf-02"}) || sw.Held != nil {
		t.Errorf("Switch deletes = %v held %+v (1 of 3 is within 50%%)", got, sw.Held)
	}

	res := h.sync()
	if !res.Success {
		t.Fatalf("sync after plan: %s %s", res.Code, res.Error)
	}
	planned := 0
	for _, kp := range p.Kinds {
		ks := res.Stats.Kinds[kp.Kind]
		if ks.Created != len(kp.Create) || ks.Updated != len(kp.Update) || ks.Deleted != len(kp.Delete) || ks.Unchanged != kp.Unchanged {
			t.Errorf("%s: planned +%d ~%d -%d =%d, synced %+v", kp.Kind, len(kp.Create), len(kp.Update), len(kp.Delete), kp.Unchanged, ks)
		}
		planned += kp.Unchanged
	}
	if planned != total-2 {
		t.Errorf("planned %d unchanged, want %d", planned, total-2)
	}
}

func TestPlanReportsWhatCouldNotBeRead(t *testing.T) {
	h := newHarness(t)
	seedWiring(h.kube)
	h.sync()
	h.kube.Forbid(kind("Connection"))
	h.kube.Remove(kind("Connection"), "server-02--unbundled--leaf-01")
	h.kube.NotInstalled(kind("External"))
	h.kube.Remove(kind("External"), "ext-1")

	p := h.plan()
	if p.Code != "" || len(p.Unreadable) != 1 {
		t.Fatalf("plan = %+v", p)
	}
	u := p.Unreadable[0]
	if u.Kind != "Connection" || u.Side != "kubernetes" || !strings.Contains(u.Error, "forbidden") {
		t.Errorf("unreadable = %+v", u)
	}
	if c := p.kind(t, "Connection"); c.Status != KindFailed || c.Error == "" || len(c.Delete) != 0 {
		t.Errorf("Connection = %+v: an unread kind plans nothing", c)
	}
	if e := p.kind(t, "External"); e.Status != KindNotInstalled || len(e.Delete) != 0 {
		t.Errorf("External = %+v: a kind answering 404 is never pruned", e)
	}
}

func TestPlanOfAFabricThatCannotBeRead(t *testing.T) {
	for name, tc := range map[string]struct {
		setup func(h *harness)
		code  string
		// switches: the Agents were still read (the cluster answered).
		switches bool
	}{
		"fabric missing":  {func(h *harness) {}, CodeFabricNotFound, false},
		"no server":       {func(h *harness) { h.setFabric("kubernetes_server", "") }, CodeFabricNotConfigured, false},
		"token refused":   {func(h *harness) { h.setFabric("kubernetes_token", "wrong-token-123456") }, CodeKubernetesUnauthorized, false},
		"wrong CA":        {func(h *harness) { h.setFabric("kubernetes_ca_cert", otherCA) }, CodeKubernetesTLS, false},
		"everything 404s": {func(h *harness) { notInstalledAll(h) }, CodeCRDsNotInstalled, true},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			seedWiring(h.kube)
			tc.setup(h)
			id := fabricID
			if tc.code == CodeFabricNotFound {
				id = 41
			}
			h.nb.ResetRequests()
			p := h.engine.Plan(context.Background(), id)
			if p.Code != tc.code || p.Error == "" || (p.Switches != nil) != tc.switches {
				t.Errorf("plan = %s %q switches %+v, want %s", p.Code, p.Error, p.Switches, tc.code)
			}
			if n := h.nb.ObjectWrites() + len(h.nb.FabricPatches(fabricID)); n != 0 {
				t.Errorf("plan wrote %d times", n)
			}
		})
	}
}

func notInstalledAll(h *harness) {
	for _, k := range kinds.All {
		h.kube.NotInstalled(k)
	}
}

// The plan never reaches a write; if it ever did, the batch is not sent.
func TestDryRunNeverSendsABatch(t *testing.T) {
	h := newHarness(t)
	r := newRun(h.engine, fabricID)
	r.dryRun = true
	res := r.notSent(context.Background(), 2)
	if res == nil {
		t.Fatal("a batch may be sent during a dry run")
	}
	if len(res.Failures) != 2 || !strings.Contains(res.Failures[0].Message, "dry run") {
		t.Errorf("failures = %+v", res.Failures)
	}
}
