// Package kube runs a real Kubernetes API server (kube-apiserver + etcd) for
// tests, through controller-runtime's envtest, with the 12 Hedgehog CRDs the
// fabric sync reads and the Agent CRD (switch readiness) installed, and gives tests the project's wiring fixture,
// a fabric generator, scoped service-account tokens and small CRUD helpers.
//
// The binaries come from KUBEBUILDER_ASSETS, a directory holding
// kube-apiserver and etcd. `make test` sets it; by hand:
//
//	KUBEBUILDER_ASSETS=$(scripts/build-envtest-bins.sh | tail -1) go test -tags e2e ./...
//
// (the script builds kube-apiserver v1.37.2 and etcd v3.7.0 from the Go module
// proxy once, about 7 minutes, and caches them outside the clone). Without
// them, Start fails the test with that hint; it never skips.
//
// A control plane takes about 4–7 s to start on two cores (etcd and
// kube-apiserver ≈3 s, the 12 CRDs, then the API server's 2 s fresh-CRD
// window, see settle) and about 1.2 s to stop, so share one per test binary:
//
//	var cluster *kube.Cluster
//
//	func TestMain(m *testing.M) {
//		c, stop := kube.StartMain(m)
//		cluster = c
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
//
// or start it lazily on first use with Shared(t) and stop it in TestMain:
//
//	func TestMain(m *testing.M) { code := m.Run(); kube.StopShared(); os.Exit(code) }
//
// Tests that stop the API server on purpose ("API server stopped mid-sync")
// take a cluster of their own with Start(t) and call its Stop at the moment
// they choose (from another goroutine, a transport hook, …); the test's
// cleanup calls Stop again, which is a no-op. Separate tests on a shared
// cluster keep apart by using their own namespaces.
package kube

import (
	"bufio"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// Versions of the control plane scripts/build-envtest-bins.sh builds.
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.7.0"
)

const buildHint = "run `make test` (it builds them once, cached outside the clone), " +
	"or set KUBEBUILDER_ASSETS=$(scripts/build-envtest-bins.sh | tail -1) before `go test -tags e2e`"

// callTimeout bounds each API call the helpers make.
const callTimeout = 60 * time.Second

//go:embed crds/*.yaml
var crdFiles embed.FS

//go:embed fixtures/*.yaml
var fixtureFiles embed.FS

// Cluster is a running kube-apiserver + etcd pair.
type Cluster struct {
	// Server is the API server's URL, https://127.0.0.1:PORT.
	Server string
	// CACert is the PEM certificate of the CA that signed the API server's
	// serving certificate (what a fabric's kubernetes_ca_cert holds).
	CACert []byte
	// AdminConfig authenticates as a system:masters user with a client
	// certificate. Copy it (rest.CopyConfig) before changing it.
	AdminConfig *rest.Config
	// Dynamic and Clientset are admin clients.
	Dynamic   dynamic.Interface
	Clientset kubernetes.Interface

	env      *envtest.Environment
	stopOnce sync.Once
	tokenSeq atomic.Int64
}

// Object is one custom resource a helper created.
type Object struct {
	Kind      string // e.g. "VPCAttachment"
	Namespace string
	Name      string
	// Type is the kind's entry in kinds.All (group, version, plural
	// resource, plugin REST route).
	Type kinds.Kind
	// Created is the object as the API server stored it (uid,
	// resourceVersion, …).
	Created *unstructured.Unstructured
}

var quietLogs sync.Once

// start launches etcd and kube-apiserver and installs the CRDs.
// Run starts a control plane outside a test (the demo); the caller stops
// it with Stop. KUBEBUILDER_ASSETS must name the binaries, as for tests.
func Run() (*Cluster, error) { return start() }

