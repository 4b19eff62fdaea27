package kube

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/hhgate/hhgate/k8ssync/internal/fakekube"
)

// readerWithMetadata builds a Reader over real dynamic and metadata
// clients talking to srv.
func readerWithMetadata(t *testing.T, srv *fakekube.Server, pageSize int64) *Reader {
	t.Helper()
	rc, err := RESTConfig(Config{Server: srv.URL, Token: testToken, CACert: srv.CAPEM})
	if err != nil {
		t.Fatal(err)
	}
	client, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := metadata.NewForConfig(rest.CopyConfig(rc))
	if err != nil {
		t.Fatal(err)
	}
	return NewReader(client, "default", ReaderOptions{PageSize: pageSize, Metadata: meta})
}

// The metadata-only fingerprint equals the one built from the full list
// the sync compares, across pages; any write to a resource, a new one and
// a deleted one each change it.
func TestFingerprintMatchesTheFullListAndSeesEveryChange(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	for i := range 7 {
		srv.Add(vpc, "default", fmt.Sprintf("vpc-%d", i), map[string]any{"n": i}, nil)
	}
	srv.Add(vpc, "other", "elsewhere", map[string]any{}, nil)
	r := readerWithMetadata(t, srv, 3)
	ctx := context.Background()

	fromList := func() Fingerprint {
		b := NewFingerprintBuilder()
		if l := r.Stream(ctx, vpc, func(res Resource) { b.AddResource(&res) }); l.Status != StatusOK {
			t.Fatalf("stream: %v", l.Err)
		}
		return b.Fingerprint()
	}
	fromMeta := func() Fingerprint {
		fp, err := r.Fingerprint(ctx, vpc)
		if err != nil {
			t.Fatal(err)
		}
		return fp
	}
	base := fromMeta()
	if base.Count != 7 || base != fromList() || base != fromMeta() {
		t.Fatalf("metadata fingerprint %+v, full list %+v", base, fromList())
	}
	seen := map[Fingerprint]string{base: "start"}
	for _, step := range []struct {
		name string
		do   func()
	}{
		{"spec changed", func() { srv.Update(vpc, "vpc-3", func(o map[string]any) { o["spec"] = map[string]any{"n": 33} }) }},
		{"resource added", func() { srv.Add(vpc, "default", "vpc-new", map[string]any{}, nil) }},
		{"resource removed", func() { srv.Remove(vpc, "vpc-0") }},
	} {
		step.do()
		fp := fromMeta()
		if prev, dup := seen[fp]; dup {
			t.Errorf("%s: fingerprint unchanged (same as after %s)", step.name, prev)
		}
		if fp != fromList() {
			t.Errorf("%s: metadata and full list disagree", step.name)
		}
		seen[fp] = step.name
	}
}

func TestFingerprintFailures(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	if _, err := readerFor(t, srv, Config{Token: testToken, CACert: srv.CAPEM}, 3).Fingerprint(context.Background(), vpc); !errors.Is(err, ErrNoMetadataClient) {
		t.Errorf("without a metadata client: %v", err)
	}
	srv.Forbid(vpc)
	if _, err := readerWithMetadata(t, srv, 3).Fingerprint(context.Background(), vpc); err == nil {
		t.Error("a forbidden list gave a fingerprint")
	}
}
