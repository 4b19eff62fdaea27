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
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/pager"

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
	// Items is complete when Status is StatusOK, empty otherwise.
	Items []Resource
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
}

// Reader lists the synced kinds in one namespace.
type Reader struct {
	client      dynamic.Interface
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
	return &Reader{client: client, namespace: namespace, pageSize: o.PageSize, parallelism: o.Parallelism, log: o.Logger}
}

// Namespace is the namespace the reader lists.
func (r *Reader) Namespace() string { return r.namespace }

// ListAll lists every kind in ks and returns one Listing per kind, in the
// order of ks. Kinds are listed concurrently. Once a kind fails at the
// connection level (TLS, unreachable, token refused), kinds not yet started
// are not attempted: they fail with that same error instead of each waiting
// for its own timeout.
func (r *Reader) ListAll(ctx context.Context, ks []kinds.Kind) []Listing {
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
					continue
				}
				out[i] = r.List(ctx, ks[i])
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

// List lists one kind completely, page by page. client-go's pager sends
// limit and continue, and when a continue token has expired (410 Gone, the
// list took longer than etcd's compaction window) it restarts with a full
// list, so a slow list is never a partial one.
//
// A panic while listing (a bug, or a misbehaving client) is recovered and
// reported as this kind's failure.
func (r *Reader) List(ctx context.Context, k kinds.Kind) (l Listing) {
	l.Kind = k
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("panic while listing", zap.String("kind", k.Kind), zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
			l = Listing{Kind: k, Status: StatusFailed, Class: ClassInternal,
				Err: fmt.Errorf("%s: internal error: panic: %v", r.what(k), p)}
		}
	}()

	resource := r.client.Resource(k.GVR()).Namespace(r.namespace)
	p := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return resource.List(ctx, opts)
	})
	p.PageSize = r.pageSize
	obj, _, err := p.List(ctx, metav1.ListOptions{})
	if err == nil {
		l.Items, err = r.collect(obj)
	}
	if err != nil {
		class := Classify(err)
		if ctx.Err() != nil {
			class = ClassCanceled
		}
		if class == ClassNotFound {
			l.Status, l.Class = StatusNotInstalled, ClassNotFound
			r.log.Debug("kind not installed", zap.String("kind", k.Kind))
			return l
		}
		l.Status, l.Class, l.Items = StatusFailed, class, nil
		l.Err = fmt.Errorf("%s: %w", r.what(k), err)
		r.log.Debug("list failed", zap.String("kind", k.Kind), zap.String("class", string(class)), zap.Error(l.Err))
		return l
	}
	l.Status = StatusOK
	r.log.Debug("listed", zap.String("kind", k.Kind), zap.Int("items", len(l.Items)))
	return l
}

func (r *Reader) collect(obj runtime.Object) ([]Resource, error) {
	var items []Resource
	err := meta.EachListItem(obj, func(o runtime.Object) error {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			return fmt.Errorf("list item is %T, not unstructured", o)
		}
		if res, ok := FromUnstructured(u, r.namespace); ok {
			items = append(items, res)
		}
		return nil
	})
	return items, err
}

// what names the operation for error texts:
// "list vpcs.vpc.githedgehog.com in namespace default".
func (r *Reader) what(k kinds.Kind) string {
	return fmt.Sprintf("list %s.%s in namespace %s", k.Resource, k.Group, r.namespace)
}
