//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

// The sync runtime end to end: real kube-apiserver + etcd, the Django
// stand-in, and built hhgate processes with their admin API on a free
// port; several gateways share one file_system storage (a shared
// XDG_DATA_HOME, Caddy's default storage directory).

// runtimeGateway is one hhgate process with its admin API.
type runtimeGateway struct {
	*testenv.Gateway
	admin string // http://127.0.0.1:port
}

// startRuntimeGateway starts the drop-in Caddyfile with HHGATE_SYNC=on against s's NetBox with its
// admin API on and storage under dataHome.
func (s *syncStack) startRuntimeGateway(t *testing.T, dataHome string) *runtimeGateway {
	t.Helper()
	admin := testenv.ClosedAddr(t)
	gw := testenv.StartGateway(t, testenv.GatewayOptions{
		Upstream: s.netbox.Addr,
		Env: map[string]string{"HHGATE_SYNC": "on", "HHGATE_SYNC_CONTROLLER": "off", "HHGATE_NETBOX_TOKEN": serviceToken, "HHGATE_INJECT_SCRIPT": "off",
			"HHGATE_ADMIN": admin, "XDG_DATA_HOME": dataHome},
	})
	return &runtimeGateway{Gateway: gw, admin: "http://" + admin}
}

// pressOn is pressSync on gateway g.
func (s *syncStack) pressOn(t *testing.T, g *runtimeGateway, sess *testenv.Session, id int) (int, syncAnswer, []byte) {
	t.Helper()
	saved := s.gateway
	defer func() { s.gateway = saved }()
	s.gateway = g.Gateway
	res, a, body := s.pressSync(t, sess, id)
	return res.StatusCode, a, body
}

