package k8ssync

import (
	"context"
	"sync"
	"time"

	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// Change marks: a resync that nothing changed reads only what tells it
// so. After a kind of a fabric was compared in full and found in sync
// (nothing to create, update or delete, no error), the engine keeps the
// kind's two marks: NetBox's (the route's count and newest last_updated,
// from the full read itself) and the cluster's (the Fingerprint of the
// list that was compared). The next sync reads both marks again — a
// one-object NetBox list and a metadata-only Kubernetes list — and, when
// both are the same, counts the kind unchanged without reading its
// objects. Anything else compares in full: a mark that differs or cannot
// be read, a NetBox that ignores ?ordering=, a mark older than
// FullCompareEvery (which repairs edits that bypass last_updated), and
// every plan. The marks are a few dozen bytes per kind and fabric, in
// this gateway's memory only: a restart or another gateway compares in
// full once.

// DefaultFullCompareEvery is Options.FullCompareEvery's default.
const DefaultFullCompareEvery = time.Hour

type markKey struct {
	fabric            int
	server, namespace string
	kind              string
}

type kindMark struct {
	netbox netbox.ChangeMark
	kube   kube.Fingerprint
	at     time.Time
}

// markStore is the engine's marks, safe for concurrent use.
type markStore struct {
	mu sync.Mutex
	m  map[markKey]kindMark
}

func (s *markStore) get(k markKey) (kindMark, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.m[k]
	return m, ok
}

func (s *markStore) put(k markKey, m kindMark) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[markKey]kindMark{}
	}
	s.m[k] = m
}

func (s *markStore) drop(k markKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
}

// dropFabric forgets every mark of fabric id (it is gone).
func (s *markStore) dropFabric(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.m {
		if k.fabric == id {
			delete(s.m, k)
		}
	}
}

func (r *run) markKey(k kinds.Kind) markKey {
	return markKey{fabric: r.id, server: r.fabric.KubernetesServer, namespace: r.fabric.KubernetesNamespace, kind: k.Kind}
}

// marksOn reports whether this sync uses change marks.
func (r *run) marksOn() bool { return !r.dryRun && r.e.o.FullCompareEvery > 0 }

// confirmUnchanged returns, per kind, the Fingerprint of the kinds whose
// stored marks both still hold (nil for every other kind): for each kind
// with a mark younger than FullCompareEvery, NetBox's mark is read again
// and, when it is the same, the kind's metadata is listed. Any error
// leaves the kind to the full compare, which reports it.
func (r *run) confirmUnchanged(ctx context.Context, reader *kube.Reader) []*kube.Fingerprint {
	out := make([]*kube.Fingerprint, len(kinds.All))
	if !r.marksOn() {
		return out
	}
	r.fourAtATime(kinds.All, "reading change marks", func(i int) {
		k := kinds.All[i]
		stored, ok := r.e.marks.get(r.markKey(k))
		if !ok || r.start.Sub(stored.at) >= r.e.o.FullCompareEvery {
			return
		}
		now, ok, err := r.e.netbox.ReadChangeMark(ctx, k.Route)
		if err != nil || !ok || !stored.netbox.Same(now) {
			return
		}
		fp, err := reader.Fingerprint(ctx, k)
		if err != nil || fp != stored.kube {
			return
		}
		out[i] = &fp
	}, nil)
	return out
}

// recordMark keeps kind s's marks when its full compare found it in sync,
// and forgets them otherwise. NetBox's mark is the one its full read gave
// (netbox.Client.ReadFabricObjects).
func (r *run) recordMark(s *kindSync, l kube.Listing) {
	if !r.marksOn() {
		return
	}
	key := r.markKey(s.k)
	st := s.stats
	clean := s.markOK && l.Status == kube.StatusOK && l.Restarts == 0 && r.connClass == "" && r.netboxDown == nil &&
		s.index != nil && s.netboxErr == nil && len(s.index.Gone()) == 0 &&
		st.Created == 0 && st.Updated == 0 && st.Deleted == 0 && st.Errors == 0 && st.PruneHeld == nil &&
		st.Unchanged == l.Count && s.fp != nil
	if !clean {
		r.e.marks.drop(key)
		return
	}
	r.e.marks.put(key, kindMark{netbox: s.mark, kube: s.fp.Fingerprint(), at: r.start})
}
