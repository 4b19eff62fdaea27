package k8ssync

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hhgate/hhgate/k8ssync/internal/fakekube"
	"github.com/hhgate/hhgate/k8ssync/internal/fakenetbox"
	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// Secrets the tests look for in every output.
const (
	serviceToken = "nb-service-token-7d1e4a0c"
	kubeToken    = "kube-bearer-token-9b2f6c1d"
)

const fabricID = 35

// harness is one fake API server, one fake NetBox with fabric 35 pointing
// at it, and an Engine between them.
type harness struct {
	t      *testing.T
	kube   *fakekube.Server
	nb     *fakenetbox.Server
	engine *Engine
	logs   *observer.ObservedLogs
	// extra holds texts that must never appear in any output (the CA).
	extra []string
}

func newHarness(t *testing.T, tweak ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, kube: fakekube.New(kubeToken), nb: fakenetbox.New("Token " + serviceToken)}
	t.Cleanup(h.kube.Close)
	t.Cleanup(h.nb.Close)
	h.nb.AddFabric(map[string]any{
		"id": fabricID, "name": "vlab", "kubernetes_server": h.kube.URL, "kubernetes_token": kubeToken,
		"kubernetes_ca_cert": h.kube.CAPEM, "kubernetes_namespace": "default",
		"sync_status": "syncing", "connection_status": "unknown", "last_sync": nil, "sync_error": "",
	})
	h.nb.AllowBlankSpec(true)
	h.extra = append(h.extra, caBody(h.kube.CAPEM))

	var mu sync.Mutex
	clock := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	core, logs := observer.New(zap.DebugLevel)
	h.logs = logs
	o := Options{
		NetBoxURL:   h.nb.URL,
		NetBoxToken: serviceToken,
		Logger:      zap.New(core),
		// Every reading of the clock is one second later.
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(time.Second)
			return clock
		},
		Retry: netboxNoWait(),
	}
	for _, fn := range tweak {
		fn(&o)
	}
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.engine = e
	return h
}

// caBody is a line from the middle of a PEM: the part that must not leak.
func caBody(pem string) string {
	lines := strings.Split(strings.TrimSpace(pem), "\n")
	return lines[len(lines)/2]
}

func (h *harness) setFabric(field string, v any) {
	f := h.nb.Fabric(fabricID)
	f[field] = v
	h.nb.AddFabric(f)
}

func (h *harness) sync() Result {
	h.t.Helper()
	h.setFabric("sync_status", "syncing") // what the handler does first
	res := h.engine.Sync(context.Background(), fabricID)
	h.assertNoSecrets(res)
	h.assertNotSyncing()
	return res
}

func (h *harness) assertNotSyncing() {
	h.t.Helper()
	if s := h.nb.Fabric(fabricID)["sync_status"]; s == "syncing" {
		h.t.Errorf("fabric left %q", s)
	}
}

// assertNoSecrets checks the Result JSON, every fabric write and every log
// line for the NetBox token, the cluster token and the CA.
func (h *harness) assertNoSecrets(res Result) {
	h.t.Helper()
	js, _ := json.Marshal(res)
	outputs := []string{string(js), res.Error}
	for _, p := range h.nb.FabricPatches(fabricID) {
		b, _ := json.Marshal(p)
		outputs = append(outputs, string(b))
	}
	for _, e := range h.logs.All() {
		outputs = append(outputs, e.Message, fmt.Sprint(e.ContextMap()))
	}
	for _, out := range outputs {
		for _, secret := range append([]string{serviceToken, kubeToken, "BEGIN CERTIFICATE"}, h.extra...) {
			if strings.Contains(out, secret) {
				h.t.Errorf("output contains secret %q: %.300s", secret, out)
			}
		}
	}
}

// lastPatch is the final status write of the last sync.
func (h *harness) lastPatch() map[string]any {
	h.t.Helper()
	ps := h.nb.FabricPatches(fabricID)
	if len(ps) == 0 {
		h.t.Fatal("no fabric status written")
	}
	return ps[len(ps)-1]
}

func kind(name string) kinds.Kind {
	for _, k := range kinds.All {
		if k.Kind == name {
			return k
		}
	}
	panic("no kind " + name)
}