// metric sums the samples of name whose labels contain every want pair,
// from the gateway's admin /metrics.
func (g *runtimeGateway) metric(t *testing.T, name string, want ...string) float64 {
	t.Helper()
	res, err := http.Get(g.admin + "/metrics")
	if err != nil {
		t.Fatalf("admin /metrics: %v", err)
	}
	defer res.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(line, w)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

// waitStatus polls the fabric until cond holds or bound passes.
func waitStatus(t *testing.T, nb *testenv.NetBox, id int, bound time.Duration, cond func(map[string]any) bool) (map[string]any, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		f := nb.Fabric(t, id)
		if cond(f) {
			return f, time.Since(start)
		}
		if time.Since(start) > bound {
			t.Fatalf("fabric %d not as expected after %s: %v %v", id, bound, f["sync_status"], f["sync_error"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func objectTotal(t *testing.T, s *syncStack, id int) int {
	n := 0
	for _, c := range s.netboxCounts(t, id) {
		n += c
	}
	return n
}

// TestSyncSurvivesAConfigReload: a config reload through the admin API
// (POST /load) during a 2,000-object import neither cancels nor repeats
// it: the press that started it gets the success answer and the fabric
// ends in_sync. The journal names the pressing user; a no-op resync adds
// no entry. Real parts: kube-apiserver, Django stand-in, hhgate binary.
func TestSyncSurvivesAConfigReload(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	gw := s.startRuntimeGateway(t, t.TempDir())
	objs := s.cluster.GenerateFabric(t, s.namespace, 2000)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sess := testenv.Login(t, gw.URL, user, password)
	// Hold the first batches so that the reload lands mid-import.
	s.netbox.InjectFault(t, testenv.Fault{Route: "*", Method: "POST", DelayMS: 1500, Times: 2})

	type answer struct {
		status int
		a      syncAnswer
		body   []byte
	}
	done := make(chan answer, 1)
	go func() {
		st, a, body := s.pressOn(t, gw, sess, id)
		done <- answer{st, a, body}
	}()
	waitStatus(t, s.netbox, id, 30*time.Second, func(f map[string]any) bool { return f["sync_status"] == "syncing" })
	root, _ := testenv.RepoRoot()
	caddyfile, err := os.ReadFile(filepath.Join(root, "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, gw.admin+"/load", strings.NewReader(string(caddyfile)))
	req.Header.Set("Content-Type", "text/caddyfile")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	msg, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("reload: %d %s", res.StatusCode, msg)
	}
	if f := s.netbox.Fabric(t, id); f["sync_status"] != "syncing" {
		t.Fatalf("the reload did not land during the import: %v", f["sync_status"])
	}
	got := <-done
	if got.status != 200 || !got.a.Success || got.a.Stats.Created != len(objs) {
		t.Fatalf("press answer after the reload: %d %.400s", got.status, got.body)
	}
	f := assertNotSyncing(t, s.netbox, id)
	if f["sync_status"] != "in_sync" || objectTotal(t, s, id) != len(objs) {
		t.Fatalf("fabric %v with %d objects, want in_sync with %d", f["sync_status"], objectTotal(t, s, id), len(objs))
	}
	if n := gw.metric(t, "hhgate_sync_runs_total", `trigger="user"`, `code="ok"`); n != 1 {
		t.Errorf("hhgate_sync_runs_total{code=ok} = %v after the reload, want 1", n)
	}
	if n := gw.metric(t, "hhgate_sync_objects_total", `operation="created"`); int(n) != len(objs) {
		t.Errorf("hhgate_sync_objects_total{operation=created} = %v, want %d", n, len(objs))
	}

	entries := s.netbox.JournalEntries(t)
	if len(entries) != 1 || entries[0].Kind != "success" || entries[0].AssignedObjectID != id ||
		!strings.Contains(entries[0].Comments, "triggered by "+user) || !strings.Contains(entries[0].Comments, "2000 created") {
		t.Fatalf("journal after the import: %+v", entries)
	}
	if _, a, body := s.pressOn(t, gw, sess, id); !a.Success || a.Stats.Unchanged != len(objs) {
		t.Fatalf("no-op resync: %.300s", body)
	}
	if n := len(s.netbox.JournalEntries(t)); n != 1 {
		t.Errorf("a no-op sync wrote a journal entry: %d entries", n)
	}
}

// TestTwoGatewaysRunOneSync: two gateways sharing a file_system storage;
// presses on both while the first sync runs: exactly one sync runs (the
// gateways' run counters sum to 1) and every press gets the same answer.
// Real parts: kube-apiserver, Django stand-in, two hhgate processes.
func TestTwoGatewaysRunOneSync(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	shared := t.TempDir()
	gws := []*runtimeGateway{s.startRuntimeGateway(t, shared), s.startRuntimeGateway(t, shared)}
	objs := s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sessions := []*testenv.Session{testenv.Login(t, gws[0].URL, user, password), testenv.Login(t, gws[1].URL, user, password)}
	s.netbox.InjectFault(t, testenv.Fault{Route: "fabrics", Method: "GET", DelayMS: 3000, Times: 1})

	answers := make([]string, 6)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _, b := s.pressOn(t, gws[0], sessions[0], id)
		answers[0] = string(b)
	}()
	waitStatus(t, s.netbox, id, 20*time.Second, func(f map[string]any) bool { return f["sync_status"] == "syncing" })
	for i := 1; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, b := s.pressOn(t, gws[i%2], sessions[i%2], id)
			answers[i] = string(b)
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a != answers[0] {
			t.Fatalf("answer %d differs:\n%s\n%s", i, a, answers[0])
		}
	}
	if !strings.Contains(answers[0], `"success":true`) || !strings.Contains(answers[0], fmt.Sprintf(`"created":%d`, len(objs))) {
		t.Fatalf("answer: %.300s", answers[0])
	}
	runs := gws[0].metric(t, "hhgate_sync_runs_total") + gws[1].metric(t, "hhgate_sync_runs_total")
	if runs != 1 {
		t.Fatalf("%v syncs ran across the two gateways, want 1", runs)
	}
}

// TestBurstLeavesNoFabricSyncing: 1,000 presses in bursts of 20 across two
// fabrics and two gateways; once every answer is in, no fabric is
// "syncing". Real parts: kube-apiserver, Django stand-in, two hhgates.
func TestBurstLeavesNoFabricSyncing(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	shared := t.TempDir()
	gws := []*runtimeGateway{s.startRuntimeGateway(t, shared), s.startRuntimeGateway(t, shared)}
	s.cluster.GenerateFabric(t, s.namespace, 24)
	ids := []int{s.fabric(t, kube.AllResources(), string(s.cluster.CACert))}
	ids = append(ids, s.netbox.CreateFabric(t, map[string]any{
		"name": "fab-burst-2", "kubernetes_server": s.cluster.Server,
		"kubernetes_token": s.cluster.Token(t, s.namespace, kube.AllResources()), "kubernetes_ca_cert": string(s.cluster.CACert),
		"kubernetes_namespace": s.namespace,
	}))
	sessions := []*testenv.Session{testenv.Login(t, gws[0].URL, user, password), testenv.Login(t, gws[1].URL, user, password)}
	const presses, burst = 1000, 20
	failures := 0
	var mu sync.Mutex
	for b := 0; b < presses/burst; b++ {
		var wg sync.WaitGroup
		for i := 0; i < burst; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g := (b + i) % 2
				st, a, _ := s.pressOn(t, gws[g], sessions[g], ids[i%2])
				if st != 200 || !a.Success {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	for _, id := range ids {
		if f := assertNotSyncing(t, s.netbox, id); f["sync_status"] != "in_sync" {
			t.Errorf("fabric %d: %v %v", id, f["sync_status"], f["sync_error"])
		}
	}
	runs := gws[0].metric(t, "hhgate_sync_runs_total") + gws[1].metric(t, "hhgate_sync_runs_total")
	t.Logf("%d presses, %v syncs ran, %d failed answers", presses, runs, failures)
	if failures != 0 || runs < 2 || runs >= presses {
		t.Fatalf("%d failed answers, %v runs", failures, runs)
	}
}

// TestKilledGatewaysSyncIsFinishedByTheOther: kill -9 of the gateway that
// runs a 2,000-object import; the other gateway (same storage) finds the
// fabric "syncing" with no lock holder, marks it interrupted within the
// documented bound and syncs it again; nothing is deleted.
// Real parts: kube-apiserver, Django stand-in, two hhgate processes.
func TestKilledGatewaysSyncIsFinishedByTheOther(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	shared := t.TempDir()
	victim, survivor := s.startRuntimeGateway(t, shared), s.startRuntimeGateway(t, shared)
	objs := s.cluster.GenerateFabric(t, s.namespace, 2000)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sess := testenv.Login(t, victim.URL, user, password)
	s.netbox.InjectFault(t, testenv.Fault{Route: "*", Method: "POST", DelayMS: 300, Times: -1})
	go func() {
		// The answer never comes: the gateway is killed mid-sync.
		path := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id)
		sess.Do(lenient{t}, http.MethodPost, path+"sync/", merge(http.Header{"X-Csrftoken": {sess.CSRFToken},
			"Content-Type": {"application/json"}}, browserFetch(victim.URL, path)), nil)
	}()
	waitStatus(t, s.netbox, id, 60*time.Second, func(map[string]any) bool { return objectTotal(t, s, id) > 0 })
	if err := syscall.Kill(victim.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	partial := objectTotal(t, s, id)
	s.netbox.ClearFaults(t)
	s.netbox.ResetAPIRequestCounts(t)
	// Bound (docs/sync.md): recovery interval 10s + lease staleness 10s +
	// lock polling 1s + reading and marking the fabric, at most 25s.
	const bound = 25 * time.Second
	waitStatus(t, s.netbox, id, bound+5*time.Second, func(f map[string]any) bool { return f["sync_status"] != "syncing" || hasRecoveryEntry(t, s.netbox) })
	took := time.Since(killed)
	f, _ := waitStatus(t, s.netbox, id, 2*time.Minute, func(f map[string]any) bool { return f["sync_status"] == "in_sync" })
	t.Logf("killed with %d of %d objects imported; recovered %s after the kill", partial, len(objs), took.Round(time.Millisecond))
	if took > bound {
		t.Errorf("recovery took %s, documented bound %s", took, bound)
	}
	if n := objectTotal(t, s, id); n != len(objs) || f["last_sync"] == nil {
		t.Fatalf("after recovery NetBox holds %d objects, want %d", n, len(objs))
	}
	if c := s.netbox.APIRequestCounts(t); c["DELETE"] != 0 {
		t.Errorf("the recovery deleted objects: %v", c)
	}
	if !hasRecoveryEntry(t, s.netbox) {
		t.Errorf("no journal entry for the recovery sync: %+v", s.netbox.JournalEntries(t))
	}
	if n := survivor.metric(t, "hhgate_sync_runs_total", `trigger="recovery"`, `code="ok"`); n != 1 {
		t.Errorf("survivor's recovery runs = %v, want 1", n)
	}
}

// lenient is t for a request that is expected to fail: its Fatal ends
// the goroutine without failing the test.
type lenient struct{ *testing.T }

func (lenient) Helper()               {}
func (lenient) Fatal(...any)          { runtime.Goexit() }
func (lenient) Fatalf(string, ...any) { runtime.Goexit() }

func hasRecoveryEntry(t *testing.T, nb *testenv.NetBox) bool {
	for _, e := range nb.JournalEntries(t) {
		if strings.Contains(e.Comments, "after an interrupted sync") {
			return true
		}
	}
	return false
}

// TestFinalStatusWrittenWhenNetBoxIsBack: NetBox answers 503 to every
// status write for longer than the engine's retry budget; the press gets
// the truthful "not recorded" answer, and the gateway writes the kept
// status once NetBox takes it. Real parts: kube-apiserver, Django
// stand-in with fault injection, hhgate binary.
func TestFinalStatusWrittenWhenNetBoxIsBack(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	gw := s.startRuntimeGateway(t, t.TempDir())
	s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sess := testenv.Login(t, gw.URL, user, password)
	s.netbox.InjectFault(t, testenv.Fault{Route: "fabrics", Method: "GET", DelayMS: 1500, Times: 1})
	done := make(chan syncAnswer, 1)
	go func() {
		_, a, _ := s.pressOn(t, gw, sess, id)
		done <- a
	}()
	waitStatus(t, s.netbox, id, 20*time.Second, func(f map[string]any) bool { return f["sync_status"] == "syncing" })
	// The engine tries 4 times; the first kept-status retry 4 more.
	s.netbox.InjectFault(t, testenv.Fault{Route: "fabrics", Method: "PATCH", Status: 503, Times: 6})
	a := <-done
	if a.Success || a.Code != "netbox_unavailable" || !strings.Contains(a.Error, "could not be recorded") {
		t.Fatalf("answer: %+v", a)
	}
	if f := s.netbox.Fabric(t, id); f["sync_status"] != "syncing" {
		t.Fatalf("status written although NetBox refused: %v", f["sync_status"])
	}
	f, took := waitStatus(t, s.netbox, id, 60*time.Second, func(f map[string]any) bool { return f["sync_status"] == "in_sync" })
	t.Logf("kept status written %s after the answer", took.Round(time.Millisecond))
	if f["last_sync"] == nil {
		t.Errorf("kept status lacks last_sync: %v", f)
	}
	if left := s.netbox.PendingFaults(t); len(left) != 0 {
		t.Errorf("faults left: %v", left)
	}
}

// TestLostBulkCreateAnswerCreatesEachObjectOnce: the stand-in commits the
// VPC bulk create and drops the connection before answering; the sync
// re-reads instead of re-sending, ends with every object created exactly
// once and no per-object errors. Real parts: kube-apiserver, Django
// stand-in with fault injection, hhgate binary.
func TestLostBulkCreateAnswerCreatesEachObjectOnce(t *testing.T) {
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	gw := s.startRuntimeGateway(t, t.TempDir())
	objs := s.cluster.ApplyFixture(t, s.namespace)
	id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
	sess := testenv.Login(t, gw.URL, user, password)
	s.netbox.InjectFault(t, testenv.Fault{Route: "vpcs", Method: "POST", Drop: true})
	_, a, body := s.pressOn(t, gw, sess, id)
	if !a.Success || a.Stats.Created != len(objs) || a.Stats.Errors != 0 || len(a.Stats.ErrorDetails) != 0 {
		t.Fatalf("answer: %.500s", body)
	}
	if left := s.netbox.PendingFaults(t); len(left) != 0 {
		t.Fatalf("the drop fault was not hit: %v", left)
	}
	if got, want := s.netboxCounts(t, id), fixtureCounts(objs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("NetBox holds %v, the cluster %v", got, want)
	}
	if n := gw.metric(t, "hhgate_netbox_retries_total", `method="POST"`); n != 1 {
		t.Errorf("hhgate_netbox_retries_total{method=POST} = %v, want 1 (the re-read)", n)
	}
	if n := gw.metric(t, "hhgate_netbox_requests_total", `method="POST"`, `code="0"`); n != 1 {
		t.Errorf("POSTs without answer = %v, want 1", n)
	}
}

// TestPanicInTheEngineEndsAsError: in a gateway built with the
// hhgate_faults tag, the engine panics for fabrics named "panic-…"; the
// press gets a JSON internal_error, the fabric ends "error", and the same
// gateway goes on serving and syncing other fabrics. The binary is
// $HHGATE_FAULTS_BIN or built here. Real parts: kube-apiserver, Django
// stand-in, a hhgate binary with the test fault hook.
func TestPanicInTheEngineEndsAsError(t *testing.T) {
	bin := os.Getenv("HHGATE_FAULTS_BIN")
	if bin == "" {
		root, _ := testenv.RepoRoot()
		bin = filepath.Join(t.TempDir(), "hhgate-faults")
		cmd := exec.Command("go", "build", "-tags", "hhgate_faults", "-o", bin, "./cmd/hhgate")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the faults binary: %v\n%s", err, out)
		}
	}
	t.Setenv("HHGATE_BIN", bin)
	s := startSyncBackends(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	gw := s.startRuntimeGateway(t, t.TempDir())
	s.cluster.ApplyFixture(t, s.namespace)
	token := s.cluster.Token(t, s.namespace, kube.AllResources())
	fabric := func(name string) int {
		return s.netbox.CreateFabric(t, map[string]any{"name": name, "kubernetes_server": s.cluster.Server,
			"kubernetes_token": token, "kubernetes_ca_cert": string(s.cluster.CACert), "kubernetes_namespace": s.namespace})
	}
	bad, good := fabric("panic-"+s.namespace), fabric("fine-"+s.namespace)
	sess := testenv.Login(t, gw.URL, user, password)
	st, a, body := s.pressOn(t, gw, sess, bad)
	if st != 500 || a.Success || a.Code != "internal_error" || !strings.Contains(a.Error, "panic") {
		t.Fatalf("answer %d %.300s", st, body)
	}
	if f := s.netbox.Fabric(t, bad); f["sync_status"] != "error" || !strings.Contains(f["sync_error"].(string), "panic") {
		t.Fatalf("fabric after the panic: %v %v", f["sync_status"], f["sync_error"])
	}
	if st, a, body := s.pressOn(t, gw, sess, good); st != 200 || !a.Success {
		t.Fatalf("the gateway stopped syncing after the panic: %d %.300s", st, body)
	}
	if n := gw.metric(t, "hhgate_sync_runs_total", `code="internal_error"`); n != 1 {
		t.Errorf("hhgate_sync_runs_total{code=internal_error} = %v, want 1", n)
	}
}
