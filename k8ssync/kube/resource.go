package kube

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Kubernetes status values the plugin stores in kubernetes_status
// (its KubernetesStatusChoices).
const (
	StatusLive    = "live"
	StatusError   = "error"
	StatusApplied = "applied"
)

// Resource is one custom resource, reduced to what NetBox stores of it.
type Resource struct {
	Namespace       string
	Name            string
	UID             string
	ResourceVersion string
	// Spec is the CR's spec as decoded JSON (nil when the CR has none).
	Spec any
	// Labels and Annotations are nil when the CR has none.
	Labels      map[string]string
	Annotations map[string]string
	// Status is the plugin's kubernetes_status, see ReadyStatus.
	Status string
}

// FromUnstructured extracts a Resource. Items without a name are skipped by
// the plugin and by us (ok is false). An item without a namespace is given
// the namespace it was listed in, as the plugin does with 'default'.
func FromUnstructured(u *unstructured.Unstructured, listedNamespace string) (r Resource, ok bool) {
	name := u.GetName()
	ns, ok := listedKey(u.GetNamespace(), name, listedNamespace)
	if !ok {
		return Resource{}, false
	}
	return Resource{
		Namespace:       ns,
		Name:            name,
		UID:             string(u.GetUID()),
		ResourceVersion: u.GetResourceVersion(),
		Spec:            u.Object["spec"],
		Labels:          u.GetLabels(),
		Annotations:     u.GetAnnotations(),
		Status:          ReadyStatus(u.Object),
	}, true
}

// listedKey is the namespace a listed item is synced under, and false for
// an item that is skipped (no name): the rule of FromUnstructured and of
// Fingerprint, which must see the same items.
func listedKey(namespace, name, listedNamespace string) (string, bool) {
	if name == "" {
		return "", false
	}
	if namespace == "" {
		return listedNamespace, true
	}
	return namespace, true
}

// ReadyStatus derives kubernetes_status the way the plugin does
// (_determine_resource_status): a Ready condition "True" is live, any other
// Ready value is error, and no Ready condition at all is applied. Hedgehog
// CRs have an empty status, so in practice they are all "applied".
func ReadyStatus(obj map[string]any) string {
	v, found, err := unstructured.NestedFieldNoCopy(obj, "status", "conditions")
	conditions, isList := v.([]any)
	if err != nil || !found || !isList {
		return StatusApplied
	}
	for _, c := range conditions {
		cond, ok := c.(map[string]any)
		if !ok || cond["type"] != "Ready" {
			continue
		}
		if cond["status"] == "True" {
			return StatusLive
		}
		return StatusError
	}
	return StatusApplied
}
