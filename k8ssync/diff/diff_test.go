package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// nb decodes a NetBox row the way the client does (json.Number).
func nb(t testing.TB, js string) netbox.Object {
	t.Helper()
	var o netbox.Object
	dec := json.NewDecoder(bytes.NewReader([]byte(js)))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return o
}

func cr(name string, spec any) kube.Resource {
	return kube.Resource{Namespace: "default", Name: name, UID: "uid-" + name, ResourceVersion: "1", Spec: spec, Status: "applied"}
}

func row(id int, name, spec string) string {
	return fmt.Sprintf(`{"id":%d,"fabric":7,"namespace":"default","name":%q,"spec":%s,"labels":{},"annotations":{},
		"kubernetes_uid":"uid-%s","kubernetes_resource_version":"1","kubernetes_status":"applied"}`, id, name, spec, name)
}

func TestComputeCreatesUpdatesKeepsAndDeletes(t *testing.T) {
	resources := []kube.Resource{
		cr("new", map[string]any{"a": int64(1)}),
		cr("same", map[string]any{"a": int64(1)}),
		cr("changed", map[string]any{"a": int64(2)}),
	}
	objects := []netbox.Object{
		nb(t, row(10, "same", `{"a":1}`)),
		nb(t, row(11, "changed", `{"a":1}`)),
		nb(t, row(12, "gone", `{"a":1}`)),
	}
	p := Compute(Input{Fabric: 7, Resources: resources, Objects: objects, Prune: true, Now: now})

	if len(p.Create) != 1 || p.Create[0].Key.Name != "new" {
		t.Fatalf("create = %+v, want [new]", p.Create)
	}
	c := p.Create[0].Record
	if c.Fabric != 7 || c.Namespace != "default" || c.Name != "new" || c.ID != 0 {
		t.Errorf("create record identity = %+v", c)
	}
	if !c.LastSynced.Equal(now) || c.SyncError != "" || !c.AutoSync || c.KubernetesStatus != "applied" {
		t.Errorf("create record sync fields = %+v", c)
	}
	if len(p.Update) != 1 || p.Update[0].Key.Name != "changed" || p.Update[0].Record.ID != 11 {
		t.Fatalf("update = %+v, want [changed id 11]", p.Update)
	}
	// An update identifies by id and does not resend fabric/namespace/name.
	u, _ := json.Marshal(p.Update[0].Record)
	for _, field := range []string{`"fabric"`, `"name"`, `"namespace"`} {
		if bytes.Contains(u, []byte(field)) {
			t.Errorf("update body %s contains %s", u, field)
		}
	}
	if p.Unchanged != 1 {
		t.Errorf("unchanged = %d, want 1", p.Unchanged)
	}
	if len(p.Delete) != 1 || p.Delete[0].ID != 12 || p.Delete[0].Key.Name != "gone" {
		t.Errorf("delete = %+v, want [gone id 12]", p.Delete)
	}
}

func TestComputePrunesOnlyWhenAllowed(t *testing.T) {
	objects := []netbox.Object{nb(t, row(1, "gone", `{"a":1}`))}
	for _, prune := range []bool{false, true} {
		p := Compute(Input{Fabric: 7, Objects: objects, Prune: prune, Now: now})
		if got, want := len(p.Delete), map[bool]int{false: 0, true: 1}[prune]; got != want {
			t.Errorf("prune=%t: %d deletes, want %d", prune, got, want)
		}
		if len(p.Create)+len(p.Update) != 0 {
			t.Errorf("prune=%t: unexpected writes %+v", prune, p)
		}
	}
}

