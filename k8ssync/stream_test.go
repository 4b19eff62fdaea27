package k8ssync

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// A large kind is written while it is listed: creates go out as batches
// fill, before Kubernetes was asked for the kind's last page.
func TestWritesGoOutWhileKubernetesIsStillListed(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PageSize, o.BatchSize = 2, 2 })
	for i := range 10 {
		h.kube.Add(kind("Server"), "default", fmt.Sprintf("server-%02d", i), map[string]any{"n": i}, nil)
	}
	var mu sync.Mutex
	var postsAtPage []int
	h.kube.OnList(func(resource string) {
		if resource != "servers" {
			return
		}
		posts := 0
		for _, r := range h.nb.Requests() {
			if r.Method == http.MethodPost {
				posts++
			}
		}
		mu.Lock()
		postsAtPage = append(postsAtPage, posts)
		mu.Unlock()
	})
	res := h.sync()
	if !res.Success || res.Stats.Created != 10 || res.Stats.Kinds["Server"].Listed != 10 {
		t.Fatalf("import: %+v", res.Stats)
	}
	mu.Lock()
	defer mu.Unlock()
	// Pages 1..5 (and an empty 6th is never asked: page 5 has no continue).
	if len(postsAtPage) != 5 || postsAtPage[0] != 0 || postsAtPage[4] != 4 {
		t.Errorf("creates sent when each servers page was asked for = %v, want [0 1 2 3 4]", postsAtPage)
	}
}

func netboxPatch(t *testing.T, h *harness, route, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPatch, h.nb.URL+netbox.RoutePath(route), bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Token "+serviceToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("edit in NetBox: %v %v", res, err)
	}
	res.Body.Close()
}

// An object edited in NetBox (Kubernetes unchanged) differs from the
// digest of its custom resource and is written back.
func TestEditInNetBoxIsWrittenBack(t *testing.T) {
	tests := []struct {
		name, edit string
	}{
		{"spec", `"spec":{"role":"spine","asn":1}`},
		{"labels", `"labels":{"edited":"in netbox"}`},
		{"annotations", `"annotations":{"a":"b"}`},
		{"resource version", `"kubernetes_resource_version":"0"`},
		{"status", `"kubernetes_status":"live"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			total := seedWiring(h.kube)
			h.sync()
			id := h.nb.Find("switches", "spine-01")["id"]
			netboxPatch(t, h, "switches", fmt.Sprintf(`[{"id":%v,%s}]`, id, tc.edit))

			res := h.sync()
			if !res.Success || res.Stats.Updated != 1 || res.Stats.Unchanged != total-1 {
				t.Fatalf("resync after a NetBox edit: %+v", res.Stats)
			}
			sw := h.nb.Find("switches", "spine-01")
			if sw["spec"].(map[string]any)["asn"] != 65100.0 || len(sw["labels"].(map[string]any)) != 1 ||
				len(sw["annotations"].(map[string]any)) != 0 || sw["kubernetes_status"] != "applied" || sw["kubernetes_resource_version"] == "0" {
				t.Errorf("spine-01 after the resync = %v", sw)
			}
		})
	}
}

// The sync asks NetBox only for the compared fields; a NetBox that ignores
// ?fields= (3.x) answers full objects, which compare just the same.
func TestObjectListsAskOnlyForComparedFields(t *testing.T) {
	for _, netbox3 := range []bool{false, true} {
		t.Run(fmt.Sprintf("netbox3=%v", netbox3), func(t *testing.T) {
			// Change marks off: every sync reads the objects.
			h := newHarness(t, func(o *Options) { o.FullCompareEvery = -1 })
			h.nb.IgnoreFields(netbox3)
			total := seedWiring(h.kube)
			h.sync() // NetBox is empty: no answer to tell whether fields= is honoured
			h.sync()
			h.nb.ResetRequests()
			res := h.sync()
			if !res.Success || res.Stats.Unchanged != total || h.nb.ObjectWrites() != 0 {
				t.Fatalf("resync: %+v, %d writes", res.Stats, h.nb.ObjectWrites())
			}
			lists, withFields := 0, 0
			for _, r := range h.nb.Requests() {
				if r.Method != http.MethodGet || strings.Contains(r.Path, "/fabrics/") {
					continue
				}
				lists++
				q, _ := url.ParseQuery(r.Query)
				if q.Get("fields") != "" {
					withFields++
					if q.Get("fields") != strings.Join(netbox.CompareFields, ",") {
						t.Errorf("fields = %q", q.Get("fields"))
					}
				}
			}
			// NetBox 3: the second sync found out; none of the third's lists asks.
			if want := map[bool]int{false: lists, true: 0}[netbox3]; lists != 12 || withFields != want {
				t.Errorf("%d object lists, %d with fields=, want 12 and %d", lists, withFields, want)
			}
		})
	}
}

// A continue token that expires while a kind is written (etcd compacted)
// restarts its list; what the first pass created is not created again.
func TestExpiredContinueDuringImportCreatesEachObjectOnce(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PageSize, o.BatchSize = 2, 1 })
	for i := range 5 {
		h.kube.Add(kind("Server"), "default", fmt.Sprintf("server-%02d", i), map[string]any{"n": i}, nil)
	}
	h.kube.ExpireContinue(kind("Server"))
	res := h.sync()
	if !res.Success || res.Stats.Created != 5 || res.Stats.Errors != 0 || res.Stats.Kinds["Server"].Listed != 5 {
		t.Fatalf("import: %+v", res.Stats)
	}
	if n := h.logs.FilterMessage("continue token expired, listing again from the start").Len(); n != 1 {
		t.Errorf("%d restarts logged, want 1", n)
	}
	if n := len(h.nb.Objects("servers")); n != 5 {
		t.Errorf("NetBox holds %d servers, want 5", n)
	}
}
