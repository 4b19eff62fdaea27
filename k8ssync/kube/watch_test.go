package kube

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/metadata"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// fakeMeta is a metadata client whose lists and watches a test scripts:
// each List pops the next list answer, each Watch the next watch answer.
type fakeMeta struct {
	mu      sync.Mutex
	lists   []listAnswer
	watches []watchAnswer
	listN   int
	watchN  int
	rvs     []string // resourceVersions the watches were started from
	opened  chan *watch.FakeWatcher
}

type listAnswer struct {
	rv    string
	items map[string]string
	err   error
}

type watchAnswer struct{ err error }

func (f *fakeMeta) Resource(schema.GroupVersionResource) metadata.Getter { return fakeGetter{f} }

type fakeGetter struct{ f *fakeMeta }

func (g fakeGetter) Namespace(string) metadata.ResourceInterface { return g }
func (g fakeGetter) Delete(context.Context, string, metav1.DeleteOptions, ...string) error {
	return errors.New("not implemented")
}
func (g fakeGetter) DeleteCollection(context.Context, metav1.DeleteOptions, metav1.ListOptions) error {
	return errors.New("not implemented")
}
func (g fakeGetter) Get(context.Context, string, metav1.GetOptions, ...string) (*metav1.PartialObjectMetadata, error) {
	return nil, errors.New("not implemented")
}
func (g fakeGetter) Patch(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (*metav1.PartialObjectMetadata, error) {
	return nil, errors.New("not implemented")
}

func (g fakeGetter) List(context.Context, metav1.ListOptions) (*metav1.PartialObjectMetadataList, error) {
	f := g.f
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.lists[min(f.listN, len(f.lists)-1)]
	f.listN++
	if a.err != nil {
		return nil, a.err
	}
	l := &metav1.PartialObjectMetadataList{ListMeta: metav1.ListMeta{ResourceVersion: a.rv}}
	for name, rv := range a.items {
		l.Items = append(l.Items, metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: rv}})
	}
	return l, nil
}

func (g fakeGetter) Watch(_ context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	f := g.f
	f.mu.Lock()
	f.rvs = append(f.rvs, opts.ResourceVersion)
	var a watchAnswer
	if f.watchN < len(f.watches) {
		a = f.watches[f.watchN]
	}
	f.watchN++
	f.mu.Unlock()
	if !opts.AllowWatchBookmarks {
		return nil, errors.New("watch without bookmarks")
	}
	if a.err != nil {
		return nil, a.err
	}
	w := watch.NewFake()
	f.opened <- w
	return w, nil
}

func obj(name, rv string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: rv}}
}

type recorded struct {
	mu     sync.Mutex
	events []WatchEvent
	ch     chan WatchEvent
}

func (r *recorded) notify(_ kinds.Kind, ev WatchEvent, _ error) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.ch <- ev
}

