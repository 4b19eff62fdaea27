package kube

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/pager"
	"k8s.io/utils/clock"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// WatchEvent is what a kind's watch reports.
type WatchEvent int

const (
	// EventChange: an object of the kind was added, changed or deleted
	// (seen on the watch, or found by a re-list after a gap).
	EventChange WatchEvent = iota
	// EventDown: the API server cannot be reached or refused the token
	// (a connection-level Class): the fabric's status must say so.
	EventDown
	// EventUp: the kind is listed again after EventDown.
	EventUp
	// EventWatchForbidden: the token may list the kind but not watch it
	// (RBAC without "watch"). The kind's watch stops.
	EventWatchForbidden
)

// WatchOptions tune Watch; zero values pick the defaults.
type WatchOptions struct {
	// Notify receives the kind's events. It must not block for long.
	Notify func(k kinds.Kind, ev WatchEvent, err error)
	// MinBackoff and MaxBackoff bound the wait before a failed list or
	// watch is tried again (doubling, with jitter); default 1s and 5m.
	MinBackoff, MaxBackoff time.Duration
	// PageSize is the list page size; default 500.
	PageSize int64
	// ListTimeout bounds one list (the watch client has no request
	// timeout, or it would cut the watches); default 1m.
	ListTimeout time.Duration
	// Clock is the clock of the backoff; default the real one.
	Clock clock.Clock
	// Logger receives debug lines; default none.
	Logger *zap.Logger
}

func (o *WatchOptions) defaults() {
	o.MinBackoff = cmpOr(o.MinBackoff, time.Second)
	o.MaxBackoff = cmpOr(o.MaxBackoff, 5*time.Minute)
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	o.ListTimeout = cmpOr(o.ListTimeout, time.Minute)
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Notify == nil {
		o.Notify = func(kinds.Kind, WatchEvent, error) {}
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// errGone means the watch's resourceVersion is too old (410 Gone): list
// again.
var errGone = errors.New("resource version too old")

// kindWatch is the state of one kind's watch: the metadata of the objects
// as last seen (name → resourceVersion), to tell after a re-list whether
// anything changed during the gap.
type kindWatch struct {
	kind     kinds.Kind
	res      metadata.ResourceInterface
	o        WatchOptions
	known    map[string]string
	rv       string
	listed   bool // a list succeeded at least once
	down     bool // EventDown was reported and no list succeeded since
	failures int
}

// WatchKind watches one kind in namespace with the metadata client
// (PartialObjectMetadata: names and versions, never specs) until ctx
// ends: list, then watch from the list's resourceVersion with bookmarks,
// re-watch when the API server closes the watch, re-list after 410 Gone,
// back off on errors. A token that may not watch ends it
// (EventWatchForbidden). Changes found by the first list are not events:
// that list is the starting point.
func WatchKind(ctx context.Context, client metadata.Interface, namespace string, k kinds.Kind, o WatchOptions) {
	o.defaults()
	if namespace == "" {
		namespace = "default"
	}
	w := &kindWatch{kind: k, res: client.Resource(k.GVR()).Namespace(namespace), o: o, known: map[string]string{}}
	for ctx.Err() == nil {
		if err := w.list(ctx); err != nil {
			w.failed(ctx, err)
			continue
		}
		for ctx.Err() == nil {
			err := w.watch(ctx)
			if errors.Is(err, errGone) {
				break // re-list
			}
			if apierrors.IsForbidden(err) {
				o.Notify(k, EventWatchForbidden, err)
				return
			}
			if err != nil {
				w.failed(ctx, err)
			}
		}
	}
}

// list reads the kind's metadata page by page and reports a change when
// it differs from what was known.
func (w *kindWatch) list(ctx context.Context) error {
	p := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return w.res.List(ctx, opts)
	})
	p.PageSize = w.o.PageSize
	ctx, cancel := context.WithTimeout(ctx, w.o.ListTimeout)
	defer cancel()
	obj, _, err := p.List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	now := map[string]string{}
	if err := meta.EachListItem(obj, func(o runtime.Object) error {
		m, err := meta.Accessor(o)
		if err != nil {
			return err
		}
		now[m.GetName()] = m.GetResourceVersion()
		return nil
	}); err != nil {
		return err
	}
	lm, err := meta.ListAccessor(obj)
	if err != nil {
		return err
	}
	changed := w.listed && !sameVersions(w.known, now)
	w.known, w.rv, w.listed, w.failures = now, lm.GetResourceVersion(), true, 0
	if w.down {
		w.down = false
		w.o.Notify(w.kind, EventUp, nil)
	}
	if changed {
		w.o.Notify(w.kind, EventChange, nil)
	}
	return nil
}

func sameVersions(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// watch runs one watch request from w.rv until the API server ends it
// (nil), the version is gone (errGone) or it fails.
func (w *kindWatch) watch(ctx context.Context) error {
	// The API server ends a watch after this; a spread keeps a fabric's
	// twelve watches from reconnecting together.
	timeout := int64(300 + rand.IntN(300))
	wi, err := w.res.Watch(ctx, metav1.ListOptions{ResourceVersion: w.rv, AllowWatchBookmarks: true, TimeoutSeconds: &timeout})
	if err != nil {
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return errGone
		}
		return err
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return nil
			}
			if err := w.event(ev); err != nil {
				return err
			}
		}
	}
}

// event applies one watch event.
func (w *kindWatch) event(ev watch.Event) error {
	if ev.Type == watch.Error {
		err := apierrors.FromObject(ev.Object)
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return errGone
		}
		return fmt.Errorf("watch %s: %w", w.kind.Resource, err)
	}
	m, err := meta.Accessor(ev.Object)
	if err != nil {
		return fmt.Errorf("watch %s: event without metadata: %w", w.kind.Resource, err)
	}
	w.rv = m.GetResourceVersion()
	w.failures = 0
	switch ev.Type {
	case watch.Bookmark:
		return nil
	case watch.Deleted:
		delete(w.known, m.GetName())
	default:
		if w.known[m.GetName()] == m.GetResourceVersion() {
			return nil // already seen (a re-watch can repeat the last event)
		}
		w.known[m.GetName()] = m.GetResourceVersion()
	}
	w.o.Notify(w.kind, EventChange, nil)
	return nil
}

// failed reports a connection-level failure once and waits out the
// backoff. A 404 (CRD not installed) or a forbidden list waits the
// longest: they change only when an operator acts.
func (w *kindWatch) failed(ctx context.Context, err error) {
	class := Classify(err)
	if ctx.Err() != nil {
		return
	}
	if class.ConnectionLevel() && !w.down {
		w.down = true
		w.o.Notify(w.kind, EventDown, err)
	}
	w.failures++
	d := w.o.MaxBackoff
	if class != ClassNotFound && class != ClassForbidden {
		d = min(w.o.MinBackoff<<min(w.failures-1, 20), w.o.MaxBackoff)
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1)) // jitter in [d/2, d]
	w.o.Logger.Debug("watch failed; trying again", zap.String("kind", w.kind.Kind), zap.String("class", string(class)),
		zap.Duration("after", d), zap.Error(err))
	t := w.o.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}
