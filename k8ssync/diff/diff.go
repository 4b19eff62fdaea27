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

// Compute returns the plan for in. Objects that already match are neither
// updated nor touched (not even last_synced), so that a resync with no
// change makes no write at all. An object that NetBox refused last time
// (for example an empty spec) is simply missing from Objects and is planned
// as a create again: the sync heals on its own once NetBox accepts it.
//
// When NetBox holds two objects with the same key (the plugin's unique
// constraint forbids it), the one with the lowest id is compared and the
// others are left alone.
func Compute(in Input) Plan {
	existing := make(map[Key]*netbox.Object, len(in.Objects))
	for i := range in.Objects {
		o := &in.Objects[i]
		k := Key{o.Namespace, o.Name}
		if prev, dup := existing[k]; !dup || o.ID < prev.ID {
			existing[k] = o
		}
	}
	var p Plan
	wanted := make(map[Key]struct{}, len(in.Resources))
	for i := range in.Resources {
		r := &in.Resources[i]
		k := Key{r.Namespace, r.Name}
		if _, dup := wanted[k]; dup {
			continue // a list never repeats a name; be safe anyway
		}
		wanted[k] = struct{}{}
		o, found := existing[k]
		switch {
		case !found:
			rec := record(r, in.Now)
			rec.Fabric, rec.Namespace, rec.Name = in.Fabric, r.Namespace, r.Name
			p.Create = append(p.Create, Write{Key: k, Record: rec})
		case Matches(r, o):
			p.Unchanged++
		default:
			rec := record(r, in.Now)
			rec.ID = o.ID
			p.Update = append(p.Update, Write{Key: k, Record: rec})
		}
	}
	if in.Prune {
		for i := range in.Objects {
			o := &in.Objects[i]
			k := Key{o.Namespace, o.Name}
			if _, keep := wanted[k]; keep || existing[k] != o {
				continue
			}
			p.Delete = append(p.Delete, Removal{Key: k, ID: o.ID})
		}
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
