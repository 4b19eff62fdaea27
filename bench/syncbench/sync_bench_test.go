//go:build e2e

// Package syncbench measures the gateway's fabric sync on a generated
// 2,000-object fabric against the plugin's own per-object algorithm (the
// stand-in's sync-django view), with a real kube-apiserver, the Django
// stand-in and the built gateway. `make bench` runs it:
//
//	go test -tags e2e -run '^$' -bench FabricSync -benchtime 1x ./bench/syncbench/
package syncbench

import (
	"bufio"
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
	objects      = 2000
	serviceToken = "b3nchb3nchb3nchb3nchb3nchb3nchb3nchb3nc"
	namespace    = "bench"
)

// BenchmarkFabricSync2000 reports, for one run: the gateway's initial
// import and no-op resync (time, NetBox requests, writes), the same data
// through the per-object path, their ratios, and the gateway's peak memory.
func BenchmarkFabricSync2000(b *testing.B) {
	cluster := kube.Start(b)
	nb := testenv.StartNetBox(b, testenv.NetBoxOptions{Env: map[string]string{"STANDIN_SPEC_BLANK_OK": "1"}})
	nb.CreateUser(b, testenv.User{Username: "hhgate-sync", Password: "unused-password-1", Superuser: true, Token: serviceToken})
	nb.CreateUser(b, testenv.User{Username: "operator", Password: "operator-pw", Superuser: true})
	gw := testenv.StartGateway(b, testenv.GatewayOptions{
		Upstream: nb.Addr,
		Env:      map[string]string{"HHGATE_SYNC": "on", "HHGATE_SYNC_CONTROLLER": "off", "HHGATE_NETBOX_TOKEN": serviceToken, "HHGATE_INJECT_SCRIPT": "off"},
	})
	cluster.GenerateFabric(b, namespace, objects)
	token := cluster.Token(b, namespace, kube.AllResources())
	fabric := func(name string) int {
		return nb.CreateFabric(b, map[string]any{
			"name": name, "kubernetes_server": cluster.Server, "kubernetes_token": token,
			"kubernetes_ca_cert": string(cluster.CACert), "kubernetes_namespace": namespace, "connection_status": "connected",
		})
	}
	viaGateway, perObject := fabric("bench-gateway"), fabric("bench-per-object")
	gwSession := testenv.Login(b, gw.URL, "operator", "operator-pw")
	djSession := testenv.Login(b, nb.URL, "operator", "operator-pw")
	// The per-object path commits once per object: minutes, not seconds.
	gwSession.Client.Timeout, djSession.Client.Timeout = 10*time.Minute, 10*time.Minute

	run := func(s *testenv.Session, path string) (time.Duration, map[string]int) {
		nb.ResetAPIRequestCounts(b)
		start := time.Now()
		res, body := s.Do(b, http.MethodPost, path, http.Header{"X-Csrftoken": {s.CSRFToken}, "Content-Type": {"application/json"}}, nil)
		took := time.Since(start)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"success": true`) && !strings.Contains(string(body), `"success":true`) {
			b.Fatalf("%s: %d %.400s", path, res.StatusCode, body)
		}
		return took, nb.APIRequestCounts(b)
	}
	b.ResetTimer()
	importGW, importReq := run(gwSession, fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync/", viaGateway))
	resyncGW, resyncReq := run(gwSession, fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync/", viaGateway))
	importDJ, _ := run(djSession, fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync-django/", perObject))
	resyncDJ, _ := run(djSession, fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync-django/", perObject))
	b.StopTimer()

	if got := len(nb.Objects(b, "vpcs", viaGateway)); got != objects/12 && got != objects/12+1 {
		b.Fatalf("gateway imported %d VPCs of %d objects", got, objects)
	}
	writes := resyncReq["POST"] + resyncReq["PUT"] + resyncReq["DELETE"] + resyncReq["PATCH"] - 2 // the fabric's two status PATCHes
	peak := peakRSS(b, gw.PID())

	b.ReportMetric(importGW.Seconds(), "import-s")
	b.ReportMetric(resyncGW.Seconds(), "noop-resync-s")
	b.ReportMetric(float64(total(importReq)), "import-requests")
	b.ReportMetric(float64(total(resyncReq)), "noop-resync-requests")
	b.ReportMetric(float64(writes), "noop-resync-object-writes")
	b.ReportMetric(importDJ.Seconds(), "per-object-import-s")
	b.ReportMetric(resyncDJ.Seconds(), "per-object-resync-s")
	b.ReportMetric(importGW.Seconds()/importDJ.Seconds(), "import-ratio(gw/per-object)")
	b.ReportMetric(resyncDJ.Seconds()/resyncGW.Seconds(), "resync-speedup(per-object/gw)")
	b.ReportMetric(peak/(1<<20), "gateway-peak-MiB")
	b.Logf("2,000 objects: gateway import %s (%v), no-op resync %s (%v); per-object import %s, resync %s; gateway peak RSS %.1f MiB",
		importGW.Round(time.Millisecond), importReq, resyncGW.Round(time.Millisecond), resyncReq,
		importDJ.Round(time.Millisecond), resyncDJ.Round(time.Millisecond), peak/(1<<20))
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// peakRSS reads the process's high-water resident memory (VmHWM) in bytes.
func peakRSS(b *testing.B, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb * 1024
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}
