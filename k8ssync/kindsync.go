package k8ssync

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync/diff"
	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// kindSync is one kind while it is synced: NetBox's side reduced to an
// index, the writes waiting to fill a batch, and the counts. The sync
// holds one per kind, never a kind's objects: a page of custom resources
// and a batch of writes at a time.
type kindSync struct {
	k     kinds.Kind
	stats *KindStats

	// ready is closed once NetBox's side is read: index, or netboxErr.
	ready     chan struct{}
	index     *diff.Index
	netboxErr error

	// creates and updates are planned writes not sent yet (< BatchSize).
	creates, updates []diff.Write
	// fp fingerprints what Kubernetes listed, for the kind's change mark
	// (nil: the kind was confirmed unchanged by its marks, not listed);
	// mark is NetBox's as its full read found it (markOK: trustworthy).
	fp     *kube.FingerprintBuilder
	mark   netbox.ChangeMark
	markOK bool

	// writeErrs are the kind's write failures not reported yet
	// (reportWriteErrors), writeErrsMore those beyond MaxErrorDetails.
	writeErrs     []ErrorDetail
	writeErrsMore int

	// For a plan (dry run) only: the kind's entry, and NetBox's compared
	// fields per key so that an update can name the fields it changes.
	plan    *KindPlan
	objects map[diff.Key]*netbox.Object
}

// syncKinds syncs every kind: the kinds whose change marks still hold are
// counted unchanged (marks.go); the others are compared in full: NetBox's
// objects are read into one index per kind (a few routes at a time) while
// Kubernetes is listed (a few kinds at a time, each kind as soon as its
// index is ready); every page's creates and updates are sent as batches
// fill. Deletes come last, once every kind was listed: only then is it
// known which kinds were listed completely with the cluster reachable
// throughout.
func (r *run) syncKinds(ctx context.Context, reader *kube.Reader) {
	ks := make([]*kindSync, len(kinds.All))
	for i, k := range kinds.All {
		ks[i] = &kindSync{k: k, stats: &KindStats{}, ready: make(chan struct{})}
		r.kindStats[k.Kind] = ks[i].stats
		if r.dryRun {
			ks[i].plan = r.kindPlan(k, ks[i].stats)
			ks[i].objects = map[diff.Key]*netbox.Object{}
		}
	}
	confirmed := r.confirmUnchanged(ctx, reader)
	var full []*kindSync
	for i, s := range ks {
		if fp := confirmed[i]; fp != nil {
			s.stats.Unchanged, s.stats.ByChangeMarks = fp.Count, true
			r.prog.kindRead(fp.Count)
			continue
		}
		s.fp = kube.NewFingerprintBuilder()
		full = append(full, s)
	}
	listed := r.compareInFull(ctx, reader, full)
	r.listings = make([]kube.Listing, len(ks))
	for i, j := 0, 0; i < len(ks); i++ {
		if fp := confirmed[i]; fp != nil {
			r.listings[i] = kube.Listing{Kind: ks[i].k, Status: kube.StatusOK, Count: fp.Count}
			continue
		}
		r.listings[i] = listed[j]
		j++
	}
	r.noteConnection()
	r.readAgents(ctx, reader)

	for i, s := range ks {
		r.finishKind(ctx, s, r.listings[i])
	}
	for i, s := range ks {
		r.deletes(ctx, s, r.listings[i])
		if confirmed[i] == nil {
			r.recordMark(s, r.listings[i])
		}
	}
}

// compareInFull reads the kinds ks from both sides and compares them:
// NetBox into the kinds' indexes while Kubernetes streams each kind
// through its visitor (and its fingerprint). It returns ks' listings.
func (r *run) compareInFull(ctx context.Context, reader *kube.Reader, ks []*kindSync) []kube.Listing {
	var wg sync.WaitGroup
	wg.Go(func() { r.readNetBox(ctx, ks) })
	defer wg.Wait()
	return reader.StreamAllDone(ctx, kindsOf(ks), func(i int) kube.Visit {
		s := ks[i]
		visit := r.visitor(ctx, s)
		return func(res kube.Resource) { s.fp.AddResource(&res); visit(res) }
	}, func(i int, l kube.Listing) {
		r.prog.kindRead(l.Count)
		// The kind's last partial batches go now, beside the other kinds'
		// lists and writes, not after every kind was listed.
		r.flushKind(ctx, ks[i])
	})
}

func kindsOf(ks []*kindSync) []kinds.Kind {
	out := make([]kinds.Kind, len(ks))
	for i, s := range ks {
		out[i] = s.k
	}
	return out
}

// fourAtATime calls fn(i) for each kind ks[i], four at a time, and waits
// for all. A panic in fn(i) is logged (what names the work) and handed to
// done(i, p); done (if not nil) runs after every fn(i), p nil when fn
// returned.
func (r *run) fourAtATime(ks []kinds.Kind, what string, fn func(i int), done func(i int, p any)) {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range ks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() {
				p := recover()
				if p != nil {
					r.e.log.Error("panic while "+what, zap.String("kind", ks[i].Kind),
						zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				}
				if done != nil {
					done(i, p)
				}
				<-sem
			}()
			fn(i)
		})
	}
	wg.Wait()
}

