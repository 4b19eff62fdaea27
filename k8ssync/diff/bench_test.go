package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// BenchmarkDiff2000 diffs a 2,000-object kind where nothing changed (the
// no-op resync), with Connection-like specs on both sides decoded as each
// side's decoder does.
func BenchmarkDiff2000(b *testing.B) {
	const n = 2000
	resources := make([]kube.Resource, n)
	objects := make([]netbox.Object, n)
	for i := range n {
		spec := map[string]any{
			"mclag": map[string]any{
				"mtu": int64(9036),
				"links": []any{
					map[string]any{"server": map[string]any{"port": fmt.Sprintf("server-%d/enp2s1", i)}, "switch": map[string]any{"port": "leaf-01/E1/1"}},
					map[string]any{"server": map[string]any{"port": fmt.Sprintf("server-%d/enp2s2", i)}, "switch": map[string]any{"port": "leaf-02/E1/1"}},
				},
			},
		}
		labels := map[string]string{"fabric.githedgehog.com/connection-type": "mclag", "fabric.githedgehog.com/server": fmt.Sprintf("server-%d", i)}
		name := fmt.Sprintf("server-%d--mclag--leaf-01--leaf-02", i)
		resources[i] = kube.Resource{Namespace: "default", Name: name, UID: fmt.Sprintf("uid-%d", i), ResourceVersion: "1", Spec: spec, Labels: labels, Status: "applied"}
		row, _ := json.Marshal(map[string]any{
			"id": i + 1, "fabric": 1, "namespace": "default", "name": name, "spec": spec, "labels": labels,
			"annotations": map[string]any{}, "kubernetes_uid": fmt.Sprintf("uid-%d", i),
			"kubernetes_resource_version": "1", "kubernetes_status": "applied",
		})
		dec := json.NewDecoder(bytes.NewReader(row))
		dec.UseNumber()
		if err := dec.Decode(&objects[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p := Compute(Input{Fabric: 1, Resources: resources, Objects: objects, Prune: true, Now: now})
		if p.Unchanged != n {
			b.Fatalf("unchanged = %d, want %d", p.Unchanged, n)
		}
	}
}
