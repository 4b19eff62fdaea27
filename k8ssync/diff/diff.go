// Package diff decides, for one kind of one fabric, which NetBox objects
// to create, update and delete so that NetBox matches the custom resources
// just listed, and which to leave alone.
package diff

import (
	"time"

	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// Key identifies an object within a fabric and kind, as the plugin's
// unique_together (fabric, namespace, name) does.
type Key struct {
	Namespace string
	Name      string
}

func (k Key) String() string { return k.Namespace + "/" + k.Name }

// Write is one object to create or update.
type Write struct {
	Key    Key
	Record netbox.Record
}

// Removal is one NetBox object to delete.
type Removal struct {
	Key Key
	ID  int
}

// Plan is what to do for one kind.
type Plan struct {
	Create    []Write
	Update    []Write
	Delete    []Removal
	Unchanged int
}

// Input is one kind's two sides.
type Input struct {
	// Fabric is the fabric's id, written on created objects.
	Fabric int
	// Resources is what Kubernetes has.
	Resources []kube.Resource
	// Objects is what NetBox has for this fabric and kind.
	Objects []netbox.Object
	// Prune allows deleting objects whose resource is gone. The caller
	// passes true only when the operator wants pruning AND Resources is
	// the complete listing of the kind: an object missing from a partial or
	// failed listing is unknown, not gone.
	Prune bool
	// Now is written as last_synced on created and updated objects.
	Now time.Time
}

// Compute returns the plan for in, through an Index: what the sync does
// page by page, here for lists already in memory.
func Compute(in Input) Plan {
	x := NewIndex(in.Fabric, in.Now)
	for i := range in.Objects {
		x.Add(&in.Objects[i])
	}
	var p Plan
	for i := range in.Resources {
		switch action, w := x.Visit(&in.Resources[i]); action {
		case Create:
			p.Create = append(p.Create, w)
		case Update:
			p.Update = append(p.Update, w)
		case Unchanged:
			p.Unchanged++
		}
	}
	if in.Prune {
		p.Delete = x.Gone()
	}
	return p
}

// Matches reports whether NetBox object o already holds everything the
// sync would write for resource r: spec, labels, annotations, uid,
// resourceVersion and kubernetes_status, compared as JSON values.
func Matches(r *kube.Resource, o *netbox.Object) bool {
	return r.UID == o.KubernetesUID &&
		r.ResourceVersion == o.KubernetesResourceVersion &&
		r.Status == o.KubernetesStatus &&
		stringMapEqual(r.Labels, o.Labels) &&
		stringMapEqual(r.Annotations, o.Annotations) &&
		specEqual(r.Spec, o.Spec)
}

// record is what the plugin's sync writes for a resource: its content, the
// time, no error, auto_sync on. Missing spec, labels and annotations are
// written as {} (the fields are JSON objects, and null is not {}).
func record(r *kube.Resource, now time.Time) netbox.Record {
	spec := r.Spec
	if spec == nil {
		spec = map[string]any{}
	}
	return netbox.Record{
		Spec:                      spec,
		Labels:                    orEmpty(r.Labels),
		Annotations:               orEmpty(r.Annotations),
		KubernetesUID:             r.UID,
		KubernetesResourceVersion: r.ResourceVersion,
		KubernetesStatus:          r.Status,
		LastSynced:                now.UTC(),
		SyncError:                 "",
		AutoSync:                  true,
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
