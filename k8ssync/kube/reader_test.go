package kube

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/hhgate/hhgate/k8ssync/internal/fakekube"
	"github.com/hhgate/hhgate/k8ssync/kinds"
)

var (
	vpc        = kinds.All[0]
	connection = kinds.All[7]
	server     = kinds.All[8]
	switchKind = kinds.All[9]
)

// readerFor builds a Reader over a real dynamic client talking to srv.
func readerFor(t *testing.T, srv *fakekube.Server, cfg Config, pageSize int64) *Reader {
	t.Helper()
	if cfg.Server == "" {
		cfg.Server = srv.URL
	}
	rc, err := RESTConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return NewReader(client, "default", ReaderOptions{PageSize: pageSize})
}

func TestListPaginatesWithLimitAndContinue(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	for i := range 7 {
		srv.Add(vpc, "default", fmt.Sprintf("vpc-%d", i), map[string]any{"mode": "l3vni"}, nil)
	}
	srv.Add(vpc, "other", "elsewhere", map[string]any{}, nil)

	l := readerFor(t, srv, Config{Token: testToken, CACert: srv.CAPEM}, 3).List(context.Background(), vpc)
	if l.Status != StatusOK || len(l.Items) != 7 {
		t.Fatalf("listing = %s with %d items (%v), want ok with 7", l.Status, len(l.Items), l.Err)
	}
	var pages []url.Values
	for _, r := range srv.Requests() {
		u, _ := url.Parse(r)
		pages = append(pages, u.Query())
	}
	if len(pages) != 3 {
		t.Fatalf("requests = %v, want 3 pages", srv.Requests())
	}
	for i, q := range pages {
		if q.Get("limit") != "3" {
			t.Errorf("page %d limit = %q, want 3", i, q.Get("limit"))
		}
		if (q.Get("continue") != "") != (i > 0) {
			t.Errorf("page %d continue = %q", i, q.Get("continue"))
		}
	}
}

func TestListStartsAgainWhenContinueExpired(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	for i := range 5 {
		srv.Add(server, "default", fmt.Sprintf("server-%d", i), map[string]any{}, nil)
	}
	srv.ExpireContinue(server)

	var visited []string
	l := readerFor(t, srv, Config{Token: testToken, CACert: srv.CAPEM}, 2).Stream(context.Background(), server,
		func(r Resource) { visited = append(visited, r.Name) })
	if l.Status != StatusOK || l.Count != 5 || l.Restarts != 1 {
		t.Fatalf("listing = %s with %d items, %d restarts (%v), want ok with all 5 after 1 restart", l.Status, l.Count, l.Restarts, l.Err)
	}
	// page 1, expired page 2, then pages 1, 2, 3 again: never a list without a limit.
	reqs := srv.Requests()
	if len(reqs) != 5 {
		t.Errorf("requests = %v, want 5", reqs)
	}
	for _, r := range reqs {
		if u, _ := url.Parse(r); u.Query().Get("limit") != "2" {
			t.Errorf("request %s has no page limit", r)
		}
	}
	if want := []string{"server-0", "server-1", "server-0", "server-1", "server-2", "server-3", "server-4"}; !slices.Equal(visited, want) {
		t.Errorf("visited %v, want %v (the first page again after the restart)", visited, want)
	}

	srv.ExpireContinue(server)
	c := readerFor(t, srv, Config{Token: testToken, CACert: srv.CAPEM}, 2).List(context.Background(), server)
	seen := map[string]bool{}
	for _, it := range c.Items {
		if seen[it.Name] {
			t.Errorf("%s listed twice", it.Name)
		}
		seen[it.Name] = true
	}
	if len(seen) != 5 {
		t.Errorf("List collected %d distinct items, want 5", len(seen))
	}
}

func TestStreamHoldsNoMoreThanAPage(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	for i := range 7 {
		srv.Add(server, "default", fmt.Sprintf("server-%d", i), map[string]any{}, nil)
	}
	// The visitor sees page n before page n+1 is asked for.
	var asked int
	var lag []int
	srv.OnList(func(string) { asked++ })
	l := readerFor(t, srv, Config{Token: testToken, CACert: srv.CAPEM}, 3).Stream(context.Background(), server,
		func(Resource) { lag = append(lag, asked) })
	if l.Status != StatusOK || l.Count != 7 {
		t.Fatalf("listing = %s with %d items (%v)", l.Status, l.Count, l.Err)
	}
	if want := []int{1, 1, 1, 2, 2, 2, 3}; !slices.Equal(lag, want) {
		t.Errorf("pages asked for when each item was visited = %v, want %v", lag, want)
	}
}

