package fabricsync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hhgate/hhgate/k8ssync"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// fakeEngine counts calls and can hold a sync until released.
type fakeEngine struct {
	syncs   atomic.Int32
	tests   atomic.Int32
	plans   atomic.Int32
	plan    k8ssync.PlanResult
	started chan int
	release chan struct{}
	result  k8ssync.Result
}

func (e *fakeEngine) Sync(ctx context.Context, id int) k8ssync.Result {
	e.syncs.Add(1)
	if e.started != nil {
		e.started <- id
	}
	if e.release != nil {
		<-e.release
	}
	return e.result
}

func (e *fakeEngine) Fabrics(context.Context) ([]netbox.FabricState, error) { return nil, nil }

func (e *fakeEngine) FabricState(_ context.Context, id int) (netbox.FabricState, error) {
	return netbox.FabricState{ID: id}, nil
}

func (e *fakeEngine) WriteStatus(context.Context, int, json.RawMessage) error { return nil }

func (e *fakeEngine) MarkInterrupted(context.Context, int, string) error { return nil }

func (e *fakeEngine) Journal(context.Context, netbox.JournalEntry) error { return nil }

func (e *fakeEngine) Plan(_ context.Context, id int) k8ssync.PlanResult {
	e.plans.Add(1)
	p := e.plan
	p.Fabric = id
	return p
}

func (e *fakeEngine) TestConnection(ctx context.Context, id int) k8ssync.ConnectionResult {
	e.tests.Add(1)
	return k8ssync.ConnectionResult{Success: true, Message: "Connection test successful!", StatusWritten: true}
}

// fakeNetBox answers the authorization PATCH with a canned status and body
// and records what it received.
type fakeNetBox struct {
	mu       sync.Mutex
	status   int
	body     string
	received []*http.Request
	bodies   []string
}

func (n *fakeNetBox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	n.mu.Lock()
	n.received = append(n.received, r.Clone(context.Background()))
	n.bodies = append(n.bodies, string(b))
	status, body := n.status, n.body
	n.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("Set-Cookie", "csrftoken=rotated; Path=/; HttpOnly")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func newHandler(t *testing.T, nb *fakeNetBox, eng Engine) *Handler {
	t.Helper()
	srv := httptest.NewServer(nb)
	t.Cleanup(srv.Close)
	h, err := New(Config{NetBoxURL: srv.URL, Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func syncRequest(path string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://netbox.example.org"+path, nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-CSRFToken", "page-token")
	r.Header.Set("Cookie", "sessionid=s1; csrftoken=c1")
	r.Header.Set("Remote-User", "alice")
	r.Header.Set("Referer", "http://netbox.example.org/plugins/hedgehog/fabrics/7/")
	return r
}

func notReached(http.ResponseWriter, *http.Request) error {
	panic("next handler reached")
}

func TestAuthorizationAnswersMapToTheContract(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantStatus int
		wantCode   string
	}{
		{"no session", 403, `{"detail":"Authentication credentials were not provided."}`, 401, "authentication_required"},
		{"401 from NetBox", 401, `{"detail":"Invalid token."}`, 401, "authentication_required"},
		{"CSRF", 403, `{"detail":"CSRF Failed: CSRF token missing or incorrect."}`, 403, "csrf_failed"},
		{"no permission", 403, `{"detail":"You do not have permission to perform this action."}`, 403, "permission_denied"},
		{"unknown fabric", 404, `{"detail":"Not found."}`, 404, "not_found"},
		{"NetBox failing", 500, `<h1>Server Error</h1>`, 502, "upstream_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &fakeEngine{}
			nb := &fakeNetBox{status: tt.status, body: tt.body}
			h := newHandler(t, nb, eng)
			rec := httptest.NewRecorder()
			if err := h.Serve(rec, syncRequest("/plugins/hedgehog/fabrics/7/sync/"), notReached); err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("not JSON: %q", rec.Body)
			}
			if rec.Code != tt.wantStatus || got["error"] != tt.wantCode || got["success"] != false {
				t.Fatalf("got %d %v, want %d %s", rec.Code, got, tt.wantStatus, tt.wantCode)
			}
			if eng.syncs.Load() != 0 {
				t.Errorf("sync ran although NetBox refused")
			}
			if tt.wantStatus == 401 && (rec.Header().Get("WWW-Authenticate") == "" || !strings.HasPrefix(got["redirect"].(string), "/login/?next=")) {
				t.Errorf("401 is not the guard's answer: %v %v", rec.Header(), got)
			}
			if rec.Header().Get("Set-Cookie") != "csrftoken=rotated; Path=/; HttpOnly" {
				t.Errorf("NetBox's Set-Cookie not passed to the browser: %q", rec.Header().Values("Set-Cookie"))
			}
		})
	}
}

func TestAuthorizationCarriesTheUsersCredentials(t *testing.T) {
	eng := &fakeEngine{result: k8ssync.Result{Success: true, Message: "ok", StatusWritten: true}}
	nb := &fakeNetBox{status: 200, body: `{}`}
	h := newHandler(t, nb, eng)
	rec := httptest.NewRecorder()
	if err := h.Serve(rec, syncRequest("/plugins/hedgehog/fabrics/7/sync/"), notReached); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || eng.syncs.Load() != 1 {
		t.Fatalf("status %d, syncs %d", rec.Code, eng.syncs.Load())
	}
	got := nb.received[0]
	if got.Method != http.MethodPatch || got.URL.Path != "/api/plugins/hedgehog/fabrics/7/" || nb.bodies[0] != `{}` {
		t.Errorf("authorization request %s %s %s", got.Method, got.URL.Path, nb.bodies[0])
	}
	for k, want := range map[string]string{
		"Cookie": "sessionid=s1; csrftoken=c1", "X-Csrftoken": "page-token", "Remote-User": "alice",
		"Referer": "http://netbox.example.org/plugins/hedgehog/fabrics/7/", "Content-Type": "application/json",
	} {
		if got.Header.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, got.Header.Get(k), want)
		}
	}
	if got.Host != "netbox.example.org" {
		t.Errorf("Host %q: NetBox must see the browser's host", got.Host)
	}
}

