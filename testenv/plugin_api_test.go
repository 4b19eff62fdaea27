//go:build e2e

package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// These tests prove the plugin REST API of the stand-in against the real Django:
// NetBox 4.3's model viewsets (pagination, bulk create/update/delete, full_clean
// validation, model permissions, no filters) on the plugin's 12 CRD models, and
// the test controls (request counter, fault injection, object listing).

const (
	pluginAdminToken  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	pluginNoAddToken  = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	pluginReaderToken = "cccccccccccccccccccccccccccccccccccccccc"
)

// pluginClient sends JSON requests with a token.
type pluginClient struct {
	t     *testing.T
	nb    *NetBox
	token string
}

func (c pluginClient) do(method, route string, body any) (*http.Response, []byte) {
	c.t.Helper()
	var rd *bytes.Reader
	h := http.Header{"Authorization": {"Token " + c.token}, "Accept": {"application/json"}}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
		h.Set("Content-Type", "application/json")
	}
	s := NewSession(c.nb.BaseURL)
	if rd == nil {
		return s.Do(c.t, method, "/api/plugins/hedgehog/"+route, h, nil)
	}
	return s.Do(c.t, method, "/api/plugins/hedgehog/"+route, h, rd)
}

// with returns the client reporting to t.
func (c pluginClient) with(t *testing.T) pluginClient {
	c.t = t
	return c
}

// want sends a request, checks the status and decodes the JSON answer (nil for 204).
func (c pluginClient) want(method, route string, body any, status int) any {
	c.t.Helper()
	resp, data := c.do(method, route, body)
	wantStatus(c.t, resp, data, status)
	if status == http.StatusNoContent {
		if len(data) != 0 {
			c.t.Fatalf("%s %s: 204 with body %q", method, route, data)
		}
		return nil
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.t.Fatalf("%s %s: Content-Type %q; body %.300s", method, route, ct, data)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		c.t.Fatalf("%s %s: decoding %q: %v", method, route, data, err)
	}
	return out
}

// wantJSONEqual checks that got marshals to the same JSON as want (a JSON text).
func wantJSONEqual(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("got %s\nwant %s", gb, wb)
	}
}

func crdObject(fabric int, name string, spec any) map[string]any {
	return map[string]any{"fabric": fabric, "name": name, "spec": spec}
}

func objectNames(objs []map[string]any) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o["name"].(string))
	}
	return out
}

func startPluginNetBox(t *testing.T, env map[string]string) (*NetBox, pluginClient) {
	t.Helper()
	nb := StartNetBox(t, NetBoxOptions{Env: env})
	nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true, Token: pluginAdminToken})
	return nb, pluginClient{t: t, nb: nb, token: pluginAdminToken}
}