// seedWiring fills the API server with a small VLAB-like fabric: every
// kind, 18 resources, SwitchGroups with their empty spec.
func seedWiring(k *fakekube.Server) int {
	add := func(kindName, name string, spec map[string]any) {
		k.Add(kind(kindName), "default", name, spec, map[string]any{"fabric.githedgehog.com/name": name})
	}
	add("VPC", "vpc-1", map[string]any{"subnets": map[string]any{"default": map[string]any{"subnet": "10.0.1.0/24", "gateway": "10.0.1.1", "vlan": 1001}}})
	add("VPC", "vpc-2", map[string]any{"subnets": map[string]any{"default": map[string]any{"subnet": "10.0.2.0/24", "gateway": "10.0.2.1", "vlan": 1002}}})
	add("IPv4Namespace", "default", map[string]any{"subnets": []any{"10.0.0.0/16"}})
	add("VLANNamespace", "default", map[string]any{"ranges": []any{map[string]any{"from": 1000, "to": 2999}}})
	add("External", "ext-1", map[string]any{"ipv4Namespace": "default", "inboundCommunity": "65102:5000", "outboundCommunity": "50000:50001"})
	add("ExternalAttachment", "ext-1--leaf-01", map[string]any{"external": "ext-1", "connection": "leaf-01--external", "switch": map[string]any{"vlan": 100, "ip": "100.1.0.0/31"}, "neighbor": map[string]any{"asn": 65102, "ip": "100.1.0.1"}})
	add("ExternalPeering", "vpc-1--ext-1", map[string]any{"permit": map[string]any{"vpc": map[string]any{"name": "vpc-1", "subnets": []any{"default"}}, "external": map[string]any{"name": "ext-1", "prefixes": []any{map[string]any{"prefix": "0.0.0.0/0"}}}}})
	add("VPCAttachment", "vpc-1--server-01", map[string]any{"subnet": "vpc-1/default", "connection": "server-01--mclag--leaf-01--leaf-02"})
	add("VPCPeering", "vpc-1--vpc-2", map[string]any{"permit": []any{map[string]any{"vpc-1": map[string]any{}, "vpc-2": map[string]any{}}}})
	add("Switch", "spine-01", map[string]any{"role": "spine", "asn": 65100, "ip": "172.30.1.0/32"})
	add("Switch", "leaf-01", map[string]any{"role": "server-leaf", "groups": []any{"mclag-1"}, "redundancy": map[string]any{"group": "mclag-1", "type": "mclag"}})
	add("Switch", "leaf-02", map[string]any{"role": "server-leaf", "groups": []any{"mclag-1"}, "redundancy": map[string]any{"group": "mclag-1", "type": "mclag"}})
	add("SwitchGroup", "mclag-1", map[string]any{})
	add("Server", "server-01", map[string]any{"description": "S-01 MCLAG leaf-01 leaf-02"})
	add("Server", "server-02", map[string]any{"description": "S-02 unbundled leaf-01"})
	add("Connection", "server-01--mclag--leaf-01--leaf-02", map[string]any{"mclag": map[string]any{"links": []any{
		map[string]any{"server": map[string]any{"port": "server-01/enp2s1"}, "switch": map[string]any{"port": "leaf-01/E1/1"}},
		map[string]any{"server": map[string]any{"port": "server-01/enp2s2"}, "switch": map[string]any{"port": "leaf-02/E1/1"}},
	}}})
	add("Connection", "server-02--unbundled--leaf-01", map[string]any{"unbundled": map[string]any{"link": map[string]any{
		"server": map[string]any{"port": "server-02/enp2s1"}, "switch": map[string]any{"port": "leaf-01/E1/2"}}}})
	add("Connection", "spine-01--fabric--leaf-01", map[string]any{"fabric": map[string]any{"links": []any{
		map[string]any{"spine": map[string]any{"port": "spine-01/E1/1", "ip": "172.30.30.0/31"}, "leaf": map[string]any{"port": "leaf-01/E1/8", "ip": "172.30.30.1/31"}}}}})
	return 18
}

func count(h *harness) int {
	n := 0
	for _, k := range kinds.All {
		n += len(h.nb.Objects(k.Route))
	}
	return n
}

// netboxNoWait is a retry policy whose backoffs return at once, so that
// retry tests never wait.
func netboxNoWait() netbox.RetryPolicy {
	return netbox.RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }}
}

// otherCA did not sign the fake API server's certificate.
var otherCA = fakekube.OtherCAPEM()
