//go:build e2e

package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run the stand-in's Django-side sync (the plugin main branch's
// per-object import, /plugins/hedgehog/fabrics/<id>/sync-django/) against a
// canned Kubernetes API server in this process, over TLS with its own CA.

// pluginTestCA is a throw-away CA with one serving certificate for 127.0.0.1.
type pluginTestCA struct {
	PEM    string // the CA certificate, PEM
	server tls.Certificate
}

func newPluginTestCA(t *testing.T) pluginTestCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hhgate test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pluginTestCA{
		PEM:    string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
	}
}

// fakeKubeAPI answers the namespaced list calls of the 12 kinds from canned items.
type fakeKubeAPI struct {
	URL   string
	token string

	mu       sync.Mutex
	items    map[string][]map[string]any // plural -> items
	statuses map[string]int              // plural -> forced status (e.g. 403, 404)
	paths    []string
}

func startFakeKubeAPI(t *testing.T, ca pluginTestCA, token string) *fakeKubeAPI {
	t.Helper()
	f := &fakeKubeAPI{token: token, items: map[string][]map[string]any{}, statuses: map[string]int{}}
	srv := httptest.NewUnstartedServer(f)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.server}}
	// Handshakes refused by a client that does not trust the CA are expected.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeKubeAPI) set(plural string, items ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[plural] = items
}

func (f *fakeKubeAPI) status(plural string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if code == 0 {
		delete(f.statuses, plural)
	} else {
		f.statuses[plural] = code
	}
}

func (f *fakeKubeAPI) takePaths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.paths
	f.paths = nil
	return p
}

func writeKubeStatus(w http.ResponseWriter, code int, reason, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{
		"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason, "code": code,
	})
}

func (f *fakeKubeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paths = append(f.paths, r.Method+" "+r.URL.RequestURI())
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		writeKubeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
		return
	}
	// /apis/<group>/v1beta1/namespaces/<ns>/<plural>
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) != 6 || parts[0] != "apis" || parts[2] != "v1beta1" || parts[3] != "namespaces" {
		writeKubeStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
		return
	}
	group, ns, plural := parts[1], parts[4], parts[5]
	var kind *PluginKind
	for i := range PluginKinds {
		if PluginKinds[i].Plural == plural && PluginKinds[i].Group == group {
			kind = &PluginKinds[i]
		}
	}
	if kind == nil {
		writeKubeStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
		return
	}
	if code := f.statuses[plural]; code != 0 {
		writeKubeStatus(w, code, http.StatusText(code), fmt.Sprintf("%s.%s is %s", plural, group, http.StatusText(code)))
		return
	}
	items := []map[string]any{}
	for _, it := range f.items[plural] {
		if it["metadata"].(map[string]any)["namespace"] == ns {
			items = append(items, it)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"apiVersion": group + "/v1beta1", "kind": kind.Kind + "List",
		"metadata": map[string]any{"resourceVersion": "100"}, "items": items,
	})
}

// cr builds a custom resource as the API server lists it.
func fakeCR(kind, name string, spec map[string]any, extra map[string]any) map[string]any {
	md := map[string]any{
		"name": name, "namespace": "default", "uid": "uid-" + name, "resourceVersion": "1", "generation": 1,
		"creationTimestamp": "2026-01-01T00:00:00Z",
	}
	for k, v := range extra {
		md[k] = v
	}
	return map[string]any{"apiVersion": "x/v1beta1", "kind": kind, "metadata": md, "spec": spec, "status": map[string]any{}}
}

func objectsByName(objs []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, o := range objs {
		out[o["name"].(string)] = o
	}
	return out
}