// TestConcurrentSyncsJoin: a second request while a sync runs joins it,
// gets the identical answer, and the engine runs once.
func TestConcurrentSyncsJoin(t *testing.T) {
	eng := &fakeEngine{started: make(chan int, 1), release: make(chan struct{}),
		result: k8ssync.Result{Success: true, Message: "Sync completed successfully!", StatusWritten: true}}
	h := newHandler(t, &fakeNetBox{status: 200, body: `{}`}, eng)
	joined := make(chan int, 1)
	h.rt.joined = func(id int) { joined <- id }
	answers := make(chan string, 2)
	serve := func() {
		rec := httptest.NewRecorder()
		_ = h.Serve(rec, syncRequest("/plugins/hedgehog/fabrics/7/sync/"), notReached)
		answers <- fmt.Sprint(rec.Code, " ", rec.Body.String())
	}
	go serve()
	<-eng.started
	go serve()
	if id := <-joined; id != 7 {
		t.Fatalf("joined fabric %d", id)
	}
	close(eng.release)
	a, b := <-answers, <-answers
	if a != b || !strings.HasPrefix(a, `200 {"success":true`) {
		t.Fatalf("answers differ or failed: %q / %q", a, b)
	}
	if n := eng.syncs.Load(); n != 1 {
		t.Fatalf("engine ran %d times, want 1", n)
	}
}

// TestSyncOutlivesTheBrowser: the browser leaving does not stop the sync,
// and the next request after it finishes starts a new one.
func TestSyncOutlivesTheBrowser(t *testing.T) {
	eng := &fakeEngine{started: make(chan int, 2), release: make(chan struct{}),
		result: k8ssync.Result{Success: true, StatusWritten: true}}
	h := newHandler(t, &fakeNetBox{status: 200, body: `{}`}, eng)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = h.Serve(httptest.NewRecorder(), syncRequest("/plugins/hedgehog/fabrics/7/sync/").WithContext(ctx), notReached)
		close(done)
	}()
	<-eng.started
	cancel()
	<-done // the handler returned for the gone browser…
	h.rt.mu.Lock()
	f := h.rt.running[7]
	h.rt.mu.Unlock()
	if f == nil {
		t.Fatal("the sync stopped with the browser")
	}
	close(eng.release) // …while the sync still runs to its end
	<-f.done
	eng.release = nil
	rec := httptest.NewRecorder()
	_ = h.Serve(rec, syncRequest("/plugins/hedgehog/fabrics/7/sync/"), notReached)
	<-eng.started
	if eng.syncs.Load() != 2 || rec.Code != 200 {
		t.Fatalf("syncs %d, status %d", eng.syncs.Load(), rec.Code)
	}
}

func TestRouting(t *testing.T) {
	eng := &fakeEngine{result: k8ssync.Result{Success: true, StatusWritten: true}}
	h := newHandler(t, &fakeNetBox{status: 200, body: `{}`}, eng)
	passed := 0
	next := func(w http.ResponseWriter, r *http.Request) error { passed++; return nil }
	for _, p := range []string{
		"/plugins/hedgehog/fabrics/7/", "/plugins/hedgehog/fabrics/7/sync", "/plugins/hedgehog/fabrics/x/sync/",
		"/plugins/hedgehog/fabrics/7/sync-django/", "/plugins/hedgehog/fabrics//sync/", "/plugins/hedgehog/fabrics/0/sync/",
		"/api/plugins/hedgehog/fabrics/7/", "/plugins/hedgehog/fabrics/7/sync/extra",
	} {
		_ = h.Serve(httptest.NewRecorder(), syncRequest(p), next)
	}
	if passed != 8 || eng.syncs.Load() != 0 {
		t.Fatalf("passed %d of 8 to next, syncs %d", passed, eng.syncs.Load())
	}
	rec := httptest.NewRecorder()
	r := syncRequest("/plugins/hedgehog/fabrics/7/sync/")
	r.Method = http.MethodGet
	_ = h.Serve(rec, r, next)
	if rec.Code != 405 || rec.Header().Get("Allow") != "POST" || !strings.Contains(rec.Body.String(), `"error":"method_not_allowed"`) {
		t.Fatalf("GET on sync: %d %q", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	_ = h.Serve(rec, syncRequest("/plugins/hedgehog/fabrics/7/test-connection/"), next)
	if rec.Code != 200 || eng.tests.Load() != 1 || !strings.Contains(rec.Body.String(), "Connection test successful!") {
		t.Fatalf("test-connection: %d %q", rec.Code, rec.Body)
	}
}

func TestNewNamesTheBadField(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{NetBoxURL: "127.0.0.1:8000", Engine: &fakeEngine{}}, "netbox_url"},
		{Config{NetBoxURL: "http://nb/netbox/", Engine: &fakeEngine{}}, "netbox_url"},
		{Config{NetBoxURL: "http://nb", Engine: &fakeEngine{}, BasePath: "netbox"}, "base_path"},
	} {
		if _, err := New(tt.cfg); err == nil || !strings.HasPrefix(err.Error(), tt.want+":") {
			t.Errorf("New(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
}
