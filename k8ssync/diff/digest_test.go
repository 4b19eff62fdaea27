package diff

import (
	"bytes"
	"encoding/json"
	"testing"

	k8sjson "k8s.io/apimachinery/pkg/util/json"

	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// sides decodes one spec as Kubernetes does (int64/float64) and another as
// the NetBox client does (json.Number), into a resource and an object that
// differ in nothing else.
func sides(t testing.TB, crSpec, nbSpec string) (kube.Resource, netbox.Object, bool) {
	var spec any
	if err := k8sjson.Unmarshal([]byte(crSpec), &spec); err != nil {
		return kube.Resource{}, netbox.Object{}, false
	}
	r := kube.Resource{Namespace: "default", Name: "x", UID: "u", ResourceVersion: "1", Status: "applied",
		Spec: spec, Labels: map[string]string{"a": "b"}}
	var o netbox.Object
	js := `{"id":1,"fabric":1,"namespace":"default","name":"x","kubernetes_uid":"u","kubernetes_resource_version":"1",
		"kubernetes_status":"applied","labels":{"a":"b"},"annotations":null,"spec":` + nbSpec + `}`
	dec := json.NewDecoder(bytes.NewReader([]byte(js)))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		return kube.Resource{}, netbox.Object{}, false
	}
	return r, o, true
}

func TestDigestAgreesWithMatches(t *testing.T) {
	tests := []struct {
		name           string
		crSpec, nbSpec string
		equal          bool
	}{
		{"same object", `{"a":1,"b":[true,null,"x"]}`, `{"b":[true,null,"x"],"a":1}`, true},
		{"integral float", `{"mtu":9036}`, `{"mtu":9036.0}`, true},
		{"float", `{"r":0.5}`, `{"r":0.5}`, true},
		{"number differs", `{"mtu":9036}`, `{"mtu":9037}`, false},
		{"string is not number", `{"mtu":9036}`, `{"mtu":"9036"}`, false},
		{"absent spec is {}", `null`, `{}`, true},
		{"nested null is not {}", `{"a":null}`, `{"a":{}}`, false},
		{"list order matters", `[1,2]`, `[2,1]`, false},
		{"extra key", `{"a":1}`, `{"a":1,"b":1}`, false},
		{"key and value do not run together", `{"ab":"c"}`, `{"a":"bc"}`, false},
		{"bool", `{"a":true}`, `{"a":false}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, o, ok := sides(t, tc.crSpec, tc.nbSpec)
			if !ok {
				t.Fatal("cannot decode")
			}
			if got := Matches(&r, &o); got != tc.equal {
				t.Fatalf("Matches = %v, want %v", got, tc.equal)
			}
			if got := ResourceDigest(&r) == ObjectDigest(&o); got != tc.equal {
				t.Errorf("digests equal = %v, want %v", got, tc.equal)
			}
		})
	}
}

func TestDigestCoversEveryComparedField(t *testing.T) {
	base := func() kube.Resource {
		return kube.Resource{UID: "u", ResourceVersion: "1", Status: "applied", Spec: map[string]any{"a": int64(1)},
			Labels: map[string]string{"l": "1"}, Annotations: map[string]string{"n": "1"}}
	}
	want := ResourceDigest(ptr(base()))
	for name, change := range map[string]func(*kube.Resource){
		"uid":         func(r *kube.Resource) { r.UID = "v" },
		"version":     func(r *kube.Resource) { r.ResourceVersion = "2" },
		"status":      func(r *kube.Resource) { r.Status = "live" },
		"labels":      func(r *kube.Resource) { r.Labels = map[string]string{"l": "2"} },
		"annotations": func(r *kube.Resource) { r.Annotations = nil },
		"spec":        func(r *kube.Resource) { r.Spec = map[string]any{"a": int64(2)} },
		"label moved to annotations": func(r *kube.Resource) {
			r.Labels, r.Annotations = map[string]string{"l": "1", "n": "1"}, nil
		},
	} {
		r := base()
		change(&r)
		if ResourceDigest(&r) == want {
			t.Errorf("%s: digest unchanged", name)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// FuzzDigestAgreesWithMatches: for any two JSON specs, equal digests mean
// Matches is true, and Matches true means equal digests (short of numbers
// beyond 2^53, which at worst cost one update).
func FuzzDigestAgreesWithMatches(f *testing.F) {
	for _, s := range [][2]string{{`{"a":1}`, `{"a":1.0}`}, {`[{"x":null}]`, `[{"x":null}]`}, {`{}`, `null`}, {`"s"`, `"s"`}, {`{"a":1e300}`, `{"a":1e300}`}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, crSpec, nbSpec string) {
		r, o, ok := sides(t, crSpec, nbSpec)
		if !ok || hugeNumbers(r.Spec) || hugeNumbers(o.Spec) {
			return
		}
		if m, d := Matches(&r, &o), ResourceDigest(&r) == ObjectDigest(&o); m != d {
			t.Errorf("Matches = %v but digests equal = %v for %s / %s", m, d, crSpec, nbSpec)
		}
	})
}

// hugeNumbers reports numbers whose int and float forms differ in the
// digest (beyond 2^53) — the documented exception.
func hugeNumbers(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if hugeNumbers(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hugeNumbers(e) {
				return true
			}
		}
	default:
		if n, ok := toNumber(v); ok {
			return n.float() >= 1<<53 || n.float() <= -(1<<53)
		}
	}
	return false
}
