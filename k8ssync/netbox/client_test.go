package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hhgate/hhgate/k8ssync/internal/fakenetbox"
)

const (
	serviceToken = "0123456789abcdef-service-token"
	kubeToken    = "kube-token-ffee-secret"
	caPEM        = "-----BEGIN CERTIFICATE-----\nMIIBsecretCAbody\n-----END CERTIFICATE-----\n"
)

// sleeps records the backoffs instead of waiting them.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func newServer(t *testing.T) *fakenetbox.Server {
	t.Helper()
	srv := fakenetbox.New("Token " + serviceToken)
	t.Cleanup(srv.Close)
	srv.AddFabric(map[string]any{
		"id": 1, "name": "fab", "kubernetes_server": "https://k8s:6443",
		"kubernetes_token": kubeToken, "kubernetes_ca_cert": caPEM, "kubernetes_namespace": "default",
	})
	srv.AddFabric(map[string]any{"id": 2, "name": "other"})
	return srv
}

func newClient(t *testing.T, srv *fakenetbox.Server, o Options) (*Client, *sleeps) {
	t.Helper()
	sl := &sleeps{}
	o.BaseURL = srv.URL
	if o.Token == "" {
		o.Token = serviceToken
	}
	o.Retry.Sleep = sl.sleep
	o.Retry.Jitter = func(d time.Duration) time.Duration { return d }
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, sl
}

func rec(name string, spec map[string]any) Record {
	return Record{Fabric: 1, Namespace: "default", Name: name, Spec: spec,
		Labels: map[string]string{}, Annotations: map[string]string{}, KubernetesStatus: "applied", AutoSync: true}
}