func TestPluginAPI(t *testing.T) {
	nb, admin := startPluginNetBox(t, nil)
	fab := nb.CreateFabric(t, map[string]any{"name": "fab-1"})
	other := nb.CreateFabric(t, map[string]any{"name": "fab-2"})

	t.Run("routes", func(t *testing.T) {
		admin := admin.with(t)
		root := admin.want(http.MethodGet, "", nil, http.StatusOK).(map[string]any)
		want := []string{"fabrics"}
		for _, k := range PluginKinds {
			want = append(want, k.Route)
		}
		for _, route := range want {
			if root[route] != nb.PluginAPIURL(route) {
				t.Errorf("API root %q = %v, want %s", route, root[route], nb.PluginAPIURL(route))
			}
			page := admin.want(http.MethodGet, route+"/", nil, http.StatusOK).(map[string]any)
			if _, ok := page["results"]; !ok {
				t.Errorf("%s: %v", route, page)
			}
		}
		if len(root) != len(want) {
			t.Errorf("API root has %d routes, want %d: %v", len(root), len(want), root)
		}
	})

	t.Run("single object CRUD and fields", func(t *testing.T) {
		admin := admin.with(t)
		obj := admin.want(http.MethodPost, "switch-groups/", map[string]any{
			"fabric": fab, "name": "mclag-1", "spec": map[string]any{"x": 1},
			"labels": map[string]any{"a": "b"}, "kubernetes_status": "applied", "kubernetes_uid": "u-1",
		}, http.StatusCreated).(map[string]any)
		id := int(obj["id"].(float64))
		for _, k := range []string{"id", "url", "display", "custom_fields", "tags", "fabric", "created", "last_updated",
			"name", "namespace", "spec", "labels", "annotations", "kubernetes_status", "kubernetes_uid",
			"kubernetes_resource_version", "last_applied", "last_synced", "sync_error", "auto_sync"} {
			if _, ok := obj[k]; !ok {
				t.Errorf("no %q in %v", k, obj)
			}
		}
		if len(obj) != 20 {
			t.Errorf("%d fields, want 20: %v", len(obj), obj)
		}
		if obj["fabric"] != float64(fab) || obj["namespace"] != "default" || obj["auto_sync"] != true ||
			obj["display"] != "mclag-1 (fab-1)" || obj["url"] != fmt.Sprintf("%s%d/", nb.PluginAPIURL("switch-groups"), id) {
			t.Errorf("created %v", obj)
		}
		path := fmt.Sprintf("switch-groups/%d/", id)
		got := admin.want(http.MethodGet, path, nil, http.StatusOK).(map[string]any)
		wantJSONEqual(t, got["spec"], `{"x": 1}`)
		got = admin.want(http.MethodPatch, path, map[string]any{"kubernetes_resource_version": "42"}, http.StatusOK).(map[string]any)
		if got["kubernetes_resource_version"] != "42" || got["kubernetes_uid"] != "u-1" {
			t.Errorf("after PATCH %v", got)
		}
		// PUT replaces: omitted fields with defaults return to them; spec is required.
		admin.want(http.MethodPut, path, map[string]any{"fabric": fab, "name": "mclag-1"}, http.StatusBadRequest)
		got = admin.want(http.MethodPut, path, crdObject(fab, "mclag-1", map[string]any{"y": 2}), http.StatusOK).(map[string]any)
		wantJSONEqual(t, got["spec"], `{"y": 2}`)
		admin.want(http.MethodPatch, path, map[string]any{"spec": map[string]any{}}, http.StatusBadRequest)
		admin.want(http.MethodDelete, path, nil, http.StatusNoContent)
		admin.want(http.MethodGet, path, nil, http.StatusNotFound)
	})

	t.Run("validation errors", func(t *testing.T) {
		admin := admin.with(t)
		cases := []struct {
			name string
			body any
			want string
		}{
			{"empty spec", crdObject(fab, "v", map[string]any{}), `{"spec": ["This field cannot be blank."]}`},
			{"empty list spec", crdObject(fab, "v", []any{}), `{"spec": ["This field cannot be blank."]}`},
			{"null spec", crdObject(fab, "v", nil), `{"spec": ["This field may not be null."]}`},
			{"no spec", map[string]any{"fabric": fab, "name": "v"}, `{"spec": ["This field is required."]}`},
			{"unknown fabric", crdObject(999, "v", map[string]any{"a": 1}), `{"fabric": ["Invalid pk \"999\" - object does not exist."]}`},
			{"not DNS-1123", crdObject(fab, "Not_Valid", map[string]any{"a": 1}),
				`{"name": ["Name must be a valid Kubernetes resource name (DNS-1123 compliant)"]}`},
			{"uid too long", map[string]any{"fabric": fab, "name": "v", "spec": map[string]any{"a": 1},
				"kubernetes_uid": strings.Repeat("u", 37)}, `{"kubernetes_uid": ["Ensure this field has no more than 36 characters."]}`},
			{"bad status", map[string]any{"fabric": fab, "name": "v", "spec": map[string]any{"a": 1},
				"kubernetes_status": "syncing"}, `{"kubernetes_status": ["\"syncing\" is not a valid choice."]}`},
		}
		for _, tc := range cases {
			got := admin.want(http.MethodPost, "vpcs/", tc.body, http.StatusBadRequest)
			t.Run(tc.name, func(t *testing.T) { wantJSONEqual(t, got, tc.want) })
		}
		if objs := nb.Objects(t, "vpcs", fab); len(objs) != 0 {
			t.Fatalf("refused objects were stored: %v", objs)
		}
	})

	t.Run("unique together", func(t *testing.T) {
		admin := admin.with(t)
		admin.want(http.MethodPost, "servers/", crdObject(fab, "server-1", map[string]any{"a": 1}), http.StatusCreated)
		got := admin.want(http.MethodPost, "servers/", crdObject(fab, "server-1", map[string]any{"b": 1}), http.StatusBadRequest)
		wantJSONEqual(t, got, `{"non_field_errors": ["The fields fabric, namespace, name must make a unique set."]}`)
		// Same name in another namespace or fabric is fine.
		admin.want(http.MethodPost, "servers/", map[string]any{"fabric": fab, "name": "server-1", "namespace": "other",
			"spec": map[string]any{"a": 1}}, http.StatusCreated)
		admin.want(http.MethodPost, "servers/", crdObject(other, "server-1", map[string]any{"a": 1}), http.StatusCreated)
		// A duplicate inside one bulk request passes validation and fails on insert: NetBox
		// answers its generic JSON 500, and the transaction leaves nothing behind.
		got = admin.want(http.MethodPost, "servers/", []any{
			crdObject(fab, "server-2", map[string]any{"a": 1}), crdObject(fab, "server-2", map[string]any{"a": 2}),
		}, http.StatusInternalServerError)
		if m := got.(map[string]any); m["exception"] != "IntegrityError" || m["netbox_version"] == nil {
			t.Fatalf("500 body %v", m)
		}
		if got := objectNames(nb.Objects(t, "servers", fab)); strings.Join(got, ",") != "server-1,server-1" {
			t.Fatalf("servers %v", got)
		}
	})

	t.Run("bulk create is atomic with per-item errors", func(t *testing.T) {
		admin := admin.with(t)
		before := len(nb.Objects(t, "vpcs", 0))
		got := admin.want(http.MethodPost, "vpcs/", []any{
			crdObject(fab, "vpc-1", map[string]any{"subnets": map[string]any{}}),
			crdObject(fab, "vpc-2", map[string]any{}),
			crdObject(fab, "vpc-3", map[string]any{"a": 1}),
		}, http.StatusBadRequest)
		wantJSONEqual(t, got, `[{}, {"spec": ["This field cannot be blank."]}, {}]`)
		if n := len(nb.Objects(t, "vpcs", 0)); n != before {
			t.Fatalf("%d VPCs after a refused batch, want %d", n, before)
		}
		created := admin.want(http.MethodPost, "vpcs/", []any{
			crdObject(fab, "vpc-3", map[string]any{"a": 3}),
			crdObject(fab, "vpc-1", map[string]any{"a": 1}),
			crdObject(fab, "vpc-2", map[string]any{"a": 2}),
		}, http.StatusCreated).([]any)
		var got3 []string
		for _, o := range created {
			got3 = append(got3, o.(map[string]any)["name"].(string))
		}
		if strings.Join(got3, ",") != "vpc-3,vpc-1,vpc-2" {
			t.Fatalf("answer order %v, want the request's", got3)
		}
		// An empty list creates nothing.
		wantJSONEqual(t, admin.want(http.MethodPost, "vpcs/", []any{}, http.StatusCreated), `[]`)
	})

	t.Run("bulk update", func(t *testing.T) {
		admin := admin.with(t)
		ids := nb.SeedObjects(t, "connections", []map[string]any{
			crdObject(fab, "conn-1", map[string]any{"v": 1}), crdObject(fab, "conn-2", map[string]any{"v": 1}),
			crdObject(fab, "conn-3", map[string]any{"v": 1}),
		})
		got := admin.want(http.MethodPatch, "connections/", []any{
			map[string]any{"id": ids[0], "spec": map[string]any{"v": 2}},
			map[string]any{"id": ids[2], "kubernetes_resource_version": "7"},
			map[string]any{"id": 999999, "spec": map[string]any{"v": 9}}, // unknown ids are skipped
		}, http.StatusOK).([]any)
		if len(got) != 2 {
			t.Fatalf("answer %v", got)
		}
		objs := nb.Objects(t, "connections", fab)
		wantJSONEqual(t, objs[0]["spec"], `{"v": 2}`)
		wantJSONEqual(t, objs[1]["spec"], `{"v": 1}`)
		if objs[2]["kubernetes_resource_version"] != "7" {
			t.Fatalf("conn-3 %v", objs[2])
		}
		// One invalid object: 400 with that object's errors, and the whole batch is rolled back.
		bad := admin.want(http.MethodPatch, "connections/", []any{
			map[string]any{"id": ids[0], "spec": map[string]any{"v": 3}},
			map[string]any{"id": ids[1], "spec": map[string]any{}},
		}, http.StatusBadRequest)
		wantJSONEqual(t, bad, `{"spec": ["This field cannot be blank."]}`)
		wantJSONEqual(t, nb.Objects(t, "connections", fab)[0]["spec"], `{"v": 2}`)
		// Renaming onto an existing name violates unique_together.
		bad = admin.want(http.MethodPatch, "connections/", []any{map[string]any{"id": ids[1], "name": "conn-1"}},
			http.StatusBadRequest)
		wantJSONEqual(t, bad, `{"non_field_errors": ["The fields fabric, namespace, name must make a unique set."]}`)
		// PUT needs every required field of each object.
		bad = admin.want(http.MethodPut, "connections/", []any{map[string]any{"id": ids[1], "spec": map[string]any{"v": 5}}},
			http.StatusBadRequest)
		wantJSONEqual(t, bad, `{"fabric": ["This field is required."], "name": ["This field is required."]}`)
		admin.want(http.MethodPut, "connections/", []any{
			map[string]any{"id": ids[1], "fabric": fab, "name": "conn-2", "spec": map[string]any{"v": 5}},
		}, http.StatusOK)
		wantJSONEqual(t, nb.Objects(t, "connections", fab)[1]["spec"], `{"v": 5}`)
		// Items without an id, and bodies that are not lists.
		wantJSONEqual(t, admin.want(http.MethodPatch, "connections/", []any{map[string]any{"id": ids[0]}, map[string]any{"name": "x"}},
			http.StatusBadRequest), `[{}, {"id": ["This field is required."]}]`)
		wantJSONEqual(t, admin.want(http.MethodPatch, "connections/", map[string]any{"id": ids[0]}, http.StatusBadRequest),
			`{"non_field_errors": ["Expected a list of items but got type \"dict\"."]}`)
	})

	t.Run("bulk delete", func(t *testing.T) {
		admin := admin.with(t)
		ids := nb.SeedObjects(t, "switches", []map[string]any{
			crdObject(fab, "leaf-1", map[string]any{"a": 1}), crdObject(fab, "leaf-2", map[string]any{"a": 1}),
			crdObject(fab, "leaf-3", map[string]any{"a": 1}),
		})
		admin.want(http.MethodDelete, "switches/", []any{
			map[string]any{"id": ids[0]}, map[string]any{"id": ids[2]}, map[string]any{"id": 999999},
		}, http.StatusNoContent)
		if got := objectNames(nb.Objects(t, "switches", fab)); strings.Join(got, ",") != "leaf-2" {
			t.Fatalf("after bulk delete: %v", got)
		}
		wantJSONEqual(t, admin.want(http.MethodDelete, "switches/", []any{map[string]any{"name": "leaf-2"}}, http.StatusBadRequest),
			`[{"id": ["This field is required."]}]`)
		if len(nb.Objects(t, "switches", fab)) != 1 {
			t.Fatal("a refused bulk delete deleted something")
		}
	})

	t.Run("pagination and no filters", func(t *testing.T) {
		admin := admin.with(t)
		var objs []map[string]any
		for i := 0; i < 1001; i++ {
			objs = append(objs, crdObject(other, fmt.Sprintf("page-%04d", i), map[string]any{"i": i}))
		}
		nb.SeedObjects(t, "vpc-attachments", objs)
		nb.SeedObjects(t, "vpc-attachments", []map[string]any{crdObject(fab, "mine", map[string]any{"i": 0})})
		const total = 1002

		page := admin.want(http.MethodGet, "vpc-attachments/", nil, http.StatusOK).(map[string]any)
		if len(page) != 4 || page["count"] != float64(total) || len(page["results"].([]any)) != 50 || page["previous"] != nil ||
			page["next"] != nb.PluginAPIURL("vpc-attachments")+"?limit=50&offset=50" {
			t.Fatalf("default page: count %v next %v previous %v results %d", page["count"], page["next"], page["previous"],
				len(page["results"].([]any)))
		}
		for _, q := range []string{"limit=0", "limit=5000", "limit=1000"} {
			page = admin.want(http.MethodGet, "vpc-attachments/?"+q, nil, http.StatusOK).(map[string]any)
			if len(page["results"].([]any)) != 1000 || page["next"] == nil {
				t.Fatalf("%s: %d results, next %v (MAX_PAGE_SIZE is 1000)", q, len(page["results"].([]any)), page["next"])
			}
		}
		page = admin.want(http.MethodGet, "vpc-attachments/?limit=1000&offset=1000", nil, http.StatusOK).(map[string]any)
		if len(page["results"].([]any)) != 2 || page["next"] != nil || page["previous"] == nil {
			t.Fatalf("last page: %d results, next %v", len(page["results"].([]any)), page["next"])
		}
		// Ordered by fabric (name), namespace, name: fab-1's "mine" comes first.
		first := firstResult(t, admin, "vpc-attachments/?limit=1")
		if first["name"] != "mine" {
			t.Fatalf("first object %v", first["name"])
		}
		// The plugin has no filtersets: every query parameter but limit/offset is ignored.
		for _, q := range []string{"fabric_id=" + fmt.Sprint(fab), "fabric=" + fmt.Sprint(fab), "name=mine", "q=mine", "namespace=x"} {
			page = admin.want(http.MethodGet, "vpc-attachments/?"+q, nil, http.StatusOK).(map[string]any)
			if page["count"] != float64(total) {
				t.Errorf("?%s: count %v, want %d (filters must be ignored)", q, page["count"], total)
			}
		}
		// Bad limits fall back to the default page size.
		page = admin.want(http.MethodGet, "vpc-attachments/?limit=-1", nil, http.StatusOK).(map[string]any)
		if len(page["results"].([]any)) != 50 {
			t.Fatalf("limit=-1: %d results", len(page["results"].([]any)))
		}
	})

	t.Run("fabric PATCH of sync fields", func(t *testing.T) {
		admin := admin.with(t)
		got := admin.want(http.MethodPatch, fmt.Sprintf("fabrics/%d/", fab), map[string]any{
			"sync_status": "syncing", "sync_error": "", "connection_status": "connected", "connection_error": "",
			"last_sync": "2026-01-02T03:04:05Z", "cached_crd_count": 7, "cached_vpc_count": 3, "vpcs_count": 3,
			"cached_connection_count": 2, "connections_count": 2, "servers_count": 1, "switches_count": 1,
		}, http.StatusOK).(map[string]any)
		if got["sync_status"] != "syncing" || got["last_sync"] != "2026-01-02T03:04:05Z" || got["servers_count"] != 1.0 {
			t.Fatalf("PATCH answer %v", got)
		}
		stored := nb.Fabric(t, fab)
		if stored["sync_status"] != "syncing" || stored["connection_status"] != "connected" || stored["cached_crd_count"] != 7.0 {
			t.Fatalf("stored %v", stored)
		}
		bad := admin.want(http.MethodPatch, fmt.Sprintf("fabrics/%d/", fab), map[string]any{"sync_status": "bogus"}, http.StatusBadRequest)
		wantJSONEqual(t, bad, `{"sync_status": ["\"bogus\" is not a valid choice."]}`)
	})

	t.Run("permissions", func(t *testing.T) {
		nb.CreateUser(t, User{Username: "no-add", Token: pluginNoAddToken, Permissions: []string{
			"netbox_hedgehog.view_vpc", "netbox_hedgehog.change_vpc", "netbox_hedgehog.delete_vpc",
		}})
		nb.CreateUser(t, User{Username: "reader", Password: "reader-pw", Token: pluginReaderToken, Permissions: []string{
			"netbox_hedgehog.view_vpc",
		}})
		noAdd := pluginClient{t: t, nb: nb, token: pluginNoAddToken}
		reader := pluginClient{t: t, nb: nb, token: pluginReaderToken}
		const denied = `{"detail": "You do not have permission to perform this action."}`
		wantJSONEqual(t, noAdd.want(http.MethodPost, "vpcs/", crdObject(fab, "nope", map[string]any{"a": 1}), http.StatusForbidden), denied)
		wantJSONEqual(t, noAdd.want(http.MethodPost, "vpcs/", []any{crdObject(fab, "nope", map[string]any{"a": 1})}, http.StatusForbidden), denied)
		noAdd.want(http.MethodGet, "vpcs/", nil, http.StatusOK)
		noAdd.want(http.MethodGet, "servers/", nil, http.StatusForbidden) // view_vpc is not view_server
		id := int(firstResult(t, admin, "vpcs/?limit=1")["id"].(float64))
		noAdd.want(http.MethodPatch, "vpcs/", []any{map[string]any{"id": id, "labels": map[string]any{"x": "y"}}}, http.StatusOK)
		wantJSONEqual(t, reader.want(http.MethodPatch, "vpcs/", []any{map[string]any{"id": id}}, http.StatusForbidden), denied)
		wantJSONEqual(t, reader.want(http.MethodDelete, "vpcs/", []any{map[string]any{"id": id}}, http.StatusForbidden), denied)
		wantJSONEqual(t, reader.want(http.MethodPatch, fmt.Sprintf("fabrics/%d/", fab), map[string]any{"sync_status": "syncing"},
			http.StatusForbidden), denied)
		anon := pluginClient{t: t, nb: nb, token: "0000000000000000000000000000000000000000"}
		wantJSONEqual(t, anon.want(http.MethodGet, "vpcs/", nil, http.StatusForbidden), `{"detail": "Invalid token."}`)

		// A session needs CSRF on writes, like NetBox.
		s := Login(t, nb.BaseURL, "reader", "reader-pw")
		resp, body := s.Do(t, http.MethodDelete, "/api/plugins/hedgehog/vpcs/",
			http.Header{"Content-Type": {"application/json"}}, strings.NewReader(fmt.Sprintf(`[{"id": %d}]`, id)))
		wantStatus(t, resp, body, http.StatusForbidden)
		if !strings.Contains(string(body), "CSRF Failed") {
			t.Fatalf("body %s", body)
		}
		resp, body = s.Do(t, http.MethodGet, "/api/plugins/hedgehog/vpcs/", nil, nil)
		wantStatus(t, resp, body, http.StatusOK)
	})

	t.Run("request counter", func(t *testing.T) {
		admin := admin.with(t)
		nb.ResetAPIRequestCounts(t)
		wantJSONEqual(t, nb.APIRequestCounts(t), `{"GET": 0, "POST": 0, "PUT": 0, "PATCH": 0, "DELETE": 0}`)
		admin.want(http.MethodGet, "vpcs/", nil, http.StatusOK)
		admin.want(http.MethodGet, "vpcs/?limit=1", nil, http.StatusOK)
		admin.want(http.MethodPost, "externals/", []any{crdObject(fab, "ext-1", map[string]any{"a": 1})}, http.StatusCreated)
		admin.want(http.MethodPost, "externals/", []any{crdObject(fab, "ext-2", map[string]any{})}, http.StatusBadRequest)
		admin.want(http.MethodPatch, "externals/", []any{}, http.StatusOK)
		admin.want(http.MethodDelete, "externals/", []any{}, http.StatusNoContent)
		pluginClient{t: t, nb: nb, token: pluginReaderToken}.want(http.MethodPut, "externals/", []any{}, http.StatusForbidden)
		// Not counted: other API paths, pages, and the control endpoints.
		NewSession(nb.BaseURL).Do(t, http.MethodGet, "/api/status/", http.Header{"Authorization": {"Token " + pluginAdminToken}}, nil)
		NewSession(nb.BaseURL).Get(t, "/plugins/hedgehog/fabrics/")
		nb.Objects(t, "externals", fab)
		wantJSONEqual(t, nb.APIRequestCounts(t), `{"GET": 2, "POST": 2, "PUT": 1, "PATCH": 1, "DELETE": 1}`)
		nb.ResetAPIRequestCounts(t)
		wantJSONEqual(t, nb.APIRequestCounts(t), `{"GET": 0, "POST": 0, "PUT": 0, "PATCH": 0, "DELETE": 0}`)
	})

	t.Run("fault injection", func(t *testing.T) {
		admin := admin.with(t)
		nb.ResetAPIRequestCounts(t)
		nb.InjectFault(t, Fault{Route: "ipv4-namespaces", Method: "POST", Status: 500, Times: 2})
		batch := []any{crdObject(fab, "ipns-1", map[string]any{"subnets": []any{"10.0.0.0/16"}})}
		for i := 0; i < 2; i++ {
			got := admin.want(http.MethodPost, "ipv4-namespaces/", batch, http.StatusInternalServerError).(map[string]any)
			if got["exception"] != "StandinInjectedFault" || got["error"] == nil {
				t.Fatalf("fault body %v", got)
			}
		}
		if n := len(nb.Objects(t, "ipv4-namespaces", fab)); n != 0 {
			t.Fatalf("a faulted request reached NetBox: %d objects", n)
		}
		// Other methods and routes are not affected; the third POST goes through.
		admin.want(http.MethodGet, "ipv4-namespaces/", nil, http.StatusOK)
		admin.want(http.MethodPost, "vlan-namespaces/", batch, http.StatusCreated)
		admin.want(http.MethodPost, "ipv4-namespaces/", batch, http.StatusCreated)
		if f := nb.PendingFaults(t); len(f) != 0 {
			t.Fatalf("pending faults %v", f)
		}
		wantJSONEqual(t, nb.APIRequestCounts(t), `{"GET": 1, "POST": 4, "PUT": 0, "PATCH": 0, "DELETE": 0}`)

		// Any route, any method, a custom body, detail URLs included; unlimited until cleared.
		nb.InjectFault(t, Fault{Status: 429, Times: -1, Body: map[string]any{"detail": "slow down"}})
		wantJSONEqual(t, admin.want(http.MethodGet, "vpcs/1/", nil, http.StatusTooManyRequests), `{"detail": "slow down"}`)
		wantJSONEqual(t, admin.want(http.MethodDelete, "vpcs/", []any{}, http.StatusTooManyRequests), `{"detail": "slow down"}`)
		if f := nb.PendingFaults(t); len(f) != 1 || f[0].Times != -1 {
			t.Fatalf("pending faults %v", f)
		}
		nb.ClearFaults(t)
		admin.want(http.MethodGet, "vpcs/", nil, http.StatusOK)

		// A 503 without a body gets NetBox's 5xx shape; a 4xx a detail.
		nb.InjectFault(t, Fault{Route: "vpcs", Method: "PATCH", Status: 400})
		got := admin.want(http.MethodPatch, "vpcs/", []any{}, http.StatusBadRequest).(map[string]any)
		if !strings.HasPrefix(got["detail"].(string), "Injected fault") {
			t.Fatalf("4xx fault body %v", got)
		}

		// A delay-only fault delays the request, which then goes through.
		nb.InjectFault(t, Fault{Route: "vpcs", Method: "GET", DelayMS: 300})
		start := time.Now()
		admin.want(http.MethodGet, "vpcs/?limit=1", nil, http.StatusOK)
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Fatalf("delayed request took %s", d)
		}

		// Invalid faults are refused.
		if err := nb.Control(http.MethodPost, "faults/", Fault{Route: "vpcs"}, nil); err == nil {
			t.Fatal("a fault without status or delay was accepted")
		}
		if err := nb.Control(http.MethodPost, "faults/", Fault{Status: 1000}, nil); err == nil {
			t.Fatal("status 1000 was accepted")
		}
	})

	t.Run("objects control", func(t *testing.T) {
		objs := nb.Objects(t, "switch-groups", 0)
		for _, o := range objs {
			if o["fabric"] == nil {
				t.Fatalf("object without fabric: %v", o)
			}
		}
		fabrics := nb.Objects(t, "fabrics", fab)
		if len(fabrics) != 1 || fabrics[0]["name"] != "fab-1" {
			t.Fatalf("fabrics %v", fabrics)
		}
		if err := nb.Control(http.MethodGet, "objects/nonsense/", nil, nil); err == nil {
			t.Fatal("unknown route answered")
		}
	})
}