// readNetBox reads this fabric's objects of every kind from NetBox into
// the kinds' indexes, a few routes at a time, in the kinds' order (the
// order Kubernetes is listed in).
func (r *run) readNetBox(ctx context.Context, ks []*kindSync) {
	r.fourAtATime(kindsOf(ks), "listing NetBox objects", func(i int) {
		s := ks[i]
		index := diff.NewIndex(r.id, r.stamp)
		add := index.Add
		if s.objects != nil {
			add = func(o *netbox.Object) { index.Add(o); s.keep(o) }
		}
		mark, ok, err := r.e.netbox.ReadFabricObjects(ctx, s.k.Route, r.id, netbox.CompareFields, add)
		if err != nil {
			s.netboxErr = err
			return
		}
		s.index, s.mark, s.markOK = index, mark, ok
	}, func(i int, p any) {
		s := ks[i]
		if p != nil {
			s.index, s.netboxErr = nil, fmt.Errorf("internal error: panic: %v", p)
		}
		close(s.ready)
	})
}

// visitor waits for the kind's index, then returns what compares each
// custom resource as its page arrives. Without an index (NetBox's list
// failed) resources are only counted.
func (r *run) visitor(ctx context.Context, s *kindSync) kube.Visit {
	select {
	case <-s.ready:
	case <-ctx.Done():
		return func(kube.Resource) {}
	}
	if s.index == nil {
		return func(kube.Resource) {}
	}
	if s.plan != nil {
		return func(res kube.Resource) { s.planVisit(&res) }
	}
	batch := r.e.netbox.BatchSize()
	return func(res kube.Resource) {
		switch action, w := s.index.Visit(&res); action {
		case diff.Unchanged:
			s.stats.Unchanged++
		case diff.Create:
			s.creates = append(s.creates, w)
			if len(s.creates) >= batch {
				r.send(ctx, s, opCreate, s.creates)
				s.creates = nil
			}
		case diff.Update:
			s.updates = append(s.updates, w)
			if len(s.updates) >= batch {
				r.send(ctx, s, opUpdate, s.updates)
				s.updates = nil
			}
		}
	}
}

// flushKind sends the kind's last partial batches, once its list ended.
// The writes of pages already read are sent also when the list failed
// later: they are what Kubernetes holds.
func (r *run) flushKind(ctx context.Context, s *kindSync) {
	if len(s.creates) > 0 {
		r.send(ctx, s, opCreate, s.creates)
	}
	if len(s.updates) > 0 {
		r.send(ctx, s, opUpdate, s.updates)
	}
	s.creates, s.updates = nil, nil
}

// finishKind records the kind's outcome, or why it failed: its write
// errors first (its writes went as its list ended, in compareInFull; a
// kind its change marks confirmed has none). A kind whose list failed is
// reported failed and never pruned.
func (r *run) finishKind(ctx context.Context, s *kindSync, l kube.Listing) {
	r.reportWriteErrors(s)
	ks := s.stats
	ks.Listed = l.Count
	r.stats.TotalCRDs += l.Count
	r.stats.Unchanged += ks.Unchanged
	switch l.Status {
	case kube.StatusFailed:
		msg := r.red.clean(l.Err.Error())
		ks.Status, ks.Error = KindFailed, msg
		ks.Errors++
		if l.Class == kube.ClassInternal && r.panicMsg == "" {
			r.panicMsg = msg
		}
		r.addError(s.k.Kind, "", "list", msg)
		return
	case kube.StatusNotInstalled:
		ks.Status = KindNotInstalled
	default:
		ks.Status = KindOK
	}
	if s.netboxErr != nil {
		msg := r.red.clean(s.netboxErr.Error())
		ks.Status, ks.Error = KindFailed, msg
		ks.Errors++
		r.netboxFailed(ctx, s.netboxErr, false)
		r.addError(s.k.Kind, "", "list_netbox", msg)
	}
}

// deletes decides and sends one kind's deletes: the NetBox objects no
// custom resource claimed, once the kind's two lists are complete. This is
// the one place where deletes are decided. Prune only what is known to be
// gone: this kind was listed completely (not failed, not 404), the
// cluster stayed reachable throughout the listing, and NetBox's side was
// read.
func (r *run) deletes(ctx context.Context, s *kindSync, l kube.Listing) {
	if !r.e.prune() || !l.Complete() || r.connClass != "" || s.index == nil || s.netboxErr != nil {
		return
	}
	gone := s.index.Gone()
	if len(gone) == 0 {
		return
	}
	held := r.checkPrune(s.k, s.stats, len(gone), s.index.Len())
	if s.plan != nil {
		s.planDeletes(gone, held)
		return
	}
	if held {
		return // max_prune: none of this kind is deleted (prune.go)
	}
	ws := make([]diff.Write, len(gone))
	for i, g := range gone {
		ws[i] = diff.Write{Key: g.Key, Record: netbox.Record{ID: g.ID}}
	}
	r.send(ctx, s, opDelete, ws)
	r.reportWriteErrors(s)
}
