// Package kube reads a fabric's Hedgehog custom resources from its
// Kubernetes API server: a client-go dynamic client, paginated lists, and
// per-kind outcomes so that one forbidden or missing kind never stops the
// others.
package kube

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	"go.uber.org/zap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// Status is the outcome of listing one kind.
type Status string

const (
	// StatusOK: the kind was listed completely.
	StatusOK Status = "ok"
	// StatusNotInstalled: the API server does not serve the kind (404).
	StatusNotInstalled Status = "not_installed"
	// StatusFailed: the list failed; Listing.Err says why.
	StatusFailed Status = "failed"
)

// Listing is the outcome of listing one kind.
type Listing struct {
	Kind   kinds.Kind
	Status Status
	// Count is the number of items listed: passed to Stream's visitor, or
	// collected in Items by List. After a restart (see Stream) it counts
	// the items of the final, complete pass.
	Count int
	// Items is complete when List's Status is StatusOK, empty otherwise;
	// Stream never fills it.
	Items []Resource
	// Restarts counts how often the list began again because its continue
	// token expired.
	Restarts int
	// Err is set when Status is StatusFailed. Its text starts with what was
	// being done ("list vpcs.vpc.githedgehog.com in namespace default: ...").
	Err error
	// Class classifies Err (or is ClassNotFound for StatusNotInstalled).
	Class Class
}

// Complete reports whether the listing is the whole truth about the kind,
// i.e. whether NetBox objects missing from it may be pruned.
func (l Listing) Complete() bool { return l.Status == StatusOK }

// ReaderOptions tune a Reader; zero values pick the defaults.
type ReaderOptions struct {
	// PageSize is the list page size (limit); default 500.
	PageSize int64
	// Parallelism is how many kinds are listed at once; default 4.
	Parallelism int
	// Logger receives one debug line per kind; default no logging.
	Logger *zap.Logger
	// Metadata, when set, serves Fingerprint (metadata-only lists).
	Metadata metadata.Interface
}

// Reader lists the synced kinds in one namespace.
type Reader struct {
	client      dynamic.Interface
	meta        metadata.Interface
	namespace   string
	pageSize    int64
	parallelism int
	log         *zap.Logger
}