func TestAuthorizationHeaderForms(t *testing.T) {
	tests := []struct {
		token, scheme, want string
	}{
		{"abc123", "", "Token abc123"},
		{"nbt_k3y.s3cr3t", "", "Bearer nbt_k3y.s3cr3t"},
		{"abc123", SchemeBearer, "Bearer abc123"},
		{"nbt_k3y.s3cr3t", SchemeToken, "Token nbt_k3y.s3cr3t"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			srv := fakenetbox.New(tc.want)
			defer srv.Close()
			srv.AddFabric(map[string]any{"id": 1, "name": "fab"})
			c, _ := newClient(t, srv, Options{Token: tc.token, AuthScheme: tc.scheme})
			if _, err := c.GetFabric(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			if got := srv.Requests()[0].Auth; got != tc.want {
				t.Errorf("Authorization = %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := New(Options{BaseURL: "https://nb", Token: "x", AuthScheme: "Basic"}); err == nil {
		t.Error("unknown scheme accepted")
	}
}

func TestListFabricObjectsReadsAllPagesAndFilters(t *testing.T) {
	srv := newServer(t)
	for i := range 2500 {
		srv.Seed("connections", map[string]any{"fabric": 1 + i%2, "name": fmt.Sprintf("c-%d", i), "spec": map[string]any{"n": i}})
	}
	c, _ := newClient(t, srv, Options{})
	objs, err := c.ListFabricObjects(context.Background(), "connections", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1250 {
		t.Errorf("%d objects of fabric 1, want 1250", len(objs))
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 pages of 1000", len(reqs))
	}
	for i, r := range reqs {
		want := fmt.Sprintf("limit=1000&offset=%d&ordering=id", i*1000)
		if r.Query != want {
			t.Errorf("page %d query = %q, want %q", i, r.Query, want)
		}
	}
	if n, ok := objs[0].Spec.(map[string]any)["n"].(json.Number); !ok || n != "0" {
		t.Errorf("spec numbers decode as %T %v, want json.Number", objs[0].Spec.(map[string]any)["n"], n)
	}
}

func TestListAsksOnlyForTheComparedFields(t *testing.T) {
	for _, tc := range []struct {
		name        string
		netbox3     bool
		wantFields  []string // the fields= of each page request
		wantIgnored bool
	}{
		{"NetBox 4 honours fields", false, []string{strings.Join(CompareFields, ","), strings.Join(CompareFields, ",")}, false},
		{"NetBox 3 ignores it: full objects from then on", true, []string{strings.Join(CompareFields, ","), ""}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.IgnoreFields(tc.netbox3)
			for i := range 1500 {
				srv.Seed("vpcs", map[string]any{"fabric": 1, "name": fmt.Sprintf("v-%d", i), "spec": map[string]any{"n": i}, "display": "v"})
			}
			c, _ := newClient(t, srv, Options{})
			objs, err := c.ListFabricObjects(context.Background(), "vpcs", 1, CompareFields)
			if err != nil || len(objs) != 1500 {
				t.Fatalf("listed %d objects (%v), want 1500", len(objs), err)
			}
			if objs[1499].Name != "v-1499" || objs[1499].Spec.(map[string]any)["n"] != json.Number("1499") {
				t.Errorf("last object = %+v", objs[1499])
			}
			var got []string
			for _, r := range srv.Requests() {
				q, _ := url.ParseQuery(r.Query)
				got = append(got, q.Get("fields"))
			}
			if !slices.Equal(got, tc.wantFields) {
				t.Errorf("fields per page = %q, want %q", got, tc.wantFields)
			}
			if c.FieldsIgnored() != tc.wantIgnored {
				t.Errorf("FieldsIgnored = %v, want %v", c.FieldsIgnored(), tc.wantIgnored)
			}
		})
	}
}

func TestCompareFieldsAreObjectsFields(t *testing.T) {
	var tags []string
	for f := range reflect.TypeFor[Object]().Fields() {
		tags = append(tags, strings.Split(f.Tag.Get("json"), ",")[0])
	}
	if !slices.Equal(tags, CompareFields) {
		t.Errorf("Object's fields %v, CompareFields %v: what the sync compares is what it asks for", tags, CompareFields)
	}
}

func TestBulkCreateSplitsPerItemRefusals(t *testing.T) {
	srv := newServer(t)
	c, _ := newClient(t, srv, Options{})
	records := []Record{
		rec("a", map[string]any{"x": 1}),
		rec("empty", map[string]any{}),
		rec("b", map[string]any{"x": 2}),
	}
	res := c.Create(context.Background(), "switch-groups", records)
	if res.Written != 2 || len(res.Failures) != 1 {
		t.Fatalf("result = %+v, want 2 written, 1 refused", res)
	}
	f := res.Failures[0]
	if f.Index != 1 || !f.Refused || f.Message != "spec: This field cannot be blank." {
		t.Errorf("failure = %+v", f)
	}
	if res.Requests != 2 || len(srv.Objects("switch-groups")) != 2 {
		t.Errorf("requests = %d, stored = %d; want the batch, then the good items resent", res.Requests, len(srv.Objects("switch-groups")))
	}
}

func TestBulkUpdateBisectsAnUnattributedRefusal(t *testing.T) {
	srv := newServer(t)
	var records []Record
	for i := range 8 {
		id := srv.Seed("vpcs", map[string]any{"fabric": 1, "name": fmt.Sprintf("v%d", i), "spec": map[string]any{"v": 0}})
		spec := map[string]any{"v": 1}
		if i == 5 {
			spec = map[string]any{} // NetBox answers one dict for the first bad object, no index
		}
		records = append(records, Record{ID: id, Spec: spec, Labels: map[string]string{}, Annotations: map[string]string{}})
	}
	c, _ := newClient(t, srv, Options{})
	res := c.Update(context.Background(), "vpcs", records)
	if res.Written != 7 || len(res.Failures) != 1 || res.Failures[0].Index != 5 || !res.Failures[0].Refused {
		t.Fatalf("result = %+v, want 7 written and index 5 refused", res)
	}
	if res.Failures[0].Message != "spec: This field cannot be blank." {
		t.Errorf("message = %q", res.Failures[0].Message)
	}
	for _, o := range srv.Objects("vpcs") {
		want := 1.0
		if o["name"] == "v5" {
			want = 0
		}
		if o["spec"].(map[string]any)["v"] != want {
			t.Errorf("%s spec = %v", o["name"], o["spec"])
		}
	}
}

func TestRetriesA500ThenSucceeds(t *testing.T) {
	srv := newServer(t)
	fails := 1
	srv.SetFault(func(r fakenetbox.Request) fakenetbox.Fault {
		if r.Method == http.MethodPost && fails > 0 {
			fails--
			return fakenetbox.Fault{Status: 500, Body: "<html>Server Error</html>"}
		}
		return fakenetbox.Fault{}
	})
	c, sl := newClient(t, srv, Options{})
	res := c.Create(context.Background(), "vpcs", []Record{rec("a", map[string]any{"x": 1})})
	if res.Written != 1 || len(res.Failures) != 0 {
		t.Fatalf("result = %+v, want written after one retry", res)
	}
	if got := sl.all(); len(got) != 1 || got[0] != 250*time.Millisecond {
		t.Errorf("backoffs = %v, want [250ms]", got)
	}
}

func TestA500ForeverIsReportedAfterBoundedAttempts(t *testing.T) {
	srv := newServer(t)
	srv.SetFault(func(r fakenetbox.Request) fakenetbox.Fault {
		if r.Method == http.MethodPost && strings.Contains(string(r.Body), `"bad-batch"`) {
			return fakenetbox.Fault{Status: 502, Body: "<html>Bad Gateway</html>"}
		}
		return fakenetbox.Fault{}
	})
	c, sl := newClient(t, srv, Options{BatchSize: 2})
	res := c.Create(context.Background(), "vpcs", []Record{
		rec("bad-batch", map[string]any{"x": 1}), rec("b", map[string]any{"x": 1}), // batch 1: always 502
		rec("c", map[string]any{"x": 1}), // batch 2: fine
	})
	if res.Written != 1 || len(res.Failures) != 2 {
		t.Fatalf("result = %+v, want batch 2 written, batch 1 reported", res)
	}
	for _, f := range res.Failures {
		if f.Refused || !Unavailable(f.Err) || !strings.Contains(f.Message, "502") || !strings.Contains(f.Message, "gave up after 4 attempts") {
			t.Errorf("failure = %+v", f)
		}
	}
	if got := sl.all(); fmt.Sprint(got) != "[250ms 500ms 1s]" {
		t.Errorf("backoffs = %v, want exponential [250ms 500ms 1s]", got)
	}
	if res.Unavailable != nil {
		t.Errorf("an HTTP answer is not 'unreachable': %v", res.Unavailable)
	}
}

func TestHonoursRetryAfter(t *testing.T) {
	srv := newServer(t)
	fails := 1
	srv.SetFault(func(r fakenetbox.Request) fakenetbox.Fault {
		if fails > 0 {
			fails--
			return fakenetbox.Fault{Status: 429, Header: http.Header{"Retry-After": {"3"}}, Body: `{"detail":"Request was throttled."}`}
		}
		return fakenetbox.Fault{}
	})
	c, sl := newClient(t, srv, Options{})
	if _, err := c.GetFabric(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if got := sl.all(); len(got) != 1 || got[0] != 3*time.Second {
		t.Errorf("waits = %v, want [3s] from Retry-After", got)
	}
}

func TestMaxElapsedBoundsRetries(t *testing.T) {
	srv := newServer(t)
	srv.SetFault(func(fakenetbox.Request) fakenetbox.Fault { return fakenetbox.Fault{Status: 503} })
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	c, _ := newClient(t, srv, Options{
		Now:   func() time.Time { mu.Lock(); defer mu.Unlock(); return clock },
		Retry: RetryPolicy{Attempts: 10, MaxElapsed: 2 * time.Second},
	})
	c.retry.Sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(d)
		return nil
	}
	_, err := c.GetFabric(context.Background(), 1)
	// 250ms + 500ms + 1s = 1.75s; the next 2s backoff would pass 2s.
	if n := len(srv.Requests()); n != 4 || !Unavailable(err) {
		t.Errorf("%d attempts, err %v; want 4 attempts within MaxElapsed", n, err)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	srv := newServer(t)
	c, sl := newClient(t, srv, Options{Token: "wrong-token"})
	res := c.Create(context.Background(), "vpcs", []Record{rec("a", map[string]any{"x": 1}), rec("b", map[string]any{"x": 1})})
	if res.Written != 0 || len(res.Failures) != 2 || res.Requests != 1 || len(srv.Requests()) != 1 || len(sl.all()) != 0 {
		t.Fatalf("result = %+v, %d requests: want one 403, no retry, no bisecting", res, len(srv.Requests()))
	}
	if f := res.Failures[0]; f.Refused || !strings.Contains(f.Message, "403") || !strings.Contains(f.Message, "Invalid token") {
		t.Errorf("failure = %+v", f)
	}
	if strings.Contains(res.Failures[0].Message, "wrong-token") {
		t.Error("error quotes the token")
	}
}

func TestUnreachableNetBoxStopsSendingBatches(t *testing.T) {
	srv := newServer(t)
	c, sl := newClient(t, srv, Options{BatchSize: 1})
	srv.Close()
	res := c.Delete(context.Background(), "vpcs", []int{1, 2, 3})
	if res.Unavailable == nil || len(res.Failures) != 3 || res.Requests != 1 {
		t.Fatalf("result = %+v, want first batch tried (with retries), the rest not sent", res)
	}
	if len(sl.all()) != 3 {
		t.Errorf("backoffs = %v, want 3 retries of the first batch", sl.all())
	}
	if !strings.Contains(res.Failures[2].Message, "not sent") {
		t.Errorf("last failure = %q", res.Failures[2].Message)
	}
}

func TestBatchesAndDeleteBody(t *testing.T) {
	srv := newServer(t)
	var records []Record
	for i := range 250 {
		records = append(records, rec(fmt.Sprintf("s-%d", i), map[string]any{"i": i}))
	}
	c, _ := newClient(t, srv, Options{BatchSize: 100})
	if res := c.Create(context.Background(), "servers", records); res.Written != 250 || res.Requests != 3 {
		t.Fatalf("create = %+v, want 250 in 3 batches of 100", res)
	}
	srv.ResetRequests()
	objs := srv.Objects("servers")
	res := c.Delete(context.Background(), "servers", []int{objs[0]["id"].(int), objs[1]["id"].(int)})
	if res.Written != 2 || len(srv.Objects("servers")) != 248 {
		t.Fatalf("delete = %+v", res)
	}
	if body := string(srv.Requests()[0].Body); body != fmt.Sprintf(`[{"id":%d},{"id":%d}]`, objs[0]["id"], objs[1]["id"]) {
		t.Errorf("delete body = %s", body)
	}
}

// A bulk request stops at maxBatchBytes whatever the batch size; an
// object larger than that goes alone.
func TestBatchesStayUnderTheBodyLimit(t *testing.T) {
	srv := newServer(t)
	big := strings.Repeat("x", 100<<10)
	var records []Record
	for i := range 12 {
		records = append(records, rec(fmt.Sprintf("s-%d", i), map[string]any{"blob": big}))
	}
	records = append(records, rec("huge", map[string]any{"blob": strings.Repeat("y", 600<<10)}))
	c, _ := newClient(t, srv, Options{})
	res := c.Create(context.Background(), "servers", records)
	if res.Written != 13 || len(res.Failures) != 0 {
		t.Fatalf("create = %+v", res)
	}
	var sizes []int
	for _, r := range srv.Requests() {
		if len(r.Body) > maxBatchBytes && !strings.Contains(string(r.Body), "huge") {
			t.Errorf("a request of %d bytes", len(r.Body))
		}
		sizes = append(sizes, len(r.Body)>>10)
	}
	// 5 objects of 100 KiB fit in 512 KiB: 5 + 5 + 2, then the huge one alone.
	if len(sizes) != 4 {
		t.Errorf("request sizes %v KiB, want 4 requests", sizes)
	}
}

func TestFabricSecretsNeverPrinted(t *testing.T) {
	srv := newServer(t)
	core, logs := observer.New(zap.DebugLevel)
	c, _ := newClient(t, srv, Options{Logger: zap.New(core)})
	f, err := c.GetFabric(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if f.KubernetesToken != kubeToken || f.KubernetesCACert != caPEM {
		t.Fatalf("fabric secrets not read: %v", f)
	}
	js, _ := json.Marshal(f)
	zap.New(core).Info("fabric", zap.Object("fabric", f), zap.Any("any", f))
	outputs := []string{fmt.Sprint(f), fmt.Sprintf("%+v", f), fmt.Sprintf("%#v", f), string(js)}
	for _, e := range logs.All() {
		outputs = append(outputs, fmt.Sprint(e.ContextMap()))
	}
	for _, s := range outputs {
		if strings.Contains(s, kubeToken) || strings.Contains(s, "secretCAbody") {
			t.Errorf("output leaks a secret: %s", s)
		}
	}
}

func TestPatchFabricSendsOnlySetFields(t *testing.T) {
	srv := newServer(t)
	c, _ := newClient(t, srv, Options{})
	status, empty := "error", ""
	if err := c.PatchFabric(context.Background(), 1, FabricStatus{SyncStatus: &status, ConnectionError: &empty}); err != nil {
		t.Fatal(err)
	}
	if got := string(srv.Requests()[0].Body); got != `{"connection_error":"","sync_status":"error"}` {
		t.Errorf("patch body = %s", got)
	}
	if err := c.PatchFabric(context.Background(), 99, FabricStatus{SyncStatus: &status}); !IsNotFound(err) {
		t.Errorf("missing fabric: err = %v, want not found", err)
	}
}

func TestMessage(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"spec": ["This field cannot be blank."]}`, "spec: This field cannot be blank."},
		{`{"detail": "Invalid token"}`, "Invalid token"},
		{`{"non_field_errors": ["The fields fabric, namespace, name must make a unique set."]}`, "The fields fabric, namespace, name must make a unique set."},
		{`{"spec": ["a"], "name": ["b", "c"]}`, "name: b; name: c; spec: a"},
		{`[{}, {"spec": ["x"]}]`, "spec: x"},
		{`{"custom_fields": {"site": ["bad"]}}`, "custom_fields.site: bad"},
		{`<!DOCTYPE html><html>Server Error</html>`, ""},
		{`plain text`, "plain text"},
		{``, ""},
	}
	for _, tc := range tests {
		if got := Message([]byte(tc.body)); got != tc.want {
			t.Errorf("Message(%s) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestFabricRefForms(t *testing.T) {
	for _, js := range []string{`{"fabric": 35}`, `{"fabric": "35"}`, `{"fabric": {"id": 35, "name": "f"}}`} {
		var o Object
		if err := json.Unmarshal([]byte(js), &o); err != nil || o.Fabric != 35 {
			t.Errorf("%s: fabric = %d, %v", js, o.Fabric, err)
		}
	}
}