func TestPluginDjangoSync(t *testing.T) {
	ca := newPluginTestCA(t)
	kube := startFakeKubeAPI(t, ca, "kube-token")
	nb := StartNetBox(t, NetBoxOptions{})
	nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true})
	fab := nb.CreateFabric(t, map[string]any{
		"name": "lab", "kubernetes_server": kube.URL, "kubernetes_token": "kube-token",
		"kubernetes_ca_cert": ca.PEM, "kubernetes_namespace": "default",
	})
	path := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync-django/", fab)
	s := Login(t, nb.BaseURL, "admin", "admin-pw")
	runSync := func(t *testing.T) map[string]any {
		t.Helper()
		resp, body := s.FetchPost(t, path)
		wantStatus(t, resp, body, http.StatusOK)
		return decodeJSON(t, resp, body)
	}

	t.Run("login, POST only", func(t *testing.T) {
		resp, body := anonymousWithCSRF(t, nb.BaseURL).FetchPost(t, path)
		wantRedirect(t, resp, body, "/login/?next="+path)
		resp, body = s.Get(t, path)
		wantStatus(t, resp, body, http.StatusMethodNotAllowed)
	})

	t.Run("connection gate", func(t *testing.T) {
		got := runSync(t)
		wantJSONEqual(t, got, `{"success": false, "error": "Cannot sync: Connection test required first. Please test connection before syncing."}`)
		f := nb.Fabric(t, fab)
		if f["sync_status"] != "error" || f["sync_error"] != "No active connection" {
			t.Fatalf("fabric %v", f)
		}
		if p := kube.takePaths(); len(p) != 0 {
			t.Fatalf("Kubernetes was called: %v", p)
		}
	})
	nb.UpdateFabric(t, fab, map[string]any{"connection_status": "connected"})

	kube.set("vpcs",
		fakeCR("VPC", "vpc-1", map[string]any{"subnets": map[string]any{"default": map[string]any{"subnet": "10.0.1.0/24"}}},
			map[string]any{"labels": map[string]any{"team": "a"}, "annotations": map[string]any{"note": "n"}}),
		fakeCR("VPC", "vpc-2", map[string]any{"subnets": map[string]any{}}, nil),
	)
	ready := fakeCR("Switch", "leaf-1", map[string]any{"role": "server-leaf"}, nil)
	ready["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}
	kube.set("switches", ready)
	kube.set("switchgroups", fakeCR("SwitchGroup", "mclag-1", map[string]any{}, nil))
	kube.set("servers", fakeCR("Server", "server-1", map[string]any{"description": "s"}, nil))
	kube.set("connections", fakeCR("Connection", "server-1--unbundled--leaf-1", map[string]any{"unbundled": map[string]any{}}, nil))
	other := fakeCR("VPC", "elsewhere", map[string]any{"a": 1}, nil)
	other["metadata"].(map[string]any)["namespace"] = "other"
	kube.set("vpcpeerings", other) // another namespace: not listed
	kube.status("externals", http.StatusNotFound)

	t.Run("initial import", func(t *testing.T) {
		nb.ResetAPIRequestCounts(t)
		got := runSync(t)
		wantJSONEqual(t, got, `{"success": true, "message": "Sync completed successfully! Fabric \"lab\" is now synchronized.",
			"stats": {"total_crds": 6, "created": 6, "updated": 0, "errors": 0, "status": "in_sync",
			"details": "6 created, 0 updated"}}`)
		paths := kube.takePaths()
		if len(paths) != 12 || paths[0] != "GET /apis/vpc.githedgehog.com/v1beta1/namespaces/default/vpcs" ||
			paths[11] != "GET /apis/wiring.githedgehog.com/v1beta1/namespaces/default/vlannamespaces" {
			t.Fatalf("Kubernetes requests %v", paths)
		}
		vpcs := objectsByName(nb.Objects(t, "vpcs", fab))
		v1 := vpcs["vpc-1"]
		if len(vpcs) != 2 || v1["kubernetes_uid"] != "uid-vpc-1" || v1["kubernetes_resource_version"] != "1" ||
			v1["kubernetes_status"] != "applied" || v1["auto_sync"] != true || v1["sync_error"] != "" || v1["last_synced"] == nil {
			t.Fatalf("vpcs %v", vpcs)
		}
		wantJSONEqual(t, v1["labels"], `{"team": "a"}`)
		wantJSONEqual(t, v1["annotations"], `{"note": "n"}`)
		wantJSONEqual(t, vpcs["vpc-2"]["spec"], `{"subnets": {}}`)
		// create() skips full_clean, so the empty spec is stored.
		sg := nb.Objects(t, "switch-groups", fab)
		if len(sg) != 1 {
			t.Fatalf("switch groups %v", sg)
		}
		wantJSONEqual(t, sg[0]["spec"], `{}`)
		if sw := nb.Objects(t, "switches", fab); len(sw) != 1 || sw[0]["kubernetes_status"] != "live" {
			t.Fatalf("switches %v", sw)
		}
		if n := len(nb.Objects(t, "vpc-peerings", fab)); n != 0 {
			t.Fatalf("%d VPC peerings from another namespace", n)
		}
		f := nb.Fabric(t, fab)
		for k, want := range map[string]any{"sync_status": "in_sync", "sync_error": "", "cached_crd_count": 6.0,
			"cached_vpc_count": 2.0, "vpcs_count": 2.0, "cached_connection_count": 1.0, "connections_count": 1.0,
			"servers_count": 1.0, "switches_count": 1.0} {
			if f[k] != want {
				t.Errorf("fabric %s = %v, want %v", k, f[k], want)
			}
		}
		if f["last_sync"] == nil {
			t.Error("no last_sync")
		}
		// The Django-side sync writes to the database, not through the REST API.
		wantJSONEqual(t, nb.APIRequestCounts(t), `{"GET": 0, "POST": 0, "PUT": 0, "PATCH": 0, "DELETE": 0}`)
	})

	t.Run("resync rewrites every object and prunes nothing", func(t *testing.T) {
		before := objectsByName(nb.Objects(t, "vpcs", fab))
		kube.set("vpcs", fakeCR("VPC", "vpc-1", map[string]any{"changed": true}, nil))
		got := runSync(t)
		wantJSONEqual(t, got["stats"], `{"total_crds": 5, "created": 0, "updated": 5, "errors": 0, "status": "in_sync",
			"details": "0 created, 5 updated"}`)
		after := objectsByName(nb.Objects(t, "vpcs", fab))
		if len(after) != 2 {
			t.Fatalf("vpc-2 was pruned: %v", after)
		}
		wantJSONEqual(t, after["vpc-1"]["spec"], `{"changed": true}`)
		wantJSONEqual(t, after["vpc-1"]["labels"], `{}`)
		if after["vpc-1"]["last_synced"] == before["vpc-1"]["last_synced"] {
			t.Error("vpc-1 was not rewritten")
		}
		if after["vpc-2"]["last_synced"] != before["vpc-2"]["last_synced"] {
			t.Error("vpc-2, gone from Kubernetes, was touched")
		}
		if f := nb.Fabric(t, fab); f["cached_crd_count"] != 5.0 || f["vpcs_count"] != 1.0 {
			t.Errorf("fabric counts %v %v", f["cached_crd_count"], f["vpcs_count"])
		}
	})

	t.Run("one forbidden kind aborts the whole import", func(t *testing.T) {
		kube.set("vpcs", fakeCR("VPC", "vpc-1", map[string]any{"changed": true}, nil), fakeCR("VPC", "vpc-3", map[string]any{"a": 1}, nil))
		kube.status("servers", http.StatusForbidden)
		got := runSync(t)
		if got["success"] != false || got["error"] != "Sync completed with 1 errors" {
			t.Fatalf("answer %v", got)
		}
		stats := got["stats"].(map[string]any)
		details := stats["error_details"].([]any)
		if stats["errors"] != 1.0 || stats["total_crds"] != 0.0 || len(details) != 1 ||
			!strings.HasPrefix(details[0].(string), "Failed to fetch servers: (403)\nReason: Forbidden\n") {
			t.Fatalf("stats %v", stats)
		}
		if _, ok := objectsByName(nb.Objects(t, "vpcs", fab))["vpc-3"]; ok {
			t.Fatal("vpc-3 was imported although the fetch failed")
		}
		f := nb.Fabric(t, fab)
		if f["sync_status"] != "error" || f["sync_error"] != "1 CRDs failed to sync" {
			t.Fatalf("fabric %v %v", f["sync_status"], f["sync_error"])
		}
		kube.status("servers", 0)
	})

	t.Run("wrong token", func(t *testing.T) {
		nb.UpdateFabric(t, fab, map[string]any{"kubernetes_token": "wrong"})
		got := runSync(t)
		stats := got["stats"].(map[string]any)
		if got["error"] != "Sync completed with 12 errors" || len(stats["error_details"].([]any)) != 5 {
			t.Fatalf("answer %v", got)
		}
		if d := stats["error_details"].([]any)[0].(string); !strings.HasPrefix(d, "Failed to fetch vpcs: (401)") {
			t.Fatalf("first error %q", d)
		}
		nb.UpdateFabric(t, fab, map[string]any{"kubernetes_token": "kube-token"})
	})

	t.Run("CA is verified when given", func(t *testing.T) {
		nb.UpdateFabric(t, fab, map[string]any{"kubernetes_ca_cert": newPluginTestCA(t).PEM})
		got := runSync(t)
		d := got["stats"].(map[string]any)["error_details"].([]any)[0].(string)
		if !strings.HasPrefix(d, "Unexpected error fetching vpcs: ") || !strings.Contains(d, "CERTIFICATE_VERIFY_FAILED") {
			t.Fatalf("error %q", d)
		}
		// Without a CA the plugin does not verify at all.
		nb.UpdateFabric(t, fab, map[string]any{"kubernetes_ca_cert": ""})
		if got := runSync(t); got["success"] != true {
			t.Fatalf("without CA: %v", got)
		}
		nb.UpdateFabric(t, fab, map[string]any{"kubernetes_ca_cert": ca.PEM})
	})

	t.Run("nothing to import is out_of_sync", func(t *testing.T) {
		for _, k := range PluginKinds {
			kube.set(k.Plural)
		}
		got := runSync(t)
		wantJSONEqual(t, got["stats"], `{"total_crds": 0, "created": 0, "updated": 0, "errors": 0, "status": "out_of_sync",
			"details": "0 created, 0 updated"}`)
		if f := nb.Fabric(t, fab); f["sync_status"] != "out_of_sync" || f["cached_crd_count"] != 0.0 {
			t.Fatalf("fabric %v", f)
		}
	})

	t.Run("no server configured", func(t *testing.T) {
		nb.UpdateFabric(t, fab, map[string]any{"kubernetes_server": ""})
		got := runSync(t)
		details := got["stats"].(map[string]any)["error_details"].([]any)
		if got["error"] != "Sync completed with 1 errors" ||
			details[0] != "Failed to initialize Kubernetes client: Invalid kube-config file. No configuration found." {
			t.Fatalf("answer %v", got)
		}
	})
}
