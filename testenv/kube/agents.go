package kube

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// CreateAgent creates a Hedgehog Agent named as its switch in namespace,
// changes its spec until the API server has counted metadata.generation up
// to generation, then writes its status through the status subresource
// (the CRD has one: a plain update would drop the status): lastAppliedGen
// applied and lastHeartbeat heartbeat (left out when zero). It returns the
// stored Agent.
func (c *Cluster) CreateAgent(t testing.TB, namespace, name string, generation, applied int64, heartbeat time.Time) *unstructured.Unstructured {
	t.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	ri := c.Resource(kinds.Agent, namespace)
	agent := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kinds.Agent.Group + "/" + kinds.Agent.Version, "kind": kinds.Agent.Kind,
		"metadata": map[string]any{"name": name, "namespace": namespace},
		"spec":     map[string]any{"description": "revision 1"},
	}}
	out, err := ri.Create(ctx, agent, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kube: creating Agent %s/%s: %v", namespace, name, err)
	}
	for rev := int64(2); out.GetGeneration() < generation; rev++ {
		_ = unstructured.SetNestedField(out.Object, fmt.Sprintf("revision %d", rev), "spec", "description")
		if out, err = ri.Update(ctx, out, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("kube: changing the spec of Agent %s/%s: %v", namespace, name, err)
		}
	}
	status := map[string]any{"conditions": []any{}, "lastAppliedGen": applied}
	if !heartbeat.IsZero() {
		status["lastHeartbeat"] = heartbeat.UTC().Format(time.RFC3339)
	}
	out.Object["status"] = status
	if out, err = ri.UpdateStatus(ctx, out, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("kube: writing the status of Agent %s/%s: %v", namespace, name, err)
	}
	if out.GetGeneration() != generation {
		t.Fatalf("kube: Agent %s/%s is at generation %d, want %d", namespace, name, out.GetGeneration(), generation)
	}
	return out
}
