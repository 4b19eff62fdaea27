package kube

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// Fingerprint identifies what one kind's list held: how many custom
// resources, and a hash of each one's namespace, name, uid and
// resourceVersion in list order. The API server bumps an object's
// resourceVersion on every write to it (spec, labels, annotations,
// status), so two equal fingerprints mean no resource of the kind was
// created, changed or deleted in between.
type Fingerprint struct {
	Count int
	Sum   [16]byte
}

// FingerprintBuilder computes a Fingerprint from a list's items, fed in
// list order.
type FingerprintBuilder struct {
	h   hash.Hash
	n   int
	buf []byte
}

// NewFingerprintBuilder returns an empty builder.
func NewFingerprintBuilder() *FingerprintBuilder {
	return &FingerprintBuilder{h: sha256.New(), buf: make([]byte, 0, 256)}
}

// Add adds one resource.
func (b *FingerprintBuilder) Add(namespace, name, uid, resourceVersion string) {
	b.buf = b.buf[:0]
	for _, s := range [...]string{namespace, name, uid, resourceVersion} {
		b.buf = binary.AppendUvarint(b.buf, uint64(len(s)))
		b.buf = append(b.buf, s...)
	}
	b.h.Write(b.buf)
	b.n++
}

// AddResource adds r.
func (b *FingerprintBuilder) AddResource(r *Resource) {
	b.Add(r.Namespace, r.Name, r.UID, r.ResourceVersion)
}

// Fingerprint is the fingerprint of what was added.
func (b *FingerprintBuilder) Fingerprint() Fingerprint {
	f := Fingerprint{Count: b.n}
	copy(f.Sum[:], b.h.Sum(nil))
	return f
}

// ErrNoMetadataClient: the Reader was built without a metadata client.
var ErrNoMetadataClient = errors.New("no metadata client")

// Fingerprint lists kind k's metadata only (PartialObjectMetadata: no
// spec, no status) and returns its Fingerprint, equal to the one built
// from a full list of the same items (the same paging and listedKey rule
// as Stream's: items without a name are skipped, an empty namespace is
// the listed one). Any
// failure, including a continue token that expired, is an error: the
// caller then compares in full.
func (r *Reader) Fingerprint(ctx context.Context, k kinds.Kind) (Fingerprint, error) {
	if r.meta == nil {
		return Fingerprint{}, ErrNoMetadataClient
	}
	res := r.meta.Resource(k.GVR()).Namespace(r.namespace)
	b := NewFingerprintBuilder()
	err := r.pages(ctx, func(opts metav1.ListOptions) (string, error) {
		page, err := res.List(ctx, opts)
		if err != nil {
			return "", fmt.Errorf("%s (metadata): %w", r.what(k), err)
		}
		for i := range page.Items {
			m := &page.Items[i]
			if ns, ok := listedKey(m.Namespace, m.Name, r.namespace); ok {
				b.Add(ns, m.Name, string(m.UID), m.ResourceVersion)
			}
		}
		return page.Continue, nil
	})
	if err != nil {
		return Fingerprint{}, err
	}
	return b.Fingerprint(), nil
}
