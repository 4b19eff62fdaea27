package diff

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

func TestChangedFields(t *testing.T) {
	base := func() (kube.Resource, netbox.Object) {
		r := kube.Resource{Namespace: "default", Name: "leaf-01", UID: "u1", ResourceVersion: "7", Status: "applied",
			Spec: map[string]any{"role": "server-leaf", "asn": int64(65101)}, Labels: map[string]string{"a": "b"}}
		o := netbox.Object{Namespace: "default", Name: "leaf-01", KubernetesUID: "u1", KubernetesResourceVersion: "7",
			KubernetesStatus: "applied", Spec: map[string]any{"role": "server-leaf", "asn": json.Number("65101")},
			Labels: map[string]any{"a": "b"}}
		return r, o
	}
	for _, tc := range []struct {
		name   string
		change func(r *kube.Resource, o *netbox.Object)
		want   []string
	}{
		{"nothing", func(*kube.Resource, *netbox.Object) {}, nil},
		{"one spec key and the version", func(r *kube.Resource, _ *netbox.Object) {
			r.Spec.(map[string]any)["asn"] = int64(65102)
			r.ResourceVersion = "8"
		}, []string{"spec.asn", "kubernetes_resource_version"}},
		{"key added in the cluster, key only in NetBox", func(r *kube.Resource, o *netbox.Object) {
			r.Spec.(map[string]any)["description"] = "x"
			o.Spec.(map[string]any)["profile"] = "vs"
		}, []string{"spec.description", "spec.profile"}},
		{"spec no longer an object", func(_ *kube.Resource, o *netbox.Object) { o.Spec = "broken" }, []string{"spec"}},
		{"labels, annotations, uid, status", func(r *kube.Resource, _ *netbox.Object) {
			r.Labels = nil
			r.Annotations = map[string]string{"n": "1"}
			r.UID, r.Status = "u2", "live"
		}, []string{"labels", "annotations", "kubernetes_uid", "kubernetes_status"}},
		{"absent spec equals {}", func(r *kube.Resource, o *netbox.Object) { r.Spec, o.Spec = nil, map[string]any{} }, nil},
	} {
		r, o := base()
		tc.change(&r, &o)
		got := ChangedFields(&r, &o)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if (len(got) == 0) != Matches(&r, &o) {
			t.Errorf("%s: ChangedFields %v but Matches %v", tc.name, got, Matches(&r, &o))
		}
	}
}

// ChangedFields and Matches never disagree, whatever the two specs are.
func FuzzChangedFieldsAgreesWithMatches(f *testing.F) {
	f.Add(`{"role":"spine"}`, `{"role":"spine"}`, "7", "7")
	f.Add(`{"asn":1}`, `{"asn":1.0}`, "7", "8")
	f.Add(`null`, `{}`, "", "")
	f.Add(`[1]`, `{"a":[1]}`, "1", "1")
	f.Fuzz(func(t *testing.T, crSpec, nbSpec, crRV, nbRV string) {
		var a, b any
		if json.Unmarshal([]byte(crSpec), &a) != nil || json.Unmarshal([]byte(nbSpec), &b) != nil {
			return
		}
		r := kube.Resource{Spec: a, ResourceVersion: crRV}
		o := netbox.Object{Spec: b, KubernetesResourceVersion: nbRV}
		if got := ChangedFields(&r, &o); (len(got) == 0) != Matches(&r, &o) {
			t.Errorf("ChangedFields %v, Matches %v", got, Matches(&r, &o))
		}
	})
}