func start() (*Cluster, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set; the Kubernetes tests need kube-apiserver and etcd: %s", buildHint)
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		fi, err := os.Stat(filepath.Join(assets, bin))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return nil, fmt.Errorf("KUBEBUILDER_ASSETS=%s has no executable %s: %s", assets, bin, buildHint)
		}
	}
	crds, err := CRDs()
	if err != nil {
		return nil, err
	}
	// envtest logs through controller-runtime's logger, which complains on
	// stderr when no logger is ever set.
	quietLogs.Do(func() { ctrllog.SetLogger(logr.Discard()) })

	useExisting := false
	env := &envtest.Environment{
		CRDs:                  crds,
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		UseExistingCluster:    &useExisting, // never a real cluster by accident
	}
	// Explicit paths, so TEST_ASSET_* variables cannot swap the binaries.
	env.ControlPlane.GetAPIServer().Path = filepath.Join(assets, "kube-apiserver")
	env.ControlPlane.Etcd = &envtest.Etcd{Path: filepath.Join(assets, "etcd")}
	// envtest's 20 s defaults are short on a busy two-core machine; its
	// environment variables still take precedence.
	if os.Getenv("KUBEBUILDER_CONTROLPLANE_START_TIMEOUT") == "" {
		env.ControlPlaneStartTimeout = 90 * time.Second
	}
	if os.Getenv("KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT") == "" {
		env.ControlPlaneStopTimeout = 30 * time.Second
	}

	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err)
	}
	c := &Cluster{
		Server:      strings.TrimSuffix(cfg.Host, "/"),
		CACert:      slices.Clone(cfg.CAData),
		AdminConfig: cfg,
		env:         env,
	}
	if c.Dynamic, err = dynamic.NewForConfig(cfg); err == nil {
		c.Clientset, err = kubernetes.NewForConfig(cfg)
	}
	if err == nil {
		err = c.settle()
	}
	if err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// settle waits out the API server's fresh-CRD window: a create of a custom
// resource whose CRD became Established less than 2 s ago is held for 2 s
// (apiextensions-apiserver customresource_handler.go, for HA caches). envtest
// returns as soon as the CRDs are served, so without this the first create in
// a test would take 2 s more than the rest. Established times have
// one-second resolution, as the server sees them too.
func (c *Cluster) settle() error {
	ctx, cancel := callCtx()
	defer cancel()
	api, err := apiextensionsclient.NewForConfig(c.AdminConfig)
	if err != nil {
		return err
	}
	var latest time.Time
	for _, k := range append([]kinds.Kind{kinds.Agent}, kinds.All...) {
		crd, err := api.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, k.Resource+"."+k.Group, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("reading CRD %s.%s after start: %w", k.Resource, k.Group, err)
		}
		i := slices.IndexFunc(crd.Status.Conditions, func(c apiextensionsv1.CustomResourceDefinitionCondition) bool {
			return c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue
		})
		if i < 0 {
			return fmt.Errorf("CRD %s.%s is not Established after start", k.Resource, k.Group)
		}
		if t := crd.Status.Conditions[i].LastTransitionTime.Time; t.After(latest) {
			latest = t
		}
	}
	if wait := time.Until(latest.Add(2*time.Second + 50*time.Millisecond)); wait > 0 {
		time.Sleep(wait)
	}
	return nil
}

// Start starts a control plane owned by the test: it is stopped when the test
// ends, or earlier by Stop. It fails the test, with a hint, when
// KUBEBUILDER_ASSETS does not hold the binaries.
func Start(t testing.TB) *Cluster {
	t.Helper()
	c, err := start()
	if err != nil {
		t.Fatalf("kube: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// StartMain starts a control plane for a whole test binary, from TestMain; call
// the returned function after m.Run. On failure it prints the reason and exits
// with status 1.
func StartMain(m *testing.M) (*Cluster, func()) {
	_ = m
	c, err := start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: kube: %v\n", err)
		os.Exit(1)
	}
	return c, c.Stop
}

var shared struct {
	once sync.Once
	c    *Cluster
	err  error
}

// Shared returns the test binary's shared control plane, starting it on first
// use. TestMain must call StopShared after m.Run.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	shared.once.Do(func() { shared.c, shared.err = start() })
	if shared.err != nil {
		t.Fatalf("kube: %v", shared.err)
	}
	return shared.c
}

// StopShared stops the control plane Shared started, if any.
func StopShared() {
	if shared.c != nil {
		shared.c.Stop()
	}
}

// Stop stops kube-apiserver, then etcd, waits for both to exit and removes
// their directories. Calls after the first do nothing. Once it returns,
// connections to Server are refused.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		if err := c.env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "kube: stopping the control plane: %v\n", err)
		}
	})
}

