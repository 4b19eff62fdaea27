package kube

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestReadyStatusFollowsThePlugin(t *testing.T) {
	cond := func(typ, status string) map[string]any { return map[string]any{"type": typ, "status": status} }
	tests := []struct {
		name   string
		status any
		want   string
	}{
		{"no status (every Hedgehog CR)", nil, StatusApplied},
		{"empty status", map[string]any{}, StatusApplied},
		{"conditions without Ready", map[string]any{"conditions": []any{cond("Applied", "True")}}, StatusApplied},
		{"Ready True", map[string]any{"conditions": []any{cond("Applied", "False"), cond("Ready", "True")}}, StatusLive},
		{"Ready False", map[string]any{"conditions": []any{cond("Ready", "False")}}, StatusError},
		{"Ready Unknown", map[string]any{"conditions": []any{cond("Ready", "Unknown")}}, StatusError},
		{"conditions not a list", map[string]any{"conditions": "Ready"}, StatusApplied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := map[string]any{}
			if tc.status != nil {
				obj["status"] = tc.status
			}
			if got := ReadyStatus(obj); got != tc.want {
				t.Errorf("ReadyStatus = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFromUnstructuredSkipsNamelessAndDefaultsNamespace(t *testing.T) {
	if _, ok := FromUnstructured(&unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{}}}, "default"); ok {
		t.Error("nameless item accepted")
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "leaf-01", "uid": "u1", "resourceVersion": "9", "labels": map[string]any{"a": "b"}},
		"spec":     map[string]any{"role": "server-leaf"},
	}}
	r, ok := FromUnstructured(u, "fab")
	if !ok || r.Namespace != "fab" || r.Name != "leaf-01" || r.UID != "u1" || r.ResourceVersion != "9" ||
		r.Labels["a"] != "b" || r.Annotations != nil || r.Status != StatusApplied || r.Spec.(map[string]any)["role"] != "server-leaf" {
		t.Errorf("FromUnstructured = %+v, %t", r, ok)
	}
}
