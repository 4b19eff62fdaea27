package testenv

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// PluginKind is one of the 12 Hedgehog CRD kinds the plugin stores, with its
// REST route under /api/plugins/hedgehog/ and its Kubernetes resource.
type PluginKind struct {
	Kind   string // Kubernetes kind and model name, e.g. "VPCAttachment"
	Route  string // REST route, e.g. "vpc-attachments"
	Plural string // Kubernetes plural, e.g. "vpcattachments"
	Group  string // API group; the version is always v1beta1
}

const (
	vpcGroup    = "vpc.githedgehog.com"
	wiringGroup = "wiring.githedgehog.com"
)

// PluginKinds lists the kinds in the order the plugin's sync lists them.
var PluginKinds = []PluginKind{
	{"VPC", "vpcs", "vpcs", vpcGroup},
	{"External", "externals", "externals", vpcGroup},
	{"ExternalAttachment", "external-attachments", "externalattachments", vpcGroup},
	{"ExternalPeering", "external-peerings", "externalpeerings", vpcGroup},
	{"IPv4Namespace", "ipv4-namespaces", "ipv4namespaces", vpcGroup},
	{"VPCAttachment", "vpc-attachments", "vpcattachments", vpcGroup},
	{"VPCPeering", "vpc-peerings", "vpcpeerings", vpcGroup},
	{"Connection", "connections", "connections", wiringGroup},
	{"Server", "servers", "servers", wiringGroup},
	{"Switch", "switches", "switches", wiringGroup},
	{"SwitchGroup", "switch-groups", "switchgroups", wiringGroup},
	{"VLANNamespace", "vlan-namespaces", "vlannamespaces", wiringGroup},
}

// PluginAPIURL returns the URL of a plugin API list route, e.g.
// PluginAPIURL("vpcs") = BaseURL + "/api/plugins/hedgehog/vpcs/" ("" gives the API root).
func (n *NetBox) PluginAPIURL(route string) string {
	u := n.BaseURL + "/api/plugins/hedgehog/"
	if route != "" {
		u += route + "/"
	}
	return u
}

// APIRequestCounts returns how many requests reached /api/plugins/hedgehog/
// since the start or the last reset, by method ("GET", "POST", "PUT",
// "PATCH", "DELETE" are always present). Every request counts, whatever its
// answer (refused, failed, or answered by an injected fault).
func (n *NetBox) APIRequestCounts(t testing.TB) map[string]int {
	t.Helper()
	out := map[string]int{}
	if err := n.Control(http.MethodGet, "api-requests/", nil, &out); err != nil {
		t.Fatalf("APIRequestCounts: %v", err)
	}
	return out
}

// ResetAPIRequestCounts sets every plugin API request count to zero.
func (n *NetBox) ResetAPIRequestCounts(t testing.TB) {
	t.Helper()
	if err := n.Control(http.MethodPost, "api-requests/reset/", nil, nil); err != nil {
		t.Fatalf("ResetAPIRequestCounts: %v", err)
	}
}

// Fault makes the plugin API answer matching requests with Status (and Body)
// before NetBox handles them.
type Fault struct {
	// Route is the first path segment under /api/plugins/hedgehog/ ("vpcs"
	// matches vpcs/ and vpcs/<id>/); "" or "*" matches every route.
	Route string `json:"route"`
	// Method is the HTTP method; "" or "*" matches every method.
	Method string `json:"method"`
	// Status is the answer's status; 0 only delays the request (see DelayMS).
	Status int `json:"status"`
	// Times is how many matching requests the fault answers (0 means 1, -1 unlimited).
	Times int `json:"times"`
	// DelayMS delays the matching requests by this many milliseconds.
	DelayMS int `json:"delay_ms,omitempty"`
	// Body is the JSON answer; nil gives NetBox's 500 shape for 5xx
	// ({"error", "exception", "netbox_version", "python_version"}) and
	// {"detail": "..."} otherwise.
	Body any `json:"body,omitempty"`
	// Drop lets the request through (it is committed), then closes the
	// connection without an answer: a lost answer. Takes no Status.
	Drop bool `json:"drop,omitempty"`
}

// InjectFault adds a fault; faults are tried in the order they were added.
func (n *NetBox) InjectFault(t testing.TB, f Fault) {
	t.Helper()
	if err := n.Control(http.MethodPost, "faults/", f, nil); err != nil {
		t.Fatalf("InjectFault(%+v): %v", f, err)
	}
}

// ClearFaults removes every injected fault.
func (n *NetBox) ClearFaults(t testing.TB) {
	t.Helper()
	if err := n.Control(http.MethodDelete, "faults/", nil, nil); err != nil {
		t.Fatalf("ClearFaults: %v", err)
	}
}

// PendingFaults returns the injected faults not yet used up, with their remaining Times.
func (n *NetBox) PendingFaults(t testing.TB) []Fault {
	t.Helper()
	var out []Fault
	if err := n.Control(http.MethodGet, "faults/", nil, &out); err != nil {
		t.Fatalf("PendingFaults: %v", err)
	}
	return out
}

// Objects returns every stored object of a route's kind ("vpcs", ...,
// "fabrics") that belongs to the fabric (fabricID 0: all of them), ordered by
// id, read straight from the database: all fields by name, "fabric" as the
// fabric's id, times in ISO 8601, JSON fields decoded. Not counted as API requests.
func (n *NetBox) Objects(t testing.TB, route string, fabricID int) []map[string]any {
	t.Helper()
	path := "objects/" + route + "/"
	if fabricID != 0 {
		path += "?" + url.Values{"fabric": {strconv.Itoa(fabricID)}}.Encode()
	}
	var out []map[string]any
	if err := n.Control(http.MethodGet, path, nil, &out); err != nil {
		t.Fatalf("Objects(%q, %d): %v", route, fabricID, err)
	}
	return out
}

// SeedObjects stores objects of a route's kind straight in the database,
// without validation (as the plugin's own sync does), in one transaction, and
// returns their ids. "fabric" takes the fabric's id. Not counted as API requests.
func (n *NetBox) SeedObjects(t testing.TB, route string, objects []map[string]any) []int {
	t.Helper()
	var out struct {
		IDs []int `json:"ids"`
	}
	if err := n.Control(http.MethodPost, "objects/"+route+"/", objects, &out); err != nil {
		t.Fatalf("SeedObjects(%q): %v", route, err)
	}
	return out.IDs
}
