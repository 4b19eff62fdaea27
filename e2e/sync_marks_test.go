//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

// marksAnswer is the part of the sync's answer the change marks show in.
type marksAnswer struct {
	Success bool `json:"success"`
	Stats   struct {
		Created, Updated, Deleted, Unchanged int
		Kinds                                map[string]struct {
			Listed        int  `json:"listed"`
			Updated       int  `json:"updated"`
			ByChangeMarks bool `json:"by_change_marks"`
		} `json:"kinds"`
	} `json:"stats"`
}

func (s *syncStack) pressSyncMarks(t *testing.T, sess *testenv.Session, id int) marksAnswer {
	t.Helper()
	_, _, body := s.pressSync(t, sess, id)
	var a marksAnswer
	if err := json.Unmarshal(body, &a); err != nil || !a.Success {
		t.Fatalf("sync: %v %.600s", err, body)
	}
	return a
}

// editInNetBox PATCHes one object through NetBox's REST API, as an
// operator or a script would.
func (s *syncStack) editInNetBox(t *testing.T, route string, id any, fields map[string]any) {
	t.Helper()
	body, _ := json.Marshal(fields)
	req, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s%v/", s.netbox.PluginAPIURL(route), id), bytes.NewReader(body))
	req.Header.Set("Authorization", "Token "+serviceToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH %s %v: %d", route, id, res.StatusCode)
	}
}

// TestSyncChangeMarks: after a resync found everything in sync, the next
// one counts the kinds unchanged from their change marks; an object
// edited in NetBox and a custom resource changed in the cluster are each
// still found and written, the rest stays on the marks. NetBox 3.1, which
// ignores ?ordering=, gets a full compare of every kind of more than one
// object. Real parts: kube-apiserver + etcd, the Django stand-in (both
// NetBox modes), the hhgate binary.
func TestSyncChangeMarks(t *testing.T) {
	for _, version := range []string{"4", "3"} {
		t.Run("netbox"+version, func(t *testing.T) {
			s := startSyncStack(t, map[string]string{"STANDIN_SPEC_BLANK_OK": "1", "STANDIN_NETBOX_VERSION": version})
			objs := s.cluster.ApplyFixture(t, s.namespace)
			id := s.fabric(t, kube.AllResources(), string(s.cluster.CACert))
			sess := testenv.Login(t, s.gateway.URL, user, password)
			s.pressSyncMarks(t, sess, id) // import
			if a := s.pressSyncMarks(t, sess, id); a.Stats.Unchanged != len(objs) {
				t.Fatalf("full compare after the import: %+v", a.Stats)
			}
			a := s.pressSyncMarks(t, sess, id)
			for kind, ks := range a.Stats.Kinds {
				want := version == "4" || ks.Listed <= 1
				if ks.ByChangeMarks != want {
					t.Errorf("NetBox %s: %s (%d objects) by change marks = %v, want %v", version, kind, ks.Listed, ks.ByChangeMarks, want)
				}
			}
			if a.Stats.Unchanged != len(objs) {
				t.Fatalf("resync on the marks: %+v", a.Stats)
			}

			// An edit in NetBox: found and repaired.
			vpcName := objs[firstOf(t, objs, "VPC")].Name
			var vpcID any
			for _, o := range s.netbox.Objects(t, "vpcs", id) {
				if o["name"] == vpcName {
					vpcID = o["id"]
				}
			}
			s.editInNetBox(t, "vpcs", vpcID, map[string]any{"spec": map[string]any{"edited": "in netbox"}})
			a = s.pressSyncMarks(t, sess, id)
			if a.Stats.Updated != 1 || a.Stats.Kinds["VPC"].Updated != 1 || a.Stats.Kinds["VPC"].ByChangeMarks {
				t.Fatalf("after a NetBox edit: %+v", a.Stats)
			}
			want := s.cluster.Get(t, "VPC", s.namespace, vpcName).Object["spec"]
			for _, o := range s.netbox.Objects(t, "vpcs", id) {
				if o["name"] == vpcName && fmt.Sprint(o["spec"]) != fmt.Sprint(want) {
					t.Errorf("NetBox's VPC spec %v, the cluster's %v", o["spec"], want)
				}
			}

			// A change in the cluster: found and written.
			sw := s.cluster.Get(t, "Switch", s.namespace, objs[firstOf(t, objs, "Switch")].Name)
			sw.SetLabels(map[string]string{"changed-by": "test"})
			s.cluster.Update(t, sw)
			a = s.pressSyncMarks(t, sess, id)
			if a.Stats.Updated != 1 || a.Stats.Kinds["Switch"].Updated != 1 || a.Stats.Kinds["Switch"].ByChangeMarks {
				t.Fatalf("after a cluster change: %+v", a.Stats)
			}
			if version == "4" && !a.Stats.Kinds["Server"].ByChangeMarks {
				t.Errorf("an unchanged kind was compared in full: %+v", a.Stats.Kinds["Server"])
			}
		})
	}
}
