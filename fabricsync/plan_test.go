package fabricsync

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hhgate/hhgate/k8ssync"
)

func planRequest(method, path string) *http.Request {
	r := httptest.NewRequest(method, "http://netbox.example.org"+path, nil)
	r.Header.Set("Cookie", "sessionid=s1; csrftoken=c1")
	r.Header.Set("Sec-Fetch-Mode", "cors")
	return r
}

func TestPlanIsAuthorizedAsViewAndAnswersThePlan(t *testing.T) {
	eng := &fakeEngine{plan: k8ssync.PlanResult{Kinds: []k8ssync.KindPlan{{Kind: "VPC", Status: k8ssync.KindOK,
		Create: []k8ssync.PlannedObject{{Name: "vpc-1", Namespace: "default"}}}}, Unreadable: []k8ssync.Unreadable{}}}
	// NetBox's 200 is the fabric record, secrets included.
	nb := &fakeNetBox{status: 200, body: `{"id":7,"kubernetes_token":"fabric-secret-token-42","detail":"fabric-secret-token-42"}`}
	h := newHandler(t, nb, eng)
	rec := httptest.NewRecorder()
	if err := h.Serve(rec, planRequest(http.MethodGet, "/.hhgate/fabrics/7/plan"), notReached); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || eng.plans.Load() != 1 || eng.syncs.Load() != 0 {
		t.Fatalf("status %d, plans %d, syncs %d: %s", rec.Code, eng.plans.Load(), eng.syncs.Load(), rec.Body)
	}
	var got k8ssync.PlanResult
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Fabric != 7 || got.Kinds[0].Create[0].Name != "vpc-1" {
		t.Fatalf("answer %s (%v)", rec.Body, err)
	}
	if strings.Contains(rec.Body.String(), "fabric-secret-token-42") || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("answer %q %v", rec.Body, rec.Header())
	}
	req := nb.received[0]
	if req.Method != http.MethodGet || req.URL.Path != "/api/plugins/hedgehog/fabrics/7/" || nb.bodies[0] != "" ||
		req.Header.Get("Cookie") != "sessionid=s1; csrftoken=c1" || req.Header.Get("Content-Type") != "" {
		t.Errorf("authorization request %s %s body %q headers %v", req.Method, req.URL.Path, nb.bodies[0], req.Header)
	}
}

func TestPlanRefusalsAreTheGuardsContract(t *testing.T) {
	for _, tt := range []struct {
		name       string
		status     int
		body       string
		wantStatus int
		wantCode   string
		message    string
	}{
		{"no session", 403, `{"detail":"Authentication credentials were not provided."}`, 401, "authentication_required", "sign in"},
		{"no view permission", 403, `{"detail":"You do not have permission to perform this action."}`, 403, "permission_denied", "permission to view"},
		{"unknown or invisible fabric", 404, `{"detail":"No HedgehogFabric matches the given query."}`, 404, "not_found", "does not exist"},
		{"NetBox failing", 502, `<h1>Bad Gateway</h1>`, 502, "upstream_unavailable", "not reachable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			eng := &fakeEngine{}
			h := newHandler(t, &fakeNetBox{status: tt.status, body: tt.body}, eng)
			rec := httptest.NewRecorder()
			if err := h.Serve(rec, planRequest(http.MethodGet, "/.hhgate/fabrics/7/plan"), notReached); err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("not JSON: %q", rec.Body)
			}
			msg, _ := got["message"].(string)
			if rec.Code != tt.wantStatus || got["error"] != tt.wantCode || got["success"] != false || !strings.Contains(msg, tt.message) {
				t.Errorf("got %d %v, want %d %s %q", rec.Code, got, tt.wantStatus, tt.wantCode, tt.message)
			}
			if eng.plans.Load() != 0 {
				t.Error("plan computed although NetBox refused")
			}
		})
	}
}

func TestPlanOnlyAnswersGET(t *testing.T) {
	eng := &fakeEngine{}
	nb := &fakeNetBox{status: 200, body: `{}`}
	h := newHandler(t, nb, eng)
	rec := httptest.NewRecorder()
	if err := h.Serve(rec, planRequest(http.MethodPost, "/.hhgate/fabrics/7/plan"), notReached); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET" || len(nb.received) != 0 || eng.plans.Load() != 0 {
		t.Errorf("POST: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

func TestRoute(t *testing.T) {
	for _, tt := range []struct {
		base, path string
		act        action
		id         int
	}{
		{"/", "/plugins/hedgehog/fabrics/7/sync/", actionSync, 7},
		{"/", "/plugins/hedgehog/fabrics/7/test-connection/", actionTestConnection, 7},
		{"/", "/.hhgate/fabrics/7/plan", actionPlan, 7},
		{"/", "/.hhgate/fabrics/12/plan/", actionPlan, 12},
		{"/netbox/", "/netbox/.hhgate/fabrics/3/plan", actionPlan, 3},
		{"/netbox/", "/.hhgate/fabrics/3/plan", actionNone, 0},
		{"/", "/plugins/hedgehog/fabrics/7/plan", actionNone, 0},
		{"/", "/.hhgate/fabrics/7/sync/", actionNone, 0},
		{"/", "/.hhgate/fabrics/0/plan", actionNone, 0},
		{"/", "/.hhgate/fabrics/-1/plan", actionNone, 0},
		{"/", "/.hhgate/fabrics/7/plan/x", actionNone, 0},
		{"/", "/.hhgate/fabrics/1234567890/plan", actionNone, 0},
		{"/", "/.hhgate/session", actionNone, 0},
	} {
		if act, id := route(tt.base, tt.path); act != tt.act || id != tt.id {
			t.Errorf("route(%q, %q) = %d %d, want %d %d", tt.base, tt.path, act, id, tt.act, tt.id)
		}
	}
}

func FuzzRoute(f *testing.F) {
	for _, p := range []string{"/plugins/hedgehog/fabrics/7/sync/", "/.hhgate/fabrics/7/plan", "/.hhgate/fabrics/07/plan/", "/.hhgate/fabrics//plan"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		act, id := route("/", path)
		if (act == actionNone) != (id == 0) || id < 0 {
			t.Errorf("route(%q) = %d %d", path, act, id)
		}
		if act == actionPlan && !strings.HasPrefix(path, "/.hhgate/fabrics/") {
			t.Errorf("route(%q) = plan outside the gateway's prefix", path)
		}
	})
}