// TokenConfig is a client configuration for Server that trusts CACert and
// authenticates with the bearer token only.
func (c *Cluster) TokenConfig(token string) *rest.Config {
	return &rest.Config{
		Host:            c.Server,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: slices.Clone(c.CACert)},
		QPS:             1000,
		Burst:           2000,
	}
}

// CRDs returns the embedded CRD manifests of the 12 kinds and of Agent.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	err := eachDocument(crdFiles, "crds", func(file string, doc []byte) error {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := utilyaml.Unmarshal(doc, crd); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		out = append(out, crd)
		return nil
	})
	return out, err
}

var fixture = sync.OnceValues(func() ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	err := eachDocument(fixtureFiles, "fixtures", func(file string, doc []byte) error {
		var m map[string]any
		if err := utilyaml.Unmarshal(doc, &m); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		u := &unstructured.Unstructured{Object: m}
		if _, ok := LookupKind(u.GetAPIVersion(), u.GetKind()); !ok {
			return fmt.Errorf("%s: %s %q is not one of the 12 synced kinds", file, u.GetKind(), u.GetName())
		}
		out = append(out, u)
		return nil
	})
	return out, err
})

// Fixture returns fresh copies of the embedded wiring fixture's objects, in
// file order, placed in namespace (the files say "default").
func Fixture(namespace string) []*unstructured.Unstructured {
	objs, err := fixture()
	if err != nil {
		panic("kube: embedded wiring fixture: " + err.Error())
	}
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o.DeepCopy()
		out[i].SetNamespace(namespace)
	}
	return out
}

// eachDocument calls fn for every non-empty YAML document of the *.yaml files
// in dir, in file-name order.
func eachDocument(fsys embed.FS, dir string, fn func(file string, doc []byte) error) error {
	names, err := fs.Glob(fsys, dir+"/*.yaml")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		f, err := fsys.Open(name)
		if err != nil {
			return err
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(f))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return fmt.Errorf("%s: %w", name, err)
			}
			if isBlankYAML(doc) {
				continue
			}
			if err := fn(path.Base(name), doc); err != nil {
				f.Close()
				return err
			}
		}
		f.Close()
	}
	return nil
}

// isBlankYAML reports whether a document holds only comments and blank lines.
func isBlankYAML(doc []byte) bool {
	for line := range strings.Lines(string(doc)) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && line != "---" {
			return false
		}
	}
	return true
}

// LookupKind finds a synced kind by apiVersion ("group/v1beta1") and Kind.
func LookupKind(apiVersion, kind string) (kinds.Kind, bool) {
	for _, k := range kinds.All {
		if k.Kind == kind && k.Group+"/"+k.Version == apiVersion {
			return k, true
		}
	}
	return kinds.Kind{}, false
}

// KindByName finds a synced kind by Kind ("VPC") or plural resource ("vpcs").
func KindByName(name string) (kinds.Kind, bool) {
	for _, k := range kinds.All {
		if k.Kind == name || k.Resource == name {
			return k, true
		}
	}
	return kinds.Kind{}, false
}

func mustKind(t testing.TB, obj *unstructured.Unstructured) kinds.Kind {
	t.Helper()
	k, ok := LookupKind(obj.GetAPIVersion(), obj.GetKind())
	if !ok {
		t.Fatalf("kube: %s %s %q is not one of the 12 synced kinds", obj.GetAPIVersion(), obj.GetKind(), obj.GetName())
	}
	return k
}

func callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

// Resource is the admin dynamic client for one kind in namespace.
func (c *Cluster) Resource(k kinds.Kind, namespace string) dynamic.ResourceInterface {
	return c.Dynamic.Resource(k.GVR()).Namespace(namespace)
}