func TestEachKindHasItsOwnOutcome(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	srv.Add(vpc, "default", "vpc-1", map[string]any{}, nil)
	srv.Add(switchKind, "default", "leaf-01", map[string]any{"role": "server-leaf"}, nil)
	srv.NotInstalled(kinds.All[1]) // External
	srv.Forbid(connection)
	srv.Status(server, 500)

	ls := readerFor(t, srv, Config{Token: testToken, CACert: srv.CAPEM}, 0).ListAll(context.Background(), kinds.All)
	want := map[string]struct {
		status Status
		class  Class
		items  int
	}{
		"VPC":         {StatusOK, ClassNone, 1},
		"External":    {StatusNotInstalled, ClassNotFound, 0},
		"Connection":  {StatusFailed, ClassForbidden, 0},
		"Server":      {StatusFailed, ClassServer, 0},
		"Switch":      {StatusOK, ClassNone, 1},
		"SwitchGroup": {StatusOK, ClassNone, 0},
	}
	if len(ls) != len(kinds.All) {
		t.Fatalf("%d listings, want %d", len(ls), len(kinds.All))
	}
	for i, l := range ls {
		if l.Kind != kinds.All[i] {
			t.Errorf("listing %d is %s, want %s (order kept)", i, l.Kind.Kind, kinds.All[i].Kind)
		}
		w, ok := want[l.Kind.Kind]
		if !ok {
			continue
		}
		if l.Status != w.status || l.Class != w.class || len(l.Items) != w.items {
			t.Errorf("%s: %s/%s/%d items (%v), want %s/%s/%d", l.Kind.Kind, l.Status, l.Class, len(l.Items), l.Err, w.status, w.class, w.items)
		}
		if l.Complete() != (w.status == StatusOK) {
			t.Errorf("%s: Complete = %t", l.Kind.Kind, l.Complete())
		}
	}
	forbidden := ls[7].Err.Error()
	if !strings.HasPrefix(forbidden, "list connections.wiring.githedgehog.com in namespace default: ") || !strings.Contains(forbidden, "forbidden") {
		t.Errorf("forbidden error = %q: want what was done, to what, and why", forbidden)
	}
}

func TestTLSAndConnectionFailuresAreConnectionLevel(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	closed := fakekube.New(testToken)
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name    string
		cfg     Config
		class   Class
		errText string
	}{
		{"wrong CA", Config{Token: testToken, CACert: fakekube.OtherCAPEM()}, ClassTLS, "x509"},
		{"no CA: system roots do not trust a private CA", Config{Token: testToken}, ClassTLS, "x509"},
		{"token refused", Config{Token: "wrong", CACert: srv.CAPEM}, ClassUnauthorized, "Unauthorized"},
		{"connection refused", Config{Server: closedURL, Token: testToken, CACert: srv.CAPEM}, ClassUnreachable, "refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ls := readerFor(t, srv, tc.cfg, 0).ListAll(context.Background(), kinds.All)
			for _, l := range ls {
				if l.Status != StatusFailed || l.Class != tc.class || !l.Class.ConnectionLevel() {
					t.Fatalf("%s: %s/%s (%v), want failed/%s", l.Kind.Kind, l.Status, l.Class, l.Err, tc.class)
				}
				if !strings.Contains(l.Err.Error(), tc.errText) {
					t.Errorf("%s: error %q does not say %q", l.Kind.Kind, l.Err, tc.errText)
				}
				if strings.Contains(l.Err.Error(), testToken) {
					t.Errorf("error leaks the token: %v", l.Err)
				}
			}
		})
	}
}

func TestInsecureOptionSkipsVerification(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	l := readerFor(t, srv, Config{Token: testToken, InsecureSkipTLSVerify: true}, 0).List(context.Background(), vpc)
	if l.Status != StatusOK {
		t.Fatalf("listing = %s (%v), want ok", l.Status, l.Err)
	}
}

func TestAfterAConnectionFailureLaterKindsAreNotAttempted(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	r := readerFor(t, srv, Config{Token: testToken, CACert: fakekube.OtherCAPEM()}, 0)
	r.parallelism = 1
	ls := r.ListAll(context.Background(), kinds.All)
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests reached the handler through a failing handshake", n)
	}
	if !strings.Contains(ls[1].Err.Error(), "not attempted after connection failure") || ls[1].Class != ClassTLS {
		t.Errorf("second kind: %v (%s), want not attempted with the TLS class", ls[1].Err, ls[1].Class)
	}
}

