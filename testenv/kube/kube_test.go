//go:build e2e

package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/hhgate/hhgate/internal/testca"
	"github.com/hhgate/hhgate/k8ssync/kinds"
)

var cluster *Cluster

func TestMain(m *testing.M) {
	began := time.Now()
	c, stop := StartMain(m)
	started := time.Since(began)
	cluster = c
	code := m.Run()
	began = time.Now()
	stop()
	if testing.Verbose() {
		println("kube: control plane started in", started.Round(time.Millisecond).String(),
			"stopped in", time.Since(began).Round(time.Millisecond).String())
	}
	os.Exit(code)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestCRDsMatchKindsAndAreEstablished(t *testing.T) {
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != len(kinds.All)+1 || len(kinds.All) != 12 {
		t.Fatalf("%d embedded CRDs, %d kinds; want the 12 kinds and Agent", len(crds), len(kinds.All))
	}
	api := apiextensionsclient.NewForConfigOrDie(cluster.AdminConfig).ApiextensionsV1().CustomResourceDefinitions()
	disc := discovery.NewDiscoveryClientForConfigOrDie(cluster.AdminConfig)
	for _, k := range append([]kinds.Kind{kinds.Agent}, kinds.All...) {
		crd, err := api.Get(ctx(t), k.Resource+"."+k.Group, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: %v", k.Kind, err)
		}
		n := crd.Spec.Names
		if crd.Spec.Group != k.Group || n.Kind != k.Kind || n.Plural != k.Resource || crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
			t.Errorf("CRD %s: group %s kind %s plural %s scope %s; kinds.All says %+v", crd.Name, crd.Spec.Group, n.Kind, n.Plural, crd.Spec.Scope, k)
		}
		if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != k.Version || !crd.Spec.Versions[0].Served {
			t.Errorf("CRD %s: versions %+v, want only %s served", crd.Name, crd.Spec.Versions, k.Version)
		}
		established := false
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				established = true
			}
		}
		if !established {
			t.Errorf("CRD %s is not Established: %+v", crd.Name, crd.Status.Conditions)
		}
		res, err := disc.ServerResourcesForGroupVersion(k.Group + "/" + k.Version)
		if err != nil {
			t.Fatalf("discovery %s/%s: %v", k.Group, k.Version, err)
		}
		if !slices.ContainsFunc(res.APIResources, func(r metav1.APIResource) bool { return r.Name == k.Resource && r.Namespaced }) {
			t.Errorf("discovery of %s/%s lacks namespaced %s", k.Group, k.Version, k.Resource)
		}
	}
}

// listAll lists kind in namespace page by page and returns the names and the
// number of pages.
func listAll(t *testing.T, ri dynamic.ResourceInterface, limit int64) (names []string, pages int) {
	t.Helper()
	cont := ""
	for {
		l, err := ri.List(ctx(t), metav1.ListOptions{Limit: limit, Continue: cont})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if int64(len(l.Items)) > limit {
			t.Fatalf("page of %d items with limit %d", len(l.Items), limit)
		}
		for _, it := range l.Items {
			names = append(names, it.GetName())
		}
		cont = l.GetContinue()
		if cont == "" {
			return names, pages
		}
	}
}

func TestFixtureAppliesAndListsBackWithPagination(t *testing.T) {
	const ns = "fixture"
	want := Fixture(ns)
	if len(want) < 40 || len(want) > 80 {
		t.Fatalf("fixture has %d objects, want 40–80", len(want))
	}
	created := cluster.ApplyFixture(t, ns)
	if len(created) != len(want) {
		t.Fatalf("created %d objects, fixture has %d", len(created), len(want))
	}

	perKind := map[string][]string{}
	for i, o := range created {
		w := want[i]
		if o.Kind != w.GetKind() || o.Name != w.GetName() || o.Namespace != ns || o.Type.Kind != o.Kind {
			t.Fatalf("created[%d] = %s %s/%s, want %s %s/%s", i, o.Kind, o.Namespace, o.Name, w.GetKind(), ns, w.GetName())
		}
		if o.Created.GetUID() == "" || o.Created.GetResourceVersion() == "" {
			t.Errorf("%s %s: no uid/resourceVersion", o.Kind, o.Name)
		}
		// What was sent is what is stored: nothing pruned, nothing defaulted.
		if !reflect.DeepEqual(o.Created.Object["spec"], w.Object["spec"]) {
			t.Errorf("%s %s: stored spec %v differs from the fixture's %v", o.Kind, o.Name, o.Created.Object["spec"], w.Object["spec"])
		}
		if !reflect.DeepEqual(o.Created.GetLabels(), w.GetLabels()) || !reflect.DeepEqual(o.Created.GetAnnotations(), w.GetAnnotations()) {
			t.Errorf("%s %s: labels/annotations changed", o.Kind, o.Name)
		}
		perKind[o.Kind] = append(perKind[o.Kind], o.Name)
	}

	const limit = 4
	multiPage := 0
	for _, k := range kinds.All {
		if len(perKind[k.Kind]) == 0 {
			t.Errorf("fixture has no %s", k.Kind)
		}
		names, pages := listAll(t, cluster.Resource(k, ns), limit)
		slices.Sort(names)
		wantNames := slices.Sorted(slices.Values(perKind[k.Kind]))
		if !slices.Equal(names, wantNames) {
			t.Errorf("%s: listed %v, created %v", k.Kind, names, wantNames)
		}
		if wantPages := max(1, (len(wantNames)+limit-1)/limit); pages != wantPages {
			t.Errorf("%s: %d pages for %d objects with limit %d, want %d", k.Kind, pages, len(names), limit, wantPages)
		}
		if pages > 1 {
			multiPage++
		}
	}
	if multiPage == 0 {
		t.Error("no kind needed more than one page")
	}

	sg := cluster.Get(t, "SwitchGroup", ns, "border")
	if spec, ok := sg.Object["spec"].(map[string]any); !ok || len(spec) != 0 {
		t.Errorf("SwitchGroup spec = %#v, want {}", sg.Object["spec"])
	}
	t.Logf("fixture: %d objects; connections %d", len(created), len(perKind["Connection"]))
}

