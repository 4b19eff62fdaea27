package diff

import (
	"slices"

	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// ChangedFields names the NetBox fields an update of o from r would
// change, in a fixed order: the spec's top-level keys as "spec.<key>"
// (sorted; "spec" alone when either side is not an object), then labels,
// annotations, kubernetes_uid, kubernetes_resource_version and
// kubernetes_status. It is empty exactly when Matches(r, o).
func ChangedFields(r *kube.Resource, o *netbox.Object) []string {
	var out []string
	if !specEqual(r.Spec, o.Spec) {
		out = append(out, specFields(r.Spec, o.Spec)...)
	}
	if !stringMapEqual(r.Labels, o.Labels) {
		out = append(out, "labels")
	}
	if !stringMapEqual(r.Annotations, o.Annotations) {
		out = append(out, "annotations")
	}
	for _, f := range []struct {
		name      string
		cr, other string
	}{
		{"kubernetes_uid", r.UID, o.KubernetesUID},
		{"kubernetes_resource_version", r.ResourceVersion, o.KubernetesResourceVersion},
		{"kubernetes_status", r.Status, o.KubernetesStatus},
	} {
		if f.cr != f.other {
			out = append(out, f.name)
		}
	}
	return out
}

// specFields lists the top-level keys of two differing specs whose values
// differ (present on one side only counts).
func specFields(cr, nb any) []string {
	a, aok := asObject(cr)
	b, bok := asObject(nb)
	if !aok || !bok {
		return []string{"spec"}
	}
	var keys []string
	for k, av := range a {
		if bv, found := b[k]; !found || !jsonEqual(av, bv) {
			keys = append(keys, "spec."+k)
		}
	}
	for k := range b {
		if _, found := a[k]; !found {
			keys = append(keys, "spec."+k)
		}
	}
	slices.Sort(keys)
	return keys
}

// asObject treats an absent spec as {} (the sync writes {} for it).
func asObject(v any) (map[string]any, bool) {
	if v == nil {
		return map[string]any{}, true
	}
	m, ok := v.(map[string]any)
	return m, ok
}