// EnsureNamespace creates namespace unless it exists.
func (c *Cluster) EnsureNamespace(t testing.TB, namespace string) {
	t.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := c.Clientset.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("kube: creating namespace %q: %v", namespace, err)
	}
}

// Create creates obj (one of the 12 kinds, namespace set) and returns the
// stored object.
func (c *Cluster) Create(t testing.TB, obj *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	k := mustKind(t, obj)
	ctx, cancel := callCtx()
	defer cancel()
	out, err := c.Resource(k, obj.GetNamespace()).Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kube: creating %s %s/%s: %v", k.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return out
}

// Get returns the object of kind (Kind or plural resource) namespace/name.
func (c *Cluster) Get(t testing.TB, kind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	k, ok := KindByName(kind)
	if !ok {
		t.Fatalf("kube: %q is not one of the 12 synced kinds", kind)
	}
	ctx, cancel := callCtx()
	defer cancel()
	out, err := c.Resource(k, namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("kube: getting %s %s/%s: %v", k.Kind, namespace, name, err)
	}
	return out
}

// Update replaces obj (usually a modified Get or Create result, whose
// resourceVersion guards against lost updates) and returns the stored object.
func (c *Cluster) Update(t testing.TB, obj *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	k := mustKind(t, obj)
	ctx, cancel := callCtx()
	defer cancel()
	out, err := c.Resource(k, obj.GetNamespace()).Update(ctx, obj, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("kube: updating %s %s/%s: %v", k.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return out
}

// Delete deletes obj (only its kind, namespace and name matter) and waits
// until it is gone (custom resources without finalizers go at once).
func (c *Cluster) Delete(t testing.TB, obj *unstructured.Unstructured) {
	t.Helper()
	k := mustKind(t, obj)
	ctx, cancel := callCtx()
	defer cancel()
	ri := c.Resource(k, obj.GetNamespace())
	if err := ri.Delete(ctx, obj.GetName(), metav1.DeleteOptions{}); err != nil {
		t.Fatalf("kube: deleting %s %s/%s: %v", k.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	err := poll(ctx, func() (bool, error) {
		_, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		t.Fatalf("kube: waiting for %s %s/%s to go: %v", k.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
}

// ApplyFixture creates the wiring fixture (Fixture) in namespace, creating
// the namespace if needed, and returns what it created, in fixture order.
func (c *Cluster) ApplyFixture(t testing.TB, namespace string) []Object {
	t.Helper()
	c.EnsureNamespace(t, namespace)
	return c.createAll(t, Fixture(namespace), 4)
}

// createAll creates objs with workers goroutines; the result keeps objs' order.
func (c *Cluster) createAll(t testing.TB, objs []*unstructured.Unstructured, workers int) []Object {
	t.Helper()
	out := make([]Object, len(objs))
	errs := make([]error, len(objs))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(workers, len(objs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(objs) {
					return
				}
				obj := objs[i]
				k, ok := LookupKind(obj.GetAPIVersion(), obj.GetKind())
				if !ok {
					errs[i] = fmt.Errorf("%s %q is not one of the 12 synced kinds", obj.GetKind(), obj.GetName())
					continue
				}
				ctx, cancel := callCtx()
				created, err := c.Resource(k, obj.GetNamespace()).Create(ctx, obj, metav1.CreateOptions{})
				cancel()
				if err != nil {
					errs[i] = fmt.Errorf("creating %s %s/%s: %w", k.Kind, obj.GetNamespace(), obj.GetName(), err)
					continue
				}
				out[i] = Object{Kind: k.Kind, Namespace: created.GetNamespace(), Name: created.GetName(), Type: k, Created: created}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("kube: %v", err)
	}
	return out
}

// GenerateFabric creates n objects spread round-robin over the 12 kinds in
// namespace (created if needed), named gen-<kind>-NNNNN, with small valid
// specs (SwitchGroups have spec {}), using 8 parallel workers. It is meant for
// benchmarks (e.g. 2,000 objects).
func (c *Cluster) GenerateFabric(t testing.TB, namespace string, n int) []Object {
	t.Helper()
	c.EnsureNamespace(t, namespace)
	return c.createAll(t, Generated(namespace, n), 8)
}

// Generated returns the objects GenerateFabric creates, without creating them.
func Generated(namespace string, n int) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, n)
	for i := range n {
		k := kinds.All[i%len(kinds.All)]
		idx := i / len(kinds.All)
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": k.Group + "/" + k.Version,
			"kind":       k.Kind,
			"metadata": map[string]any{
				"name":      genName(k.Kind, idx),
				"namespace": namespace,
				"labels":    map[string]any{"hhgate.example/generated": "true"},
			},
			"spec": generatedSpec(k.Kind, idx),
		}}
		out[i] = u
	}
	return out
}

func genName(kind string, idx int) string {
	return fmt.Sprintf("gen-%s-%05d", strings.ToLower(kind), idx)
}

func generatedSpec(kind string, i int) map[string]any {
	a, b := int64(i/250), int64(i%250)
	switch kind {
	case "VPC":
		return map[string]any{
			"ipv4Namespace": "default",
			"vlanNamespace": "default",
			"subnets": map[string]any{"subnet-01": map[string]any{
				"subnet":  fmt.Sprintf("10.%d.%d.0/24", 100+a, b),
				"gateway": fmt.Sprintf("10.%d.%d.1", 100+a, b),
				"vlan":    int64(1000 + i%2000),
			}},
		}
	case "External":
		return map[string]any{
			"ipv4Namespace":     "default",
			"inboundCommunity":  fmt.Sprintf("65102:%d", i),
			"outboundCommunity": "50000:50001",
		}
	case "ExternalAttachment":
		return map[string]any{
			"external":   genName("External", i),
			"connection": genName("Connection", i),
			"switch":     map[string]any{"vlan": int64(100 + i%3000), "ip": fmt.Sprintf("100.%d.%d.6/24", 64+a, b)},
			"neighbor":   map[string]any{"asn": int64(64000 + i%1000), "ip": fmt.Sprintf("100.%d.%d.1", 64+a, b)},
		}
	case "ExternalPeering":
		return map[string]any{"permit": map[string]any{
			"vpc":      map[string]any{"name": genName("VPC", i), "subnets": []any{"subnet-01"}},
			"external": map[string]any{"name": genName("External", i), "prefixes": []any{map[string]any{"prefix": "0.0.0.0/0"}}},
		}}
	case "IPv4Namespace":
		return map[string]any{"subnets": []any{fmt.Sprintf("10.%d.%d.0/24", 100+a, b)}}
	case "VPCAttachment":
		return map[string]any{"subnet": genName("VPC", i) + "/subnet-01", "connection": genName("Connection", i)}
	case "VPCPeering":
		return map[string]any{"permit": []any{map[string]any{
			genName("VPC", i):   map[string]any{},
			genName("VPC", i+1): map[string]any{},
		}}}
	case "Connection":
		return map[string]any{"unbundled": map[string]any{"link": map[string]any{
			"server": map[string]any{"port": genName("Server", i) + "/enp2s1"},
			"switch": map[string]any{"port": fmt.Sprintf("%s/E1/%d", genName("Switch", i/48), 1+i%48)},
		}}}
	case "Server":
		return map[string]any{"profile": "vlab-server"}
	case "Switch":
		return map[string]any{
			"role":        "server-leaf",
			"description": fmt.Sprintf("generated leaf %d", i),
			"profile":     "vs",
			"asn":         int64(65000 + i%500),
			"boot":        map[string]any{"mac": fmt.Sprintf("0c:20:12:%02x:%02x:00", (i>>8)&0xff, i&0xff)},
		}
	case "SwitchGroup":
		return map[string]any{}
	case "VLANNamespace":
		return map[string]any{"ranges": []any{map[string]any{"from": int64(1000), "to": int64(2999)}}}
	}
	panic("kube: no generator for kind " + kind)
}

// Token returns a bearer token for a new ServiceAccount in namespace bound
// to a Role that allows get, list and watch on exactly allowedResources
// (plural names of the 12 kinds, e.g. "vpcs", "switches", or "agents")
// and nothing else.
// The namespace is created if needed. It returns once the API server's RBAC
// authorizer grants the allowed resources, so a request made right after
// sees the Role. The token (TokenRequest API) is valid for an hour.
func (c *Cluster) Token(t testing.TB, namespace string, allowedResources []string) string {
	t.Helper()
	return c.TokenWithVerbs(t, namespace, allowedResources, []string{"get", "list", "watch"})
}

// TokenWithVerbs is Token with the Role's verbs given (e.g. get and list
// without watch).
func (c *Cluster) TokenWithVerbs(t testing.TB, namespace string, allowedResources, verbs []string) string {
	t.Helper()
	byGroup := map[string][]string{}
	for _, r := range allowedResources {
		k, ok := tokenKind(r)
		if !ok {
			t.Fatalf("kube: Token: %q is not the plural resource of one of the 12 synced kinds or agents", r)
		}
		byGroup[k.Group] = append(byGroup[k.Group], r)
	}
	var rules []rbacv1.PolicyRule
	for _, g := range slices.Sorted(maps.Keys(byGroup)) {
		rules = append(rules, rbacv1.PolicyRule{
			APIGroups: []string{g},
			Resources: byGroup[g],
			Verbs:     verbs,
		})
	}

	c.EnsureNamespace(t, namespace)
	name := fmt.Sprintf("fabric-reader-%d", c.tokenSeq.Add(1))
	ctx, cancel := callCtx()
	defer cancel()
	core, rbac := c.Clientset.CoreV1(), c.Clientset.RbacV1()
	meta := metav1.ObjectMeta{Name: name, Namespace: namespace}
	if _, err := core.ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("kube: creating ServiceAccount %s/%s: %v", namespace, name, err)
	}
	if _, err := rbac.Roles(namespace).Create(ctx, &rbacv1.Role{ObjectMeta: meta, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("kube: creating Role %s/%s: %v", namespace, name, err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: meta,
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: namespace}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
	}
	if _, err := rbac.RoleBindings(namespace).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatalf("kube: creating RoleBinding %s/%s: %v", namespace, name, err)
	}

	// The RBAC authorizer reads Roles through informers: wait until it
	// grants every allowed resource.
	user := "system:serviceaccount:" + namespace + ":" + name
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}
	for _, r := range allowedResources {
		k, _ := tokenKind(r)
		err := poll(ctx, func() (bool, error) {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User:   user,
				Groups: groups,
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: namespace, Verb: "list", Group: k.Group, Version: k.Version, Resource: k.Resource,
				},
			}}
			res, err := c.Clientset.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
			if err != nil {
				return false, err
			}
			return res.Status.Allowed, nil
		})
		if err != nil {
			t.Fatalf("kube: waiting for Role %s/%s to allow %s: %v", namespace, name, r, err)
		}
	}

	expiry := int64(3600)
	tr, err := core.ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kube: requesting a token for ServiceAccount %s/%s: %v", namespace, name, err)
	}
	return tr.Status.Token
}

// tokenKind finds the kind of a plural resource Token may allow.
func tokenKind(resource string) (kinds.Kind, bool) {
	if resource == kinds.Agent.Resource {
		return kinds.Agent, true
	}
	k, ok := KindByName(resource)
	return k, ok && k.Resource == resource
}

// AllResources returns the plural resource names of the 12 kinds, except
// those listed (for Token: "a Role lacking one kind").
func AllResources(except ...string) []string {
	var out []string
	for _, k := range kinds.All {
		if !slices.Contains(except, k.Resource) {
			out = append(out, k.Resource)
		}
	}
	return out
}

// poll calls cond every 20 ms until it reports done, fails, or ctx ends.
func poll(ctx context.Context, cond func() (bool, error)) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		done, err := cond()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
