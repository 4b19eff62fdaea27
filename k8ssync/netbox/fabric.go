package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.uber.org/zap/zapcore"
)

// Fabric is the part of a HedgehogFabric record the sync reads. It holds
// the cluster token and CA; every way of printing it leaves them out.
type Fabric struct {
	ID                  int    `json:"id"`
	Name                string `json:"name"`
	KubernetesServer    string `json:"kubernetes_server"`
	KubernetesToken     string `json:"kubernetes_token"`
	KubernetesCACert    string `json:"kubernetes_ca_cert"`
	KubernetesNamespace string `json:"kubernetes_namespace"`
	SyncStatus          string `json:"sync_status"`
	ConnectionStatus    string `json:"connection_status"`
}

// String describes the fabric without its secrets.
func (f Fabric) String() string {
	return fmt.Sprintf("fabric %d (%q, server %q, namespace %q)", f.ID, f.Name, f.KubernetesServer, f.KubernetesNamespace)
}

// GoString keeps %#v from printing the token or the CA.
func (f Fabric) GoString() string { return f.String() }

// MarshalJSON leaves the token and the CA out, so that a Fabric passed to a
// JSON logger or encoder cannot leak them. The sync never sends a Fabric
// back to NetBox (status updates are FabricStatus).
func (f Fabric) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID                  int    `json:"id"`
		Name                string `json:"name"`
		KubernetesServer    string `json:"kubernetes_server"`
		KubernetesNamespace string `json:"kubernetes_namespace"`
		SyncStatus          string `json:"sync_status"`
		ConnectionStatus    string `json:"connection_status"`
	}{f.ID, f.Name, f.KubernetesServer, f.KubernetesNamespace, f.SyncStatus, f.ConnectionStatus})
}

// MarshalLogObject lets zap.Object(f) log the fabric without secrets.
func (f Fabric) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddInt("id", f.ID)
	enc.AddString("name", f.Name)
	enc.AddString("kubernetes_server", f.KubernetesServer)
	enc.AddString("kubernetes_namespace", f.KubernetesNamespace)
	return nil
}

// Fabric status values (the plugin's ConnectionStatusChoices and
// SyncStatusChoices).
const (
	ConnectionConnected = "connected"
	ConnectionError     = "error"
	SyncInSync          = "in_sync"
	SyncError           = "error"
	SyncSyncing         = "syncing"
)

// FabricStatus is a partial update of the fabric's status fields. Nil
// fields are not sent, so that for example last_sync keeps its value after
// a failed sync and a count is not zeroed when its kind could not be read.
type FabricStatus struct {
	ConnectionStatus      *string    `json:"connection_status,omitempty"`
	ConnectionError       *string    `json:"connection_error,omitempty"`
	SyncStatus            *string    `json:"sync_status,omitempty"`
	SyncError             *string    `json:"sync_error,omitempty"`
	LastSync              *time.Time `json:"last_sync,omitempty"`
	CachedCRDCount        *int       `json:"cached_crd_count,omitempty"`
	CachedVPCCount        *int       `json:"cached_vpc_count,omitempty"`
	CachedConnectionCount *int       `json:"cached_connection_count,omitempty"`
	VPCsCount             *int       `json:"vpcs_count,omitempty"`
	ConnectionsCount      *int       `json:"connections_count,omitempty"`
	ServersCount          *int       `json:"servers_count,omitempty"`
	SwitchesCount         *int       `json:"switches_count,omitempty"`
}

func fabricPath(id int) string { return fmt.Sprintf("%sfabrics/%d/", APIPrefix, id) }

// GetFabric reads fabric id. A missing fabric gives an error for which
// IsNotFound is true.
func (c *Client) GetFabric(ctx context.Context, id int) (Fabric, error) {
	body, err := c.do(ctx, "GET", fabricPath(id), nil, nil)
	if err != nil {
		return Fabric{}, err
	}
	var f Fabric
	if err := json.Unmarshal(body, &f); err != nil {
		// Never quote the body: it holds the token and the CA.
		return Fabric{}, fmt.Errorf("GET %s: decode fabric: %v", fabricPath(id), jsonErrorKind(err))
	}
	if f.ID == 0 {
		f.ID = id
	}
	return f, nil
}

// PatchFabric writes the non-nil fields of s to fabric id.
func (c *Client) PatchFabric(ctx context.Context, id int, s FabricStatus) error {
	body, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("PATCH %s: encode: %w", fabricPath(id), err)
	}
	// The answer is the whole fabric, secrets included: read and dropped.
	_, err = c.do(ctx, "PATCH", fabricPath(id), nil, body)
	return err
}

// jsonErrorKind describes a decode error without the offending input
// (json.UnmarshalTypeError and SyntaxError messages carry no input text,
// but be explicit about it).
func jsonErrorKind(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("invalid JSON at offset %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %q is %s, want %s", e.Field, e.Value, e.Type)
	default:
		return "invalid JSON"
	}
}