// NewReader returns a Reader over client (a real dynamic client, or
// k8s.io/client-go/dynamic/fake in tests) for namespace ("" means
// "default", as in the plugin).
func NewReader(client dynamic.Interface, namespace string, o ReaderOptions) *Reader {
	if namespace == "" {
		namespace = "default"
	}
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if o.Parallelism <= 0 {
		o.Parallelism = 4
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Reader{client: client, meta: o.Metadata, namespace: namespace, pageSize: o.PageSize, parallelism: o.Parallelism, log: o.Logger}
}

// Namespace is the namespace the reader lists.
func (r *Reader) Namespace() string { return r.namespace }

// Visit receives the custom resources of one kind as their pages arrive.
type Visit func(Resource)

// StreamAll lists every kind in ks, open(i) giving the visitor of kind
// ks[i] just before its list starts (open may wait, e.g. for the other
// side of a comparison to be read). It returns one Listing per kind, in
// the order of ks. Kinds are listed concurrently, Parallelism at a time;
// each visitor is called from one goroutine at a time. Once a kind fails at
// the connection level (TLS, unreachable, token refused), kinds not yet
// started are not attempted: they fail with that same error instead of
// each waiting for its own timeout (their visitor is never opened).
func (r *Reader) StreamAll(ctx context.Context, ks []kinds.Kind, open func(i int) Visit) []Listing {
	return r.StreamAllDone(ctx, ks, open, nil)
}

// StreamAllDone is StreamAll calling done (when not nil) with each kind's
// Listing as soon as that kind's outcome is known, from the goroutine
// that listed it.
func (r *Reader) StreamAllDone(ctx context.Context, ks []kinds.Kind, open func(i int) Visit, done func(i int, l Listing)) []Listing {
	if done == nil {
		done = func(int, Listing) {}
	}
	out := make([]Listing, len(ks))
	var (
		mu      sync.Mutex
		connErr *Listing
		next    = make(chan int)
		wg      sync.WaitGroup
	)
	for w := 0; w < r.parallelism && w < len(ks); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				mu.Lock()
				prior := connErr
				mu.Unlock()
				if prior != nil {
					out[i] = Listing{Kind: ks[i], Status: StatusFailed, Class: prior.Class,
						Err: fmt.Errorf("%s: not attempted after connection failure: %w", r.what(ks[i]), prior.Err)}
					done(i, out[i])
					continue
				}
				out[i] = r.Stream(ctx, ks[i], open(i))
				done(i, out[i])
				if out[i].Class.ConnectionLevel() {
					mu.Lock()
					if connErr == nil {
						l := out[i]
						connErr = &l
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range ks {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// ListAll is StreamAll collecting every kind's items in its Listing.
func (r *Reader) ListAll(ctx context.Context, ks []kinds.Kind) []Listing {
	collected := make([]*collector, len(ks))
	out := r.StreamAll(ctx, ks, func(i int) Visit {
		collected[i] = newCollector()
		return collected[i].add
	})
	for i := range out {
		if c := collected[i]; c != nil && out[i].Status == StatusOK {
			out[i].Items = c.items
		}
	}
	return out
}

// List lists one kind completely and returns its items.
func (r *Reader) List(ctx context.Context, k kinds.Kind) Listing {
	c := newCollector()
	l := r.Stream(ctx, k, c.add)
	if l.Status == StatusOK {
		l.Items = c.items
	}
	return l
}

// collector keeps a list's items, each key once (a restarted list passes
// some again: the later pass wins).
type collector struct {
	items []Resource
	at    map[[2]string]int
}

func newCollector() *collector { return &collector{at: map[[2]string]int{}} }

func (c *collector) add(res Resource) {
	k := [2]string{res.Namespace, res.Name}
	if i, dup := c.at[k]; dup {
		c.items[i] = res
		return
	}
	c.at[k] = len(c.items)
	c.items = append(c.items, res)
}

// maxRestarts bounds how often one kind's list begins again after its
// continue token expired.
const maxRestarts = 3

// Stream lists one kind completely, page by page, passing each item to
// visit as its page arrives: at most the current page and the next one
// are held, however many objects the kind has. A continue token that
// expired (410 Gone: the list took longer than etcd's compaction window,
// e.g. while the visitor was writing) starts the list again from the
// beginning, up to maxRestarts times; the items of the earlier passes
// were passed already and will be passed again, so visitors must treat a
// key they saw as seen (the sync's diff.Index does). A failed or partial
// list is never reported as complete.
//
// A panic while listing (a bug, or a misbehaving client) is recovered and
// reported as this kind's failure.
func (r *Reader) Stream(ctx context.Context, k kinds.Kind, visit Visit) (l Listing) {
	l.Kind = k
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("panic while listing", zap.String("kind", k.Kind), zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
			l = Listing{Kind: k, Status: StatusFailed, Class: ClassInternal,
				Err: fmt.Errorf("%s: internal error: panic: %v", r.what(k), p)}
		}
	}()

	var err error
	for {
		l.Count = 0
		err = r.eachPage(ctx, k, func(page *unstructured.UnstructuredList) {
			for i := range page.Items {
				if res, ok := FromUnstructured(&page.Items[i], r.namespace); ok {
					l.Count++
					visit(res)
				}
			}
		})
		if !apierrors.IsResourceExpired(err) || l.Count == 0 || l.Restarts >= maxRestarts || ctx.Err() != nil {
			break
		}
		l.Restarts++
		r.log.Info("continue token expired, listing again from the start",
			zap.String("kind", k.Kind), zap.Int("restart", l.Restarts))
	}
	if err != nil {
		class := Classify(err)
		if ctx.Err() != nil {
			class = ClassCanceled
		}
		if class == ClassNotFound {
			l.Status, l.Class, l.Count = StatusNotInstalled, ClassNotFound, 0
			r.log.Debug("kind not installed", zap.String("kind", k.Kind))
			return l
		}
		l.Status, l.Class = StatusFailed, class
		l.Err = fmt.Errorf("%s: %w", r.what(k), err)
		r.log.Debug("list failed", zap.String("kind", k.Kind), zap.String("class", string(class)), zap.Error(l.Err))
		return l
	}
	l.Status = StatusOK
	r.log.Debug("listed", zap.String("kind", k.Kind), zap.Int("items", l.Count), zap.Int("restarts", l.Restarts))
	return l
}

// eachPage lists kind k with limit and continue, like client-go's pager
// but in the caller's goroutine (a panic stays recoverable) and without
// its read-ahead buffer of ten pages.
func (r *Reader) eachPage(ctx context.Context, k kinds.Kind, fn func(*unstructured.UnstructuredList)) error {
	resource := r.client.Resource(k.GVR()).Namespace(r.namespace)
	return r.pages(ctx, func(opts metav1.ListOptions) (string, error) {
		page, err := resource.List(ctx, opts)
		if err != nil {
			return "", err
		}
		fn(page)
		return page.GetContinue(), nil
	})
}

// pages calls list with limit and each continue token list returned,
// until one returns none, an error, or ctx ends.
func (r *Reader) pages(ctx context.Context, list func(metav1.ListOptions) (next string, err error)) error {
	opts := metav1.ListOptions{Limit: r.pageSize}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		next, err := list(opts)
		if err != nil {
			return err
		}
		if opts.Continue = next; next == "" {
			return nil
		}
	}
}

// what names the operation for error texts:
// "list vpcs.vpc.githedgehog.com in namespace default".
func (r *Reader) what(k kinds.Kind) string {
	return fmt.Sprintf("list %s.%s in namespace %s", k.Resource, k.Group, r.namespace)
}
