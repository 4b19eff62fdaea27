package diff

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"
	"slices"
	"sync/atomic"

	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// Digest is a hash of the fields the sync compares (uid, resourceVersion,
// kubernetes_status, labels, annotations, spec), taken over a canonical
// form: two sides that Matches calls equal have the same Digest. The sync
// keeps a Digest per NetBox object instead of the object itself, so its
// memory does not grow with the size of the specs.
//
// 128 bits of SHA-256: an accidental collision (which would leave one
// changed object unwritten until its next change) is out of reach.
type Digest [16]byte

// ResourceDigest is the Digest of what the sync would write for r.
func ResourceDigest(r *kube.Resource) Digest {
	d := newDigester()
	d.str(r.UID)
	d.str(r.ResourceVersion)
	d.str(r.Status)
	d.stringMap(r.Labels)
	d.stringMap(r.Annotations)
	d.spec(r.Spec)
	return d.sum()
}

// ObjectDigest is the Digest of what NetBox object o holds.
func ObjectDigest(o *netbox.Object) Digest {
	d := newDigester()
	d.str(o.KubernetesUID)
	d.str(o.KubernetesResourceVersion)
	d.str(o.KubernetesStatus)
	d.jsonMap(o.Labels)
	d.jsonMap(o.Annotations)
	d.spec(o.Spec)
	return d.sum()
}

// Type tags of the canonical form: every value is written as a tag and a
// length-prefixed or fixed-size payload, so no two values share a form.
const (
	tagNil = iota + 1
	tagFalse
	tagTrue
	tagString
	tagInt
	tagFloat
	tagMap
	tagList
	tagOther
)

// otherValues numbers the non-JSON values seen, see value.
var otherValues atomic.Uint64

type digester struct {
	h   hash.Hash
	buf []byte
}

func newDigester() *digester { return &digester{h: sha256.New(), buf: make([]byte, 0, 512)} }

func (d *digester) sum() Digest {
	d.flush()
	var out Digest
	copy(out[:], d.h.Sum(nil))
	return out
}

func (d *digester) flush() {
	d.h.Write(d.buf)
	d.buf = d.buf[:0]
}

func (d *digester) tag(t byte, n uint64) {
	if len(d.buf) > 4096 {
		d.flush()
	}
	d.buf = append(d.buf, t)
	d.buf = binary.AppendUvarint(d.buf, n)
}

func (d *digester) str(s string) {
	d.tag(tagString, uint64(len(s)))
	d.buf = append(d.buf, s...)
}

// stringMap writes labels or annotations; nil and {} are the same.
func (d *digester) stringMap(m map[string]string) {
	d.tag(tagMap, uint64(len(m)))
	for _, k := range sortedKeys(m) {
		d.str(k)
		d.str(m[k])
	}
}

// jsonMap writes NetBox's labels or annotations, where null, a missing
// field and {} all mean "none". Anything but an object is written as
// itself, so that it never equals a Kubernetes map.
func (d *digester) jsonMap(v any) {
	if v == nil {
		d.tag(tagMap, 0)
		return
	}
	d.value(v)
}

// spec writes a spec, where absent and {} are the same (the sync writes {}
// for a CR without spec).
func (d *digester) spec(v any) {
	if isEmpty(v) {
		d.tag(tagMap, 0)
		return
	}
	d.value(v)
}

// value writes a decoded JSON value the way jsonEqual compares it: numbers
// by value (an integral float is an integer), maps by sorted key. An
// integer beyond 2^53 and a float of the same value, which jsonEqual calls
// equal, get different forms: at worst one needless update.
func (d *digester) value(v any) {
	switch x := v.(type) {
	case nil:
		d.tag(tagNil, 0)
	case string:
		d.str(x)
	case bool:
		if x {
			d.tag(tagTrue, 0)
		} else {
			d.tag(tagFalse, 0)
		}
	case map[string]any:
		d.tag(tagMap, uint64(len(x)))
		for _, k := range sortedKeys(x) {
			d.str(k)
			d.value(x[k])
		}
	case []any:
		d.tag(tagList, uint64(len(x)))
		for _, e := range x {
			d.value(e)
		}
	default:
		n, ok := toNumber(v)
		switch {
		case !ok:
			// Not a JSON value at all: jsonEqual never calls it equal
			// to anything, so it gets a form no other value has.
			d.tag(tagOther, otherValues.Add(1))
		case n.isInt:
			d.tag(tagInt, 0)
			d.buf = binary.BigEndian.AppendUint64(d.buf, uint64(n.i))
		default:
			d.tag(tagFloat, 0)
			d.buf = binary.BigEndian.AppendUint64(d.buf, math.Float64bits(n.f))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
