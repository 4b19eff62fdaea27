//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

// The fabric controller end to end: real kube-apiserver + etcd, the
// Django stand-in, built hhgate processes (drop-in Caddyfile, HHGATE_SYNC=on,
// controller on) with their admin API for metrics.

// startControllerGateway starts a gateway with the controller on and the
// given debounce, its storage under dataHome.
func (s *syncStack) startControllerGateway(t *testing.T, dataHome, debounce string) *runtimeGateway {
	t.Helper()
	admin := testenv.ClosedAddr(t)
	gw := testenv.StartGateway(t, testenv.GatewayOptions{
		Upstream: s.netbox.Addr,
		Env: map[string]string{"HHGATE_SYNC": "on", "HHGATE_NETBOX_TOKEN": serviceToken, "HHGATE_INJECT_SCRIPT": "off",
			"HHGATE_SYNC_DEBOUNCE": debounce, "HHGATE_ADMIN": admin, "XDG_DATA_HOME": dataHome, "HHGATE_LOG_LEVEL": "DEBUG"},
	})
	return &runtimeGateway{Gateway: gw, admin: "http://" + admin}
}

// controllerFabric creates a sync-enabled fabric with sync_interval
// seconds and a token with verbs on every kind.
func (s *syncStack) controllerFabric(t *testing.T, interval int, verbs ...string) int {
	t.Helper()
	if len(verbs) == 0 {
		verbs = []string{"get", "list", "watch"}
	}
	return s.netbox.CreateFabric(t, map[string]any{
		"name":                 fmt.Sprintf("ctrl-%s-%d", s.namespace, interval),
		"kubernetes_server":    s.cluster.Server,
		"kubernetes_token":     s.cluster.TokenWithVerbs(t, s.namespace, kube.AllResources(), verbs),
		"kubernetes_ca_cert":   string(s.cluster.CACert),
		"kubernetes_namespace": s.namespace,
		"sync_enabled":         true,
		"sync_interval":        interval,
	})
}

// hedgehogWatches counts the WATCH requests the API server is serving on
// the Hedgehog kinds (apiserver_longrunning_requests).
func hedgehogWatches(t *testing.T, c *kube.Cluster) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw, err := c.Clientset.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		t.Fatalf("kube-apiserver /metrics: %v", err)
	}
	n := 0
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "apiserver_longrunning_requests{") && strings.Contains(line, `verb="WATCH"`) &&
			strings.Contains(line, `githedgehog.com"`) {
			var v float64
			fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v)
			n += int(v)
		}
	}
	return n
}

// waitFor polls cond every 50 ms until it holds or bound passes.
func waitForCond(t *testing.T, bound time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > bound {
			t.Fatalf("%s: not within %s", what, bound)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// syncSpan is one sync from a gateway's log: its end and duration.
type syncSpan struct {
	gateway    int
	start, end time.Time
}

// syncSpans reads the engine's "fabric synced"/"fabric sync failed" lines.
func syncSpans(t *testing.T, idx int, log string) []syncSpan {
	t.Helper()
	var out []syncSpan
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, `"msg":"fabric sync`) {
			continue
		}
		var rec struct {
			TS         float64 `json:"ts"`
			DurationMS int64   `json:"duration_ms"`
		}
		if err := json.Unmarshal([]byte(line[strings.Index(line, "{"):]), &rec); err != nil {
			continue
		}
		end := time.Unix(0, int64(rec.TS*1e9))
		out = append(out, syncSpan{gateway: idx, start: end.Add(-time.Duration(rec.DurationMS) * time.Millisecond), end: end})
	}
	return out
}

