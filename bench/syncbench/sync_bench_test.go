//go:build e2e

// Package syncbench measures the gateway's fabric sync on generated
// fabrics of 2,000, 10,000 and 20,000 objects (HHGATE_BENCH_SIZES to
// choose others), with a real kube-apiserver, the Django stand-in and the
// built gateway, against the floors of the same run — the time to list
// the same objects from Kubernetes alone and from NetBox alone — and, at
// 2,000, the plugin's own per-object algorithm (the stand-in's sync-django
// view). `make bench` runs it:
//
//	go test -tags e2e -run '^$' -bench FabricSync -benchtime 1x ./bench/syncbench/
package syncbench

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

const (
	serviceToken = "b3nchb3nchb3nchb3nchb3nchb3nchb3nchb3nc"
	// perObjectAt is the size at which the per-object path is measured
	// (minutes beyond it).
	perObjectAt = 2000
	// standinWorkers is the stand-in's worker processes.
	standinWorkers = 2
)

// row is one size's figures.
type row struct {
	objects                int
	importTook, resyncTook time.Duration
	importNB, resyncNB     int // NetBox API requests
	importKube, resyncKube int // Kubernetes list requests
	resyncWrites           int
	// The no-op resync that compares every object (the first after the
	// import: no kind has change marks yet); resync* is then on the marks.
	fullTook                   time.Duration
	fullNB, fullKube           int
	fullWrites                 int
	peakMiB                    float64
	kubeFloor, netboxFloor     time.Duration
	perObjImport, perObjResync time.Duration
}

// BenchmarkFabricSync runs one row per size and prints the table with the
// targets' ratios.
func BenchmarkFabricSync(b *testing.B) {
	cluster := kube.Start(b)
	var rows []row
	for _, n := range sizes(b) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			r := measure(b, cluster, n)
			rows = append(rows, r)
			report(b, r)
		})
	}
	b.Log("\n" + table(rows))
}

func sizes(b *testing.B) []int {
	v := os.Getenv("HHGATE_BENCH_SIZES")
	if v == "" {
		return []int{2000, 10000, 20000}
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 12 {
			b.Fatalf("HHGATE_BENCH_SIZES: %q is not a size of at least 12 objects", f)
		}
		out = append(out, n)
	}
	return out
}