// page0 returns the first result of a list request.
func firstResult(t *testing.T, c pluginClient, route string) map[string]any {
	t.Helper()
	page := c.with(t).want(http.MethodGet, route, nil, http.StatusOK).(map[string]any)
	results := page["results"].([]any)
	if len(results) == 0 {
		t.Fatalf("%s: no results", route)
	}
	return results[0].(map[string]any)
}

// With STANDIN_SPEC_BLANK_OK=1 the stand-in validates as if the plugin declared
// spec blank=True: empty specs are accepted, everything else is unchanged.
func TestPluginAPISpecBlankOK(t *testing.T) {
	nb, admin := startPluginNetBox(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	fab := nb.CreateFabric(t, map[string]any{"name": "fab"})
	admin.want(http.MethodPost, "switch-groups/", []any{
		crdObject(fab, "mclag-1", map[string]any{}), crdObject(fab, "mclag-2", map[string]any{}), crdObject(fab, "eslag-1", []any{}),
	}, http.StatusCreated)
	objs := nb.Objects(t, "switch-groups", fab)
	if len(objs) != 3 {
		t.Fatalf("stored %v", objs)
	}
	wantJSONEqual(t, objs[0]["spec"], `{}`)
	id := int(objs[0]["id"].(float64))
	admin.want(http.MethodPatch, "switch-groups/", []any{map[string]any{"id": id, "labels": map[string]any{"a": "b"}}}, http.StatusOK)
	wantJSONEqual(t, admin.want(http.MethodPost, "switch-groups/", crdObject(fab, "x", nil), http.StatusBadRequest),
		`{"spec": ["This field may not be null."]}`)
	wantJSONEqual(t, admin.want(http.MethodPost, "switch-groups/", map[string]any{"fabric": fab, "name": "x"}, http.StatusBadRequest),
		`{"spec": ["This field is required."]}`)
}