func startWatch(t *testing.T, f *fakeMeta) (*recorded, context.CancelFunc, chan struct{}) {
	t.Helper()
	rec := &recorded{ch: make(chan WatchEvent, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		WatchKind(ctx, f, "fab", kinds.All[0], WatchOptions{Notify: rec.notify, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return rec, cancel, done
}

func nextWatcher(t *testing.T, f *fakeMeta) *watch.FakeWatcher {
	t.Helper()
	select {
	case w := <-f.opened:
		return w
	case <-time.After(10 * time.Second):
		t.Fatal("no watch was opened")
		return nil
	}
}

func nextEvent(t *testing.T, r *recorded) WatchEvent {
	t.Helper()
	select {
	case ev := <-r.ch:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
		return 0
	}
}

func TestWatchKindReportsChangesButNotTheFirstListOrBookmarks(t *testing.T) {
	f := &fakeMeta{lists: []listAnswer{{rv: "10", items: map[string]string{"a": "5"}}}, opened: make(chan *watch.FakeWatcher, 4)}
	rec, _, _ := startWatch(t, f)
	w := nextWatcher(t, f)
	w.Action(watch.Bookmark, obj("", "11"))
	w.Modify(obj("a", "12"))
	if ev := nextEvent(t, rec); ev != EventChange {
		t.Fatalf("event %v, want a change", ev)
	}
	// The API server ends the watch: the next starts from the last version
	// seen, without a list; the repeated last event is no change.
	w.Stop()
	w = nextWatcher(t, f)
	w.Modify(obj("a", "12"))
	w.Delete(obj("a", "13"))
	if ev := nextEvent(t, rec); ev != EventChange {
		t.Fatalf("event %v, want a change for the delete", ev)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listN != 1 || len(f.rvs) != 2 || f.rvs[0] != "10" || f.rvs[1] != "12" {
		t.Fatalf("lists %d, watches from %v; want 1 list, watches from 10 then 12", f.listN, f.rvs)
	}
	if len(rec.events) != 2 {
		t.Fatalf("events %v, want exactly two changes", rec.events)
	}
}

func TestWatchKindRelistsAfterGoneAndReportsWhatChangedInTheGap(t *testing.T) {
	gone := apierrors.NewResourceExpired("too old resource version")
	tests := []struct {
		name        string
		second      map[string]string
		wantChanges int
	}{
		{"unchanged", map[string]string{"a": "5"}, 0},
		{"edited", map[string]string{"a": "6"}, 1},
		{"added", map[string]string{"a": "5", "b": "7"}, 1},
		{"deleted", map[string]string{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeMeta{lists: []listAnswer{{rv: "10", items: map[string]string{"a": "5"}}, {rv: "20", items: tt.second}},
				watches: []watchAnswer{{err: gone}}, opened: make(chan *watch.FakeWatcher, 4)}
			rec, _, _ := startWatch(t, f)
			nextWatcher(t, f) // the watch after the re-list
			f.mu.Lock()
			rvs := append([]string(nil), f.rvs...)
			f.mu.Unlock()
			if len(rvs) != 2 || rvs[1] != "20" {
				t.Fatalf("watches from %v, want the second from the re-list's 20", rvs)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.events) != tt.wantChanges {
				t.Fatalf("events %v, want %d changes", rec.events, tt.wantChanges)
			}
		})
	}
}

func TestWatchKindGoneAsAWatchEventRelists(t *testing.T) {
	f := &fakeMeta{lists: []listAnswer{{rv: "10", items: map[string]string{}}, {rv: "30", items: map[string]string{"x": "29"}}},
		opened: make(chan *watch.FakeWatcher, 4)}
	rec, _, _ := startWatch(t, f)
	w := nextWatcher(t, f)
	w.Error(&apierrors.NewResourceExpired("gone").ErrStatus)
	if ev := nextEvent(t, rec); ev != EventChange {
		t.Fatalf("event %v, want the change the re-list found", ev)
	}
	nextWatcher(t, f)
}

func TestWatchKindWithoutWatchPermissionStopsAndSaysSoOnce(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "vpcs"}, "", errors.New("no watch verb"))
	f := &fakeMeta{lists: []listAnswer{{rv: "1"}}, watches: []watchAnswer{{err: forbidden}}, opened: make(chan *watch.FakeWatcher, 1)}
	rec, _, done := startWatch(t, f)
	if ev := nextEvent(t, rec); ev != EventWatchForbidden {
		t.Fatalf("event %v, want watch forbidden", ev)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the watch did not stop")
	}
	if len(rec.events) != 1 {
		t.Fatalf("events %v, want one", rec.events)
	}
}

func TestWatchKindReportsDownOnceThenUp(t *testing.T) {
	down := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	f := &fakeMeta{lists: []listAnswer{{err: down}, {err: down}, {err: down}, {rv: "3"}}, opened: make(chan *watch.FakeWatcher, 1)}
	rec, _, _ := startWatch(t, f)
	if ev := nextEvent(t, rec); ev != EventDown {
		t.Fatalf("event %v, want down", ev)
	}
	if ev := nextEvent(t, rec); ev != EventUp {
		t.Fatalf("event %v, want up (once, after three failed lists)", ev)
	}
	nextWatcher(t, f)
}
