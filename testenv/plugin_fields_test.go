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
			nb := StartNetBox(t, NetBoxOptions{Version: version})
			nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true, Token: pluginAdminToken})
			admin := pluginClient{t: t, nb: nb, token: pluginAdminToken}
			fab := nb.CreateFabric(t, map[string]any{"name": "fab-1"})
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