// TestControllerSchedulesOnOneGatewayAndHandsOverWhenItDies: a fabric
// with sync_interval 5 is synced on schedule by exactly one of two
// gateways sharing file_system storage; SIGKILL on that one hands the
// schedule to the other within the documented bound (lease staleness
// 10 s + 1 s poll + the interval); no two syncs ever overlap.
// Real parts: kube-apiserver, Django stand-in, two hhgate processes.
func TestControllerSchedulesOnOneGatewayAndHandsOverWhenItDies(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	s.cluster.GenerateFabric(t, s.namespace, 24)
	id := s.controllerFabric(t, 5)
	shared := t.TempDir()
	gws := []*runtimeGateway{s.startControllerGateway(t, shared, "1s"), s.startControllerGateway(t, shared, "1s")}
	schedRuns := func(g *runtimeGateway) float64 { return g.metric(t, "hhgate_sync_runs_total", `trigger="schedule"`) }
	waitForCond(t, 30*time.Second, "two scheduled syncs", func() bool { return schedRuns(gws[0])+schedRuns(gws[1]) >= 2 })
	leader, other := gws[0], gws[1]
	if schedRuns(leader) == 0 {
		leader, other = other, leader
	}
	if schedRuns(other) != 0 || leader.metric(t, "hhgate_sync_controller_leader") != 1 || other.metric(t, "hhgate_sync_controller_leader") != 0 {
		t.Fatalf("scheduled syncs on both gateways: %v and %v", schedRuns(leader), schedRuns(other))
	}
	if f := s.netbox.Fabric(t, id); f["sync_status"] != "in_sync" || objectTotal(t, s, id) != 24 {
		t.Fatalf("fabric %v with %d objects after scheduled syncs", f["sync_status"], objectTotal(t, s, id))
	}
	spans := syncSpans(t, 0, leader.Log())
	if err := syscall.Kill(leader.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	took := waitForCond(t, 30*time.Second, "the other gateway's first scheduled sync", func() bool { return schedRuns(other) >= 1 })
	t.Logf("hand-over: the surviving gateway ran its first scheduled sync %s after the leader was killed", took.Round(100*time.Millisecond))
	if took > 11*time.Second+6*time.Second+5*time.Second {
		t.Errorf("hand-over took %s, beyond the documented 11 s + interval (+ sync) bound", took)
	}
	waitForCond(t, 20*time.Second, "a second scheduled sync on the survivor", func() bool { return schedRuns(other) >= 2 })
	spans = append(spans, syncSpans(t, 1, other.Log())...)
	for i := range spans {
		for j := i + 1; j < len(spans); j++ {
			a, b := spans[i], spans[j]
			if a.start.Before(b.end) && b.start.Before(a.end) {
				t.Errorf("two syncs at once: gateway %d %v–%v and gateway %d %v–%v", a.gateway, a.start, a.end, b.gateway, b.start, b.end)
			}
		}
	}
	if len(spans) < 4 {
		t.Errorf("only %d syncs in the logs", len(spans))
	}
	_ = killed
}

// TestControllerFollowsClusterChangesByItself: with sync_interval 0 (no
// schedule) and debounce 1s, adding, changing and deleting custom
// resources shows up in NetBox by itself within debounce + one sync; the
// fabric reads out_of_sync between the change and its sync, in_sync after;
// a burst of 100 changes within about a second gives one or two syncs.
// Real parts: kube-apiserver, Django stand-in, hhgate binary.
func TestControllerFollowsClusterChangesByItself(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	objs := s.cluster.GenerateFabric(t, s.namespace, 24)
	before := hedgehogWatches(t, s.cluster)
	id := s.controllerFabric(t, 0)
	gw := s.startControllerGateway(t, t.TempDir(), "1s")
	waitForCond(t, 30*time.Second, "twelve watches", func() bool { return hedgehogWatches(t, s.cluster)-before >= len(kinds.All) })
	if n := hedgehogWatches(t, s.cluster) - before; n != len(kinds.All) {
		t.Errorf("%d watches for one fabric, want one per kind (%d)", n, len(kinds.All))
	}

	// A change: out_of_sync at once, then the sync imports everything.
	vpc := s.cluster.Get(t, "VPC", s.namespace, objs[0].Name)
	vpc.SetLabels(map[string]string{"changed": "1"})
	s.cluster.Update(t, vpc)
	changed := time.Now()
	sawOutOfSync := false
	took := waitForCond(t, 15*time.Second, "the change in NetBox", func() bool {
		f := s.netbox.Fabric(t, id)
		sawOutOfSync = sawOutOfSync || f["sync_status"] == "out_of_sync"
		return f["sync_status"] == "in_sync" && objectTotal(t, s, id) == len(objs)
	})
	if !sawOutOfSync {
		t.Error("the fabric never read out_of_sync between the change and its sync")
	}
	t.Logf("change → NetBox updated in %s", took.Round(10*time.Millisecond))
	_ = changed

	// Delete one, add one: both by themselves.
	s.cluster.Delete(t, vpc)
	extra := kube.Generated(s.namespace, 25)[24]
	extra.SetName("added-by-test")
	s.cluster.Create(t, extra)
	waitForCond(t, 15*time.Second, "the delete and the add in NetBox", func() bool {
		names := map[string]bool{}
		for _, k := range kinds.All {
			for _, o := range s.netbox.Objects(t, k.Route, id) {
				names[fmt.Sprint(o["name"])] = true
			}
		}
		return !names[objs[0].Name] && names["added-by-test"] && s.netbox.Fabric(t, id)["sync_status"] == "in_sync"
	})

	// A burst of 100 changes: one or two syncs.
	changeRuns := func() float64 { return gw.metric(t, "hhgate_sync_runs_total", `trigger="change"`) }
	waitForCond(t, 10*time.Second, "quiet", func() bool { return s.netbox.Fabric(t, id)["sync_status"] == "in_sync" })
	runsBefore := changeRuns()
	burstStart := time.Now()
	for i := range 100 {
		o := s.cluster.Get(t, objs[1+i%20].Kind, s.namespace, objs[1+i%20].Name)
		o.SetLabels(map[string]string{"burst": fmt.Sprint(i)})
		s.cluster.Update(t, o)
	}
	burst := time.Since(burstStart)
	waitForCond(t, 20*time.Second, "the burst's sync", func() bool {
		return changeRuns() > runsBefore && s.netbox.Fabric(t, id)["sync_status"] == "in_sync"
	})
	// Let a second debounce window pass before counting.
	// The absence of a third sync can only be seen by waiting: two more
	// debounce windows.
	time.Sleep(2 * time.Second)
	if n := changeRuns() - runsBefore; n < 1 || n > 2 {
		t.Errorf("a burst of 100 changes in %s gave %v syncs, want 1 or 2", burst.Round(time.Millisecond), n)
	}
	t.Logf("burst of 100 changes in %s → %v change-driven syncs", burst.Round(time.Millisecond), changeRuns()-runsBefore)
}

// TestControllerTokenWithoutWatchIsScheduleOnlyReportedOnce: a token that
// may list but not watch gets scheduled syncs only; the gateway says so
// once (log line, metric) and the fabric's sync_error stays empty.
// Real parts: kube-apiserver, Django stand-in, hhgate binary.
func TestControllerTokenWithoutWatchIsScheduleOnlyReportedOnce(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	s.cluster.GenerateFabric(t, s.namespace, 12)
	id := s.controllerFabric(t, 5, "get", "list")
	gw := s.startControllerGateway(t, t.TempDir(), "1s")
	waitForCond(t, 30*time.Second, "two scheduled syncs", func() bool {
		return gw.metric(t, "hhgate_sync_runs_total", `trigger="schedule"`, `code="ok"`) >= 2
	})
	if n := gw.metric(t, "hhgate_sync_watch_unavailable_total", `reason="forbidden"`); n != 1 {
		t.Errorf("hhgate_sync_watch_unavailable_total{reason=forbidden} = %v, want 1", n)
	}
	if n := strings.Count(gw.Log(), "may list but not watch"); n != 1 {
		t.Errorf("the missing watch verb was logged %d times, want once", n)
	}
	if n := gw.metric(t, "hhgate_sync_runs_total", `trigger="change"`); n != 0 {
		t.Errorf("%v change-driven syncs without watch", n)
	}
	f := s.netbox.Fabric(t, id)
	if f["sync_status"] != "in_sync" || f["sync_error"] != "" {
		t.Errorf("fabric %v / sync_error %q, want in_sync with no error", f["sync_status"], f["sync_error"])
	}
}