func TestCreateUpdateDelete(t *testing.T) {
	const ns = "crud"
	cluster.EnsureNamespace(t, ns)
	vpc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "vpc.githedgehog.com/v1beta1",
		"kind":       "VPC",
		"metadata":   map[string]any{"name": "crud-vpc", "namespace": ns},
		"spec": map[string]any{"subnets": map[string]any{
			"default": map[string]any{"subnet": "10.9.0.0/24", "vlan": int64(1900)},
		}},
	}}
	created := cluster.Create(t, vpc)
	created.SetLabels(map[string]string{"changed": "yes"})
	updated := cluster.Update(t, created)
	if updated.GetResourceVersion() == created.GetResourceVersion() {
		t.Error("update kept the resourceVersion")
	}
	if got := cluster.Get(t, "vpcs", ns, "crud-vpc").GetLabels()["changed"]; got != "yes" {
		t.Errorf("label after update = %q", got)
	}
	cluster.Delete(t, updated)
	if _, err := cluster.Resource(kinds.All[0], ns).Get(ctx(t), "crud-vpc", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after Delete: %v, want NotFound", err)
	}
}

func TestRestrictedTokenForbidsKindsOutsideItsRole(t *testing.T) {
	const ns = "rbac"
	cluster.ApplyFixture(t, ns)
	token := cluster.Token(t, ns, AllResources("switches"))
	if token == "" {
		t.Fatal("empty token")
	}

	hc := httpClient(t, cluster.CACert)
	get := func(path string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx(t), http.MethodGet, cluster.Server+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/apis/vpc.githedgehog.com/v1beta1/namespaces/rbac/vpcs"); code != http.StatusOK {
		t.Errorf("vpcs with the restricted token: %d, want 200", code)
	}
	if code := get("/apis/wiring.githedgehog.com/v1beta1/namespaces/rbac/switches"); code != http.StatusForbidden {
		t.Errorf("switches with the restricted token: %d, want 403", code)
	}
	if code := get("/apis/vpc.githedgehog.com/v1beta1/namespaces/default/vpcs"); code != http.StatusForbidden {
		t.Errorf("vpcs of another namespace: %d, want 403", code)
	}

	// The same through client-go, as the sync engine sees it.
	dyn := dynamic.NewForConfigOrDie(cluster.TokenConfig(token))
	for _, k := range kinds.All {
		l, err := dyn.Resource(k.GVR()).Namespace(ns).List(ctx(t), metav1.ListOptions{Limit: 100})
		switch {
		case k.Resource == "switches":
			if !apierrors.IsForbidden(err) {
				t.Errorf("%s: %v, want Forbidden", k.Kind, err)
			}
		case err != nil:
			t.Errorf("%s: %v", k.Kind, err)
		case len(l.Items) == 0:
			t.Errorf("%s: no items", k.Kind)
		}
	}

	none := cluster.Token(t, ns, nil)
	_, err := dynamic.NewForConfigOrDie(cluster.TokenConfig(none)).Resource(kinds.All[0].GVR()).Namespace(ns).List(ctx(t), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("token with an empty Role: %v, want Forbidden", err)
	}
	_, err = dynamic.NewForConfigOrDie(cluster.TokenConfig("not-a-token")).Resource(kinds.All[0].GVR()).Namespace(ns).List(ctx(t), metav1.ListOptions{})
	if !apierrors.IsUnauthorized(err) {
		t.Errorf("bogus token: %v, want Unauthorized", err)
	}
}

