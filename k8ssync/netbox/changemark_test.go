package netbox

import (
	"context"
	"fmt"
	"net/url"
	"testing"
)

// A mark is read with one-object lists ordered by last_updated; it moves
// with every save and every deletion, and is refused (ok false) by a
// NetBox that ignores ?ordering=, where the order cannot be trusted.
func TestReadChangeMark(t *testing.T) {
	for _, tc := range []struct {
		name           string
		objects        int
		ignoreOrdering bool
		ignoreFields   bool
		wantOK         bool
	}{
		{"empty route", 0, false, false, true},
		{"one object needs no order", 1, true, false, true},
		{"NetBox 4", 5, false, false, true},
		{"NetBox 3.2 to 3.7: ordering, no fields", 5, false, true, true},
		{"NetBox before 3.2: no ordering", 5, true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.IgnoreOrdering(tc.ignoreOrdering)
			srv.IgnoreFields(tc.ignoreFields)
			for i := range tc.objects {
				srv.Seed("vpcs", map[string]any{"fabric": 1 + i%2, "name": fmt.Sprintf("v-%d", i), "spec": map[string]any{"n": i}})
			}
			c, _ := newClient(t, srv, Options{})
			ctx := context.Background()
			m, ok, err := c.ReadChangeMark(ctx, "vpcs")
			if err != nil || ok != tc.wantOK {
				t.Fatalf("mark %+v ok=%v err=%v, want ok=%v", m, ok, err, tc.wantOK)
			}
			if !ok {
				return
			}
			if m.Count != tc.objects {
				t.Errorf("count %d, want %d", m.Count, tc.objects)
			}
			for _, r := range srv.Requests() {
				q, _ := url.ParseQuery(r.Query)
				if q.Get("limit") != "1" {
					t.Errorf("a mark read asked for %q", r.Query)
				}
			}
			if tc.objects == 0 {
				return
			}
			seen := []ChangeMark{m}
			check := func(what string) {
				t.Helper()
				now, ok, err := c.ReadChangeMark(ctx, "vpcs")
				if err != nil || !ok {
					t.Fatalf("%s: ok=%v err=%v", what, ok, err)
				}
				for _, prev := range seen {
					if now.Same(prev) {
						t.Errorf("%s: mark %+v did not move", what, now)
					}
				}
				seen = append(seen, now)
			}
			if again, _, _ := c.ReadChangeMark(ctx, "vpcs"); !again.Same(m) {
				t.Errorf("mark moved with no change: %+v then %+v", m, again)
			}
			srv.Edit("vpcs", "v-0", func(row map[string]any) { row["spec"] = map[string]any{"edited": true} })
			check("edit of the oldest object")
			srv.Seed("vpcs", map[string]any{"fabric": 2, "name": "added"})
			if tc.ignoreOrdering {
				// Two objects now: without ordering, no mark to trust.
				if _, ok, err := c.ReadChangeMark(ctx, "vpcs"); ok || err != nil {
					t.Errorf("two objects, no ordering: ok=%v err=%v", ok, err)
				}
				return
			}
			check("object added in another fabric")
		})
	}
}

// A full read gives the route's mark (every fabric's objects), the same
// that ReadChangeMark then reads with one request once ?ordering= was
// seen honoured; without last_updated in the fields there is no mark.
func TestFullReadGivesTheMark(t *testing.T) {
	srv := newServer(t)
	for i := range 2500 {
		srv.Seed("vpcs", map[string]any{"fabric": 1 + i%2, "name": fmt.Sprintf("v-%d", i), "spec": map[string]any{"n": i}})
	}
	srv.Edit("vpcs", "v-7", func(row map[string]any) { row["spec"] = map[string]any{"edited": true} })
	c, _ := newClient(t, srv, Options{})
	ctx := context.Background()
	n := 0
	full, ok, err := c.ReadFabricObjects(ctx, "vpcs", 1, CompareFields, func(*Object) { n++ })
	if err != nil || !ok || n != 1250 || full.Count != 2500 {
		t.Fatalf("full read: %d objects, mark %+v ok=%v err=%v", n, full, ok, err)
	}
	if v7 := srv.Find("vpcs", "v-7"); full.NewestID != v7["id"] {
		t.Errorf("newest object %d, want v-7 (%v), edited last", full.NewestID, v7["id"])
	}
	srv.ResetRequests()
	for i, want := range []int{2, 1} { // the first proves ?ordering= is honoured
		read, ok, err := c.ReadChangeMark(ctx, "vpcs")
		if err != nil || !ok || !read.Same(full) {
			t.Fatalf("read mark %+v ok=%v err=%v, want %+v", read, ok, err, full)
		}
		if got := len(srv.Requests()); got != want {
			t.Errorf("mark read %d: %d requests, want %d", i+1, got, want)
		}
		srv.ResetRequests()
	}
	if _, ok, err := c.ReadFabricObjects(ctx, "vpcs", 1, KeyFields, func(*Object) {}); ok || err != nil {
		t.Errorf("a read without last_updated gave a mark (err %v)", err)
	}
}
