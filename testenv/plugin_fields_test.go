//go:build e2e

package testenv

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"testing"
)

// NetBox >= 4.0 renders only ?fields= (unknown names dropped) or all but
// ?omit=, on every model viewset (the plugin's API included); NetBox 3.x
// has no dynamic fields and answers full objects.
func TestPluginAPIDynamicFields(t *testing.T) {
	for _, version := range []NetBoxVersion{NetBox4, NetBox3} {
		t.Run("netbox"+string(version), func(t *testing.T) {
			admin, fab := pluginAdminWithFabric(t, version)
			admin.want(http.MethodPost, "vpcs/", []any{crdObject(fab, "vpc-1", map[string]any{"a": 1}), crdObject(fab, "vpc-2", map[string]any{"a": 2})}, http.StatusCreated)
			full := keys(firstResult(t, admin, "vpcs/"))

			for _, tc := range []struct {
				name, query string
				want4       []string
			}{
				{"fields", "fields=id,name,spec,no_such_field", []string{"id", "name", "spec"}},
				{"fields named in any order", "fields=spec,id", []string{"id", "spec"}},
				{"omit", "omit=spec,url,display", without(full, "spec", "url", "display")},
				{"nothing asked", "", full},
			} {
				t.Run(tc.name, func(t *testing.T) {
					admin := admin.with(t)
					page := admin.want(http.MethodGet, "vpcs/?ordering=id&"+tc.query, nil, http.StatusOK).(map[string]any)
					results := page["results"].([]any)
					if len(results) != 2 || page["count"] != 2.0 {
						t.Fatalf("page = %v", page)
					}
					want := tc.want4
					if version == NetBox3 {
						want = full
					}
					for _, r := range results {
						if got := keys(r.(map[string]any)); !slices.Equal(got, want) {
							t.Errorf("fields %v, want %v", got, want)
						}
					}
				})
			}
			if version == NetBox4 {
				// Fabrics too, and the fields of a detail view.
				f := admin.want(http.MethodGet, fmt.Sprintf("fabrics/%d/?fields=id,sync_status", fab), nil, http.StatusOK).(map[string]any)
				if got := keys(f); !slices.Equal(got, []string{"id", "sync_status"}) {
					t.Errorf("fabric fields %v", got)
				}
			}
		})
	}
}

// pluginAdminWithFabric starts a stand-in of that version with an admin
// token and one empty fabric.
func pluginAdminWithFabric(t *testing.T, version NetBoxVersion) (pluginClient, int) {
	nb := StartNetBox(t, NetBoxOptions{Version: version})
	nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true, Token: pluginAdminToken})
	return pluginClient{t: t, nb: nb, token: pluginAdminToken}, nb.CreateFabric(t, map[string]any{"name": "fab-1"})
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func without(all []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(all), func(s string) bool { return slices.Contains(drop, s) })
}

// NetBox >= 3.2 sorts lists by ?ordering= (any serializer field, "-" for
// descending); every save moves last_updated. NetBox 3.1 (the NETBOX3
// mode) ignores the parameter: the model's order (fabric, namespace,
// name). The sync's change marks rest on both (k8ssync/netbox/changemark.go).
func TestPluginAPIOrderingAndLastUpdated(t *testing.T) {
	for _, version := range []NetBoxVersion{NetBox4, NetBox3} {
		t.Run("netbox"+string(version), func(t *testing.T) {
			admin, fab := pluginAdminWithFabric(t, version)
			var objs []any
			for _, name := range []string{"vpc-b", "vpc-a", "vpc-c"} {
				objs = append(objs, crdObject(fab, name, map[string]any{"n": name}))
			}
			created := admin.want(http.MethodPost, "vpcs/", objs, http.StatusCreated).([]any)
			first := created[0].(map[string]any) // vpc-b, saved first
			newest := func() map[string]any {
				page := admin.want(http.MethodGet, "vpcs/?ordering=-last_updated&limit=1", nil, http.StatusOK).(map[string]any)
				return page["results"].([]any)[0].(map[string]any)
			}
			before := newest()
			admin.want(http.MethodPatch, fmt.Sprintf("vpcs/%v/", first["id"]), map[string]any{"spec": map[string]any{"edited": true}}, http.StatusOK)
			after := newest()
			edited := admin.want(http.MethodGet, fmt.Sprintf("vpcs/%v/", first["id"]), nil, http.StatusOK).(map[string]any)
			if edited["last_updated"] == first["last_updated"] || edited["last_updated"] == nil {
				t.Errorf("last_updated %v after the edit, %v before", edited["last_updated"], first["last_updated"])
			}
			if version == NetBox4 {
				if after["name"] != "vpc-b" || before["name"] != "vpc-c" {
					t.Errorf("newest first: %v before the edit, %v after; want vpc-c, then vpc-b", before["name"], after["name"])
				}
				return
			}
			// The model's order: vpc-a first, whatever was asked.
			if before["name"] != "vpc-a" || after["name"] != "vpc-a" {
				t.Errorf("NetBox 3.1 ordered by %v then %v, want the model's order (vpc-a)", before["name"], after["name"])
			}
		})
	}
}