// measure generates n objects in a namespace of their own and syncs them
// through a fresh NetBox stand-in and a fresh gateway (so that its peak
// RSS is this size's).
func measure(b *testing.B, cluster *kube.Cluster, n int) row {
	namespace := fmt.Sprintf("bench-%d", n)
	// Two worker processes, one per core, as NetBox runs under gunicorn
	// (its contrib/gunicorn.py: five; here sync workers, one request
	// each at a time): the plugin's per-object path runs in one of them,
	// the gateway's batches go to both.
	nb := testenv.StartNetBox(b, testenv.NetBoxOptions{Workers: standinWorkers, Env: map[string]string{"STANDIN_SPEC_BLANK_OK": "1"}})
	nb.CreateUser(b, testenv.User{Username: "hhgate-sync", Password: "unused-password-1", Superuser: true, Token: serviceToken})
	nb.CreateUser(b, testenv.User{Username: "operator", Password: "operator-pw", Superuser: true})
	gw := testenv.StartGateway(b, testenv.GatewayOptions{
		Upstream: nb.Addr,
		Env:      map[string]string{"HHGATE_SYNC": "on", "HHGATE_SYNC_CONTROLLER": "off", "HHGATE_NETBOX_TOKEN": serviceToken, "HHGATE_INJECT_SCRIPT": "off"},
	})
	cluster.GenerateFabric(b, namespace, n)
	token := cluster.Token(b, namespace, kube.AllResources())
	fabric := func(name string) int {
		return nb.CreateFabric(b, map[string]any{
			"name": name, "kubernetes_server": cluster.Server, "kubernetes_token": token,
			"kubernetes_ca_cert": string(cluster.CACert), "kubernetes_namespace": namespace, "connection_status": "connected",
		})
	}
	viaGateway := fabric("bench-gateway")
	gwSession := testenv.Login(b, gw.URL, "operator", "operator-pw")
	gwSession.Client.Timeout = 20 * time.Minute
	var lastBody string
	sync := func(s *testenv.Session, path string) (time.Duration, map[string]int, int) {
		nb.ResetAPIRequestCounts(b)
		lists := kubeLists(b, cluster)
		start := time.Now()
		res, body := s.Do(b, http.MethodPost, path, http.Header{"X-Csrftoken": {s.CSRFToken}, "Content-Type": {"application/json"}}, nil)
		took := time.Since(start)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"success": true`) && !strings.Contains(string(body), `"success":true`) {
			b.Fatalf("%s: %d %.400s", path, res.StatusCode, body)
		}
		lastBody = string(body)
		return took, nb.APIRequestCounts(b), kubeLists(b, cluster) - lists
	}

	r := row{objects: n}
	path := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync/", viaGateway)
	var importReq, resyncReq map[string]int
	r.importTook, importReq, r.importKube = sync(gwSession, path)
	// The first resync compares every object: the import wrote, so no kind
	// was found in sync yet. It records the kinds' change marks.
	var fullReq map[string]int
	r.fullTook, fullReq, r.fullKube = sync(gwSession, path)
	if strings.Contains(lastBody, "by_change_marks") {
		b.Fatalf("the first resync after the import used change marks: %.600s", lastBody)
	}
	// Then the faster of two resyncs on the marks, as for the floors: the machine is shared.
	r.resyncTook, resyncReq, r.resyncKube = sync(gwSession, path)
	if again, req, lists := sync(gwSession, path); again < r.resyncTook {
		r.resyncTook, resyncReq, r.resyncKube = again, req, lists
	}
	if n := strings.Count(lastBody, `"by_change_marks":true`) + strings.Count(lastBody, `"by_change_marks": true`); n != 12 {
		b.Fatalf("%d of 12 kinds confirmed by their change marks: %.600s", n, lastBody)
	}
	r.importNB, r.fullNB, r.resyncNB = total(importReq), total(fullReq), total(resyncReq)
	// The fabric's three PATCHes: the user's authorization (changes nothing), syncing, the final status.
	writes := func(req map[string]int) int { return req["POST"] + req["PUT"] + req["DELETE"] + req["PATCH"] - 3 }
	r.fullWrites, r.resyncWrites = writes(fullReq), writes(resyncReq)
	if got := len(nb.Objects(b, "vpcs", viaGateway)); got != n/12 && got != n/12+1 {
		b.Fatalf("gateway imported %d VPCs of %d objects", got, n)
	}
	r.peakMiB = peakRSS(b, gw.PID()) / (1 << 20)

	r.kubeFloor = min(kubeFloor(b, cluster, namespace, token, n), kubeFloor(b, cluster, namespace, token, n))
	r.netboxFloor = min(netboxFloor(b, nb, viaGateway, n), netboxFloor(b, nb, viaGateway, n))

	if n == perObjectAt {
		djSession := testenv.Login(b, nb.URL, "operator", "operator-pw")
		djSession.Client.Timeout = 20 * time.Minute
		perObject := fabric("bench-per-object")
		r.perObjImport, _, _ = sync(djSession, fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync-django/", perObject))
		r.perObjResync, _, _ = sync(djSession, fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync-django/", perObject))
	}
	return r
}

func report(b *testing.B, r row) {
	b.ReportMetric(r.importTook.Seconds(), "import-s")
	b.ReportMetric(r.resyncTook.Seconds(), "noop-resync-s")
	b.ReportMetric(r.fullTook.Seconds(), "full-compare-resync-s")
	b.ReportMetric(float64(r.fullNB), "full-compare-resync-netbox-requests")
	b.ReportMetric(float64(r.fullWrites), "full-compare-resync-object-writes")
	b.ReportMetric(float64(r.importNB), "import-netbox-requests")
	b.ReportMetric(float64(r.resyncNB), "noop-resync-netbox-requests")
	b.ReportMetric(float64(r.importKube), "import-kube-lists")
	b.ReportMetric(float64(r.resyncKube), "noop-resync-kube-lists")
	b.ReportMetric(float64(r.resyncWrites), "noop-resync-object-writes")
	b.ReportMetric(r.peakMiB, "gateway-peak-MiB")
	b.ReportMetric(r.kubeFloor.Seconds(), "kube-floor-s")
	b.ReportMetric(r.netboxFloor.Seconds(), "netbox-floor-s")
	if r.perObjImport > 0 {
		b.ReportMetric(r.perObjImport.Seconds(), "per-object-import-s")
		b.ReportMetric(r.perObjResync.Seconds(), "per-object-resync-s")
	}
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}
