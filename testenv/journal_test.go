//go:build e2e

package testenv

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestJournalEntriesAPI proves the stand-in's /api/extras/journal-entries/
// against the real Django: created_by is the requesting user, and kinds
// outside NetBox's choices, object types without journaling and objects
// that do not exist are refused with 400; no permission is 403.
func TestJournalEntriesAPI(t *testing.T) {
	nb := StartNetBox(t, NetBoxOptions{})
	nb.CreateUser(t, User{Username: "writer", Password: "pw-unused", Token: pluginAdminToken,
		Permissions: []string{"extras.add_journalentry", "extras.view_journalentry"}})
	nb.CreateUser(t, User{Username: "reader", Password: "pw-unused", Token: pluginReaderToken,
		Permissions: []string{"extras.view_journalentry"}})
	fab := nb.CreateFabric(t, map[string]any{"name": "fab-journal"})
	post := func(token string, body map[string]any) (int, string) {
		b, _ := json.Marshal(body)
		h := http.Header{"Authorization": {"Token " + token}, "Content-Type": {"application/json"}, "Accept": {"application/json"}}
		res, data := NewSession(nb.BaseURL).Do(t, http.MethodPost, "/api/extras/journal-entries/", h, bytes.NewReader(b))
		return res.StatusCode, string(data)
	}
	entry := func(kind, ct string, id int) map[string]any {
		return map[string]any{"assigned_object_type": ct, "assigned_object_id": id, "kind": kind, "comments": "synced"}
	}
	for _, tt := range []struct {
		name   string
		token  string
		body   map[string]any
		status int
		want   string
	}{
		{"success entry", pluginAdminToken, entry("success", "netbox_hedgehog.hedgehogfabric", fab), 201, `"kind":"success"`},
		{"unknown kind", pluginAdminToken, entry("fatal", "netbox_hedgehog.hedgehogfabric", fab), 400, `"kind":["\"fatal\" is not a valid choice."]`},
		{"model without journaling", pluginAdminToken, entry("info", "auth.user", 1), 400, `"assigned_object_type"`},
		{"unknown object type", pluginAdminToken, entry("info", "netbox_hedgehog.nosuchmodel", fab), 400, `Invalid content type: netbox_hedgehog.nosuchmodel`},
		{"missing fabric", pluginAdminToken, entry("info", "netbox_hedgehog.hedgehogfabric", 999999), 400, `object does not exist`},
		{"no add permission", pluginReaderToken, entry("info", "netbox_hedgehog.hedgehogfabric", fab), 403, `"detail"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(tt.token, tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s, want %d containing %s", status, body, tt.status, tt.want)
			}
		})
	}
	entries := nb.JournalEntries(t)
	if len(entries) != 1 || entries[0].CreatedBy != "writer" || entries[0].AssignedObjectID != fab ||
		entries[0].AssignedObjectType != "netbox_hedgehog.hedgehogfabric" {
		t.Fatalf("entries %+v, want one by writer on the fabric", entries)
	}
}

// TestDropFaultCommitsWithoutAnswer: a "drop" fault lets a bulk create
// commit and closes the connection before the answer.
func TestDropFaultCommitsWithoutAnswer(t *testing.T) {
	nb, admin := startPluginNetBox(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1"})
	fab := nb.CreateFabric(t, map[string]any{"name": "fab-drop"})
	nb.InjectFault(t, Fault{Route: "vpcs", Method: "POST", Drop: true})
	b, _ := json.Marshal([]map[string]any{crdObject(fab, "vpc-a", map[string]any{"x": 1})})
	req, _ := http.NewRequest(http.MethodPost, nb.BaseURL+"/api/plugins/hedgehog/vpcs/", bytes.NewReader(b))
	req.Header.Set("Authorization", "Token "+admin.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("got an answer %s, want the connection dropped", res.Status)
	}
	if objs := nb.Objects(t, "vpcs", fab); len(objs) != 1 {
		t.Fatalf("%d vpcs committed, want 1", len(objs))
	}
}