func httpClient(t *testing.T, caPEM []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if caPEM != nil && !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA certificate is not PEM")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func TestCACertVerifiesTheAPIServer(t *testing.T) {
	if !strings.HasPrefix(cluster.Server, "https://127.0.0.1:") || strings.HasSuffix(cluster.Server, "/") {
		t.Errorf("Server = %q, want https://127.0.0.1:PORT", cluster.Server)
	}
	if b, _ := pem.Decode(cluster.CACert); b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("CACert is not a PEM certificate: %q", cluster.CACert)
	}

	resp, err := httpClient(t, cluster.CACert).Get(cluster.Server + "/version")
	if err != nil {
		t.Fatalf("with the cluster CA: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/version: %d", resp.StatusCode)
	}

	for name, ca := range map[string][]byte{"another CA": []byte(testca.UnrelatedPEM()), "system roots": nil} {
		var pool *x509.CertPool
		if ca != nil {
			pool = x509.NewCertPool()
			pool.AppendCertsFromPEM(ca)
		}
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		_, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Get(cluster.Server + "/version")
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("%s: %v, want an x509 unknown authority error", name, err)
		}
	}

	// client-go with the wrong CA fails the same way.
	cfg := cluster.TokenConfig("")
	cfg.CAData = []byte(testca.UnrelatedPEM())
	_, err = discovery.NewDiscoveryClientForConfigOrDie(cfg).ServerVersion()
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("client-go with another CA: %v, want an x509 unknown authority error", err)
	}
	// And with the right one it works, as a token user.
	cfg = cluster.TokenConfig(cluster.Token(t, "tls", []string{"vpcs"}))
	if _, err := dynamic.NewForConfigOrDie(cfg).Resource(kinds.All[0].GVR()).Namespace("tls").List(ctx(t), metav1.ListOptions{}); err != nil {
		t.Errorf("client-go with the cluster CA: %v", err)
	}
}

func TestGenerateFabric(t *testing.T) {
	const ns, n = "generated", 600
	began := time.Now()
	objs := cluster.GenerateFabric(t, ns, n)
	t.Logf("created %d objects in %v", len(objs), time.Since(began).Round(time.Millisecond))
	if len(objs) != n {
		t.Fatalf("created %d, want %d", len(objs), n)
	}
	for _, k := range kinds.All {
		names, _ := listAll(t, cluster.Resource(k, ns), 500)
		if len(names) != n/len(kinds.All) {
			t.Errorf("%s: %d objects, want %d", k.Kind, len(names), n/len(kinds.All))
		}
	}
	// Generated specs survive the schema unchanged, and only SwitchGroups are empty.
	for _, o := range objs {
		spec, _ := o.Created.Object["spec"].(map[string]any)
		if (len(spec) == 0) != (o.Kind == "SwitchGroup") {
			t.Errorf("%s %s: spec %v", o.Kind, o.Name, spec)
		}
	}
	gen := Generated(ns, n)
	for i, o := range objs {
		if !reflect.DeepEqual(o.Created.Object["spec"], gen[i].Object["spec"]) {
			t.Fatalf("%s %s: stored spec %v, sent %v", o.Kind, o.Name, o.Created.Object["spec"], gen[i].Object["spec"])
		}
	}
}

func TestStopMidListRefusesConnections(t *testing.T) {
	began := time.Now()
	own := Start(t)
	t.Logf("second control plane started in %v", time.Since(began).Round(time.Millisecond))
	own.ApplyFixture(t, "default")
	k, _ := KindByName("connections")
	ri := own.Resource(k, "default")
	page, err := ri.List(ctx(t), metav1.ListOptions{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if page.GetContinue() == "" {
		t.Fatal("first page has no continue token")
	}

	began = time.Now()
	own.Stop()
	t.Logf("stopped in %v", time.Since(began).Round(time.Millisecond))
	_, err = ri.List(ctx(t), metav1.ListOptions{Limit: 5, Continue: page.GetContinue()})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("next page after Stop: %v, want connection refused", err)
	}
	own.Stop() // no-op

	// The shared control plane is unaffected.
	if _, err := cluster.Resource(k, "default").List(ctx(t), metav1.ListOptions{}); err != nil {
		t.Errorf("shared cluster after stopping another: %v", err)
	}
}

// TestCreateAgentWritesStatusThroughTheSubresource: the generation counts
// spec changes and the status survives (it is the subresource's).
func TestCreateAgentWritesStatusThroughTheSubresource(t *testing.T) {
	ns := "agents-helper"
	cluster.EnsureNamespace(t, ns)
	beat := time.Now().Add(-90 * time.Second).UTC().Truncate(time.Second)
	a := cluster.CreateAgent(t, ns, "leaf-09", 3, 2, beat)
	got, err := cluster.Resource(kinds.Agent, ns).Get(ctx(t), "leaf-09", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	applied, _, _ := unstructured.NestedInt64(got.Object, "status", "lastAppliedGen")
	hb, _, _ := unstructured.NestedString(got.Object, "status", "lastHeartbeat")
	if got.GetGeneration() != 3 || a.GetGeneration() != 3 || applied != 2 || hb != beat.Format(time.RFC3339) {
		t.Errorf("agent generation %d, lastAppliedGen %d, lastHeartbeat %q", got.GetGeneration(), applied, hb)
	}
}
