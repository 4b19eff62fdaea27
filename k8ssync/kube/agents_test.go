package kube

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestAgentStatusReadsGenerationsAndHeartbeat(t *testing.T) {
	beat := time.Date(2026, 11, 25, 11, 59, 45, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		status map[string]any
		want   AgentStatus
	}{
		{"int64 and RFC 3339", map[string]any{"lastAppliedGen": int64(3), "lastHeartbeat": "2026-11-25T11:59:45Z"},
			AgentStatus{Name: "leaf-01", Generation: 3, LastAppliedGen: 3, LastHeartbeat: beat}},
		{"float64 from a JSON decoder", map[string]any{"lastAppliedGen": 3.0, "lastHeartbeat": "2026-11-25T11:59:45.000Z"},
			AgentStatus{Name: "leaf-01", Generation: 3, LastAppliedGen: 3, LastHeartbeat: beat}},
		{"no status yet", nil, AgentStatus{Name: "leaf-01", Generation: 3}},
		{"garbage", map[string]any{"lastAppliedGen": "three", "lastHeartbeat": "yesterday"},
			AgentStatus{Name: "leaf-01", Generation: 3}},
	} {
		obj := map[string]any{"metadata": map[string]any{"name": "leaf-01", "generation": int64(3)}}
		if tc.status != nil {
			obj["status"] = tc.status
		}
		if got := agentStatus(&unstructured.Unstructured{Object: obj}); !got.LastHeartbeat.Equal(tc.want.LastHeartbeat) ||
			got.Name != tc.want.Name || got.Generation != tc.want.Generation || got.LastAppliedGen != tc.want.LastAppliedGen {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