func TestCanceledContextIsNotAConnectionFailure(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := readerFor(t, srv, Config{Token: testToken, CACert: srv.CAPEM}, 0).List(ctx, vpc)
	if l.Status != StatusFailed || l.Class != ClassCanceled || l.Class.ConnectionLevel() {
		t.Errorf("listing = %s/%s, want failed/canceled", l.Status, l.Class)
	}
}

// fakeClient is client-go's fake dynamic client with the twelve list kinds
// registered. Objects are stored under their kind's real resource name
// (the fake's own guess would file a Switch under "switchs").
func fakeClient(t *testing.T, objs ...*unstructured.Unstructured) *dynamicfake.FakeDynamicClient {
	t.Helper()
	listKinds := map[schema.GroupVersionResource]string{}
	for _, k := range kinds.All {
		listKinds[k.GVR()] = k.Kind + "List"
	}
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	for _, o := range objs {
		for _, k := range kinds.All {
			if k.Kind == o.GetKind() {
				if err := client.Tracker().Create(k.GVR(), o, o.GetNamespace()); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return client
}

func TestListWithFakeDynamicClient(t *testing.T) {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "Switch",
		"metadata": map[string]any{"name": "spine-01", "namespace": "default", "uid": "u-1", "resourceVersion": "3"},
		"spec":     map[string]any{"role": "spine", "asn": int64(65100)},
	}}
	client := fakeClient(t, obj)
	client.PrependReactor("list", "vpcs", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: vpc.Group, Resource: vpc.Resource}, "", fmt.Errorf("RBAC"))
	})
	client.PrependReactor("list", "externals", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: vpc.Group, Resource: "externals"}, "")
	})
	ls := NewReader(client, "", ReaderOptions{}).ListAll(context.Background(), kinds.All)
	if ls[9].Status != StatusOK || len(ls[9].Items) != 1 || ls[9].Items[0].Spec.(map[string]any)["asn"] != int64(65100) {
		t.Errorf("switches = %+v", ls[9])
	}
	if ls[0].Class != ClassForbidden || ls[1].Status != StatusNotInstalled {
		t.Errorf("vpcs = %s/%s, externals = %s", ls[0].Status, ls[0].Class, ls[1].Status)
	}
}

func TestPanicInAListIsThatKindsFailure(t *testing.T) {
	client := fakeClient(t)
	client.PrependReactor("list", "switches", func(clienttesting.Action) (bool, runtime.Object, error) {
		panic("boom")
	})
	ls := NewReader(client, "default", ReaderOptions{}).ListAll(context.Background(), kinds.All)
	for _, l := range ls {
		switch {
		case l.Kind.Kind == "Switch":
			if l.Status != StatusFailed || l.Class != ClassInternal || !strings.Contains(l.Err.Error(), "panic: boom") {
				t.Errorf("switches = %s/%s (%v), want failed/internal", l.Status, l.Class, l.Err)
			}
		case l.Status != StatusOK:
			t.Errorf("%s = %s (%v), want ok", l.Kind.Kind, l.Status, l.Err)
		}
	}
}

func TestTestConnectionNeedsOnlyNamespacedAccess(t *testing.T) {
	srv := fakekube.New(testToken)
	defer srv.Close()
	rc, err := RESTConfig(Config{Server: srv.URL, Token: testToken, CACert: srv.CAPEM})
	if err != nil {
		t.Fatal(err)
	}
	disco, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	r := readerFor(t, srv, Config{Token: testToken, CACert: srv.CAPEM}, 0)

	srv.NotInstalled(vpc) // the first served kind decides
	info, class, err := r.TestConnection(context.Background(), disco)
	if err != nil || class != ClassNone || !info.NamespaceAccess || info.ClusterVersion != "v1.37.2" || info.CheckedKind != "External" {
		t.Fatalf("TestConnection = %+v, %s, %v", info, class, err)
	}
	for _, req := range srv.Requests() {
		if strings.HasPrefix(req, "/api/v1/namespaces") && !strings.Contains(req, "/namespaces/default/") {
			t.Errorf("listed namespaces (cluster scope): %s", req)
		}
	}
	if last := srv.Requests()[len(srv.Requests())-1]; !strings.Contains(last, "limit=1") {
		t.Errorf("last request %s: want limit=1", last)
	}

	srv.Forbid(kinds.All[1])
	_, class, err = r.TestConnection(context.Background(), disco)
	if class != ClassForbidden || err == nil {
		t.Errorf("forbidden: class %s, err %v", class, err)
	}
}
