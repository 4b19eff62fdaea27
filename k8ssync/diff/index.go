package diff

import (
	"cmp"
	"slices"
	"time"

	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// Action is what Visit decided for one resource.
type Action int

const (
	// Unchanged: NetBox already holds what the sync would write.
	Unchanged Action = iota
	// Create: NetBox has no object for the resource.
	Create
	// Update: NetBox's object differs from the resource.
	Update
	// Repeat: the resource was visited before (a list restarted after an
	// expired continue token passes some items again); nothing to do.
	Repeat
)

// Index is one kind's NetBox side, reduced to what the comparison needs:
// per key the object's id and the Digest of its compared fields. It is
// built while NetBox's pages are read (Add), then each custom resource is
// compared as its Kubernetes page arrives (Visit), and once the listing is
// complete what no resource claimed is Gone. It holds no spec, label or
// annotation, so a kind of 20,000 objects costs a few MB.
//
// An Index is not safe for concurrent use.
type Index struct {
	fabric  int
	now     time.Time
	objects map[Key]*entry
	// created holds the keys planned as creates, so that a repeated item
	// is not created twice.
	created map[Key]struct{}
}

type entry struct {
	id      int
	digest  Digest
	visited bool
}

// NewIndex returns an empty Index for one kind of fabric; now is written
// as last_synced on created and updated objects.
func NewIndex(fabric int, now time.Time) *Index {
	return &Index{fabric: fabric, now: now, objects: map[Key]*entry{}, created: map[Key]struct{}{}}
}

// Len is the number of NetBox objects indexed (one per key).
func (x *Index) Len() int { return len(x.objects) }

// Add indexes one NetBox object of the fabric and kind. When NetBox holds
// two objects with the same key (the plugin's unique constraint forbids
// it), the one with the lowest id is compared and the others are left
// alone: never updated, never deleted.
func (x *Index) Add(o *netbox.Object) {
	k := Key{o.Namespace, o.Name}
	if prev, dup := x.objects[k]; dup && prev.id < o.ID {
		return
	}
	x.objects[k] = &entry{id: o.ID, digest: ObjectDigest(o)}
}

// Visit compares one custom resource with NetBox's object of the same key
// and returns what to do; for Create and Update, the record to send.
// Objects that already match are neither updated nor touched (not even
// last_synced), so that a resync with no change makes no write at all. An
// object NetBox refused last time (for example an empty spec) is simply
// absent and planned as a create again: the sync heals on its own once
// NetBox accepts it.
func (x *Index) Visit(r *kube.Resource) (Action, Write) {
	k := Key{r.Namespace, r.Name}
	e, found := x.objects[k]
	switch {
	case !found:
		if _, dup := x.created[k]; dup {
			return Repeat, Write{}
		}
		x.created[k] = struct{}{}
		rec := record(r, x.now)
		rec.Fabric, rec.Namespace, rec.Name = x.fabric, r.Namespace, r.Name
		return Create, Write{Key: k, Record: rec}
	case e.visited:
		return Repeat, Write{}
	}
	e.visited = true
	if ResourceDigest(r) == e.digest {
		return Unchanged, Write{}
	}
	rec := record(r, x.now)
	rec.ID = e.id
	return Update, Write{Key: k, Record: rec}
}

// Gone returns the objects no visited resource claimed. Only the caller
// knows whether that means "deleted in Kubernetes": it asks only after the
// kind was listed completely, with the cluster reachable throughout.
func (x *Index) Gone() []Removal {
	var out []Removal
	for k, e := range x.objects {
		if !e.visited {
			out = append(out, Removal{Key: k, ID: e.id})
		}
	}
	slices.SortFunc(out, func(a, b Removal) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