func TestMatchesComparesSemantically(t *testing.T) {
	base := func() kube.Resource {
		return kube.Resource{
			Namespace: "default", Name: "x", UID: "u", ResourceVersion: "7", Status: "applied",
			Spec: map[string]any{
				"vlan": int64(1001), "mtu": float64(9000), "ratio": 0.5, "on": true, "none": nil,
				"subnets": map[string]any{"b": map[string]any{"gw": "10.0.0.1"}, "a": []any{"x", int64(2)}},
			},
		}
	}
	const same = `{"id":1,"fabric":7,"namespace":"default","name":"x","kubernetes_uid":"u",
		"kubernetes_resource_version":"7","kubernetes_status":"applied","labels":null,"annotations":{},
		"spec":{"subnets":{"a":["x",2.0],"b":{"gw":"10.0.0.1"}},"on":true,"ratio":0.5,"mtu":9000,"vlan":1001,"none":null}}`
	tests := []struct {
		name   string
		mutate func(r *kube.Resource)
		row    string
		want   bool
	}{
		{"identical JSON in another key order and number form", nil, same, true},
		{"null labels equal no labels", func(r *kube.Resource) { r.Labels = map[string]string{} }, same, true},
		{"label added", func(r *kube.Resource) { r.Labels = map[string]string{"a": "b"} }, same, false},
		{"annotation added", func(r *kube.Resource) { r.Annotations = map[string]string{"a": "b"} }, same, false},
		{"resourceVersion changed", func(r *kube.Resource) { r.ResourceVersion = "8" }, same, false},
		{"uid changed (recreated CR)", func(r *kube.Resource) { r.UID = "v" }, same, false},
		{"status changed", func(r *kube.Resource) { r.Status = "live" }, same, false},
		{"number changed", func(r *kube.Resource) { r.Spec.(map[string]any)["vlan"] = int64(1002) }, same, false},
		{"string vs number", func(r *kube.Resource) { r.Spec.(map[string]any)["vlan"] = "1001" }, same, false},
		{"extra key", func(r *kube.Resource) { r.Spec.(map[string]any)["new"] = false }, same, false},
		{"list order matters", func(r *kube.Resource) {
			r.Spec.(map[string]any)["subnets"].(map[string]any)["a"] = []any{int64(2), "x"}
		}, same, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			if tc.mutate != nil {
				tc.mutate(&r)
			}
			o := nb(t, tc.row)
			if got := Matches(&r, &o); got != tc.want {
				t.Errorf("Matches = %t, want %t", got, tc.want)
			}
		})
	}
}

func TestEmptySpecForms(t *testing.T) {
	// A SwitchGroup has spec {}; a CR without spec is written as {}.
	for _, spec := range []any{nil, map[string]any{}} {
		r := kube.Resource{Namespace: "default", Name: "sg", Spec: spec, Status: "applied"}
		for _, js := range []string{`{}`, `null`} {
			o := nb(t, `{"id":1,"namespace":"default","name":"sg","kubernetes_status":"applied","spec":`+js+`}`)
			if !Matches(&r, &o) {
				t.Errorf("spec %v vs NetBox %s: not equal", spec, js)
			}
		}
		p := Compute(Input{Fabric: 1, Resources: []kube.Resource{r}, Now: now})
		if body, _ := json.Marshal(p.Create[0].Record); !bytes.Contains(body, []byte(`"spec":{}`)) ||
			!bytes.Contains(body, []byte(`"labels":{}`)) || !bytes.Contains(body, []byte(`"annotations":{}`)) {
			t.Errorf("create body %s: want spec, labels, annotations as {}", body)
		}
	}
}

func TestRefusedObjectIsPlannedAgain(t *testing.T) {
	// Last sync NetBox refused the SwitchGroup: it is not in NetBox, so it is
	// simply created again, which succeeds once the plugin accepts it.
	r := kube.Resource{Namespace: "default", Name: "empty", Spec: map[string]any{}}
	for i := 0; i < 2; i++ {
		p := Compute(Input{Fabric: 1, Resources: []kube.Resource{r}, Prune: true, Now: now})
		if len(p.Create) != 1 {
			t.Fatalf("run %d: create = %d, want 1", i, len(p.Create))
		}
	}
}

func TestDuplicateNetBoxRowsCompareLowestID(t *testing.T) {
	objects := []netbox.Object{nb(t, row(9, "x", `{"a":2}`)), nb(t, row(3, "x", `{"a":1}`))}
	r := cr("x", map[string]any{"a": int64(1)})
	p := Compute(Input{Fabric: 7, Resources: []kube.Resource{r}, Objects: objects, Prune: true, Now: now})
	if p.Unchanged != 1 || len(p.Update)+len(p.Create)+len(p.Delete) != 0 {
		t.Errorf("plan = %+v, want id 3 unchanged and id 9 left alone", p)
	}
}

func TestJSONEqual(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{int64(1), json.Number("1"), true},
		{int64(1), json.Number("1.0"), true},
		{float64(1.5), json.Number("1.5"), true},
		{float64(1.5), json.Number("1.25"), false},
		{int64(9007199254740993), json.Number("9007199254740993"), true},
		{int64(9007199254740993), json.Number("9007199254740992"), false},
		{"1", json.Number("1"), false},
		{nil, nil, true},
		{nil, map[string]any{}, false},
		{[]any{}, []any{}, true},
		{[]any{}, nil, false},
		{true, true, true},
		{true, "true", false},
		{map[string]any{"a": nil}, map[string]any{}, false},
	}
	for _, tc := range tests {
		if got := jsonEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("jsonEqual(%#v, %#v) = %t, want %t", tc.a, tc.b, got, tc.want)
		}
		if got := jsonEqual(tc.b, tc.a); got != tc.want {
			t.Errorf("jsonEqual(%#v, %#v) = %t, want %t (reversed)", tc.b, tc.a, got, tc.want)
		}
	}
}
