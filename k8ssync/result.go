package k8ssync

import (
	"encoding/json"
	"fmt"
)

// Machine-readable failure codes (Result.Code).
const (
	// CodeFabricNotFound: NetBox has no fabric with that id.
	CodeFabricNotFound = "fabric_not_found"
	// CodeFabricNotConfigured: the fabric has no kubernetes_server.
	CodeFabricNotConfigured = "fabric_not_configured"
	// CodeKubernetesTLS: the API server's certificate could not be
	// verified, or the fabric's CA is not a PEM certificate.
	CodeKubernetesTLS = "kubernetes_tls"
	// CodeKubernetesUnreachable: no connection to the API server.
	CodeKubernetesUnreachable = "kubernetes_unreachable"
	// CodeKubernetesUnauthorized: the API server refused the token (401).
	CodeKubernetesUnauthorized = "kubernetes_unauthorized"
	// CodeKubernetesForbidden: the token may not list any of the kinds
	// in the fabric's namespace (RBAC).
	CodeKubernetesForbidden = "kubernetes_forbidden"
	// CodeCRDsNotInstalled: the API server serves none of the kinds.
	CodeCRDsNotInstalled = "crds_not_installed"
	// CodePartialFailure: some kinds or objects failed, the rest synced.
	CodePartialFailure = "partial_failure"
	// CodeNetBoxUnavailable: NetBox did not answer, or answered 5xx/429
	// after the retries.
	CodeNetBoxUnavailable = "netbox_unavailable"
	// CodeNetBoxForbidden: NetBox refused the service token (401/403).
	CodeNetBoxForbidden = "netbox_forbidden"
	// CodeTimeout: the sync ran out of its Timeout.
	CodeTimeout = "timeout"
	// CodeCancelled: the caller cancelled the sync.
	CodeCancelled = "cancelled"
	// CodeInternal: a bug (a recovered panic).
	CodeInternal = "internal_error"
)

// Kind outcome values (KindStats.Status).
const (
	KindOK           = "ok"
	KindNotInstalled = "not_installed"
	KindFailed       = "failed"
)

// Result is the outcome of one sync. It marshals to the JSON answer the
// plugin's page expects:
//
//	success: {"success": true, "message": "...", "stats": {...}}
//	failure: {"success": false, "error": "<human text>", "code": "<machine code>",
//	          "stats": {..., "error_details": [{"kind", "name", "operation", "error"}]}}
//
// It never contains a token or a CA certificate.
type Result struct {
	Success bool `json:"success"`
	// Message is the human text on success (the plugin's wording).
	Message string `json:"message,omitempty"`
	// Error is the human text on failure: what went wrong, with the first
	// real errors.
	Error string `json:"error,omitempty"`
	// Code is the machine code on failure (Code* constants).
	Code  string `json:"code,omitempty"`
	Stats Stats  `json:"stats"`

	// FabricID is the fabric synced.
	FabricID int `json:"-"`
	// FabricName is its name ("" if it could not be read).
	FabricName string `json:"-"`
	// ConnectionStatus is what was written as connection_status ("" when
	// the sync never reached the API server).
	ConnectionStatus string `json:"-"`
	// StatusWritten reports whether the final fabric status write
	// succeeded. When false, the fabric may still show "syncing" and
	// Error says why.
	StatusWritten bool `json:"-"`
	// PendingStatus is the final status write that could not be made (the
	// PATCH body, no secrets), when StatusWritten is false: the caller
	// keeps it and retries it with Engine.WriteStatus.
	PendingStatus json.RawMessage `json:"-"`
}

// Stats are the counts of a sync; the JSON names are the plugin's plus
// deleted, unchanged, kinds and duration_ms.
type Stats struct {
	// TotalCRDs is the number of custom resources listed.
	TotalCRDs int `json:"total_crds"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
	// Errors counts failed kinds and failed objects.
	Errors int `json:"errors"`
	// Status is the fabric's new sync_status: "in_sync" or "error".
	Status string `json:"status"`
	// Details is a one-line summary: "3 created, 1 updated, 0 deleted, 40 unchanged".
	Details string `json:"details"`
	// Kinds has one entry per kind that was attempted, by kind name.
	Kinds      map[string]KindStats `json:"kinds"`
	DurationMS int64                `json:"duration_ms"`
	// SwitchesReady, SwitchesTotal and SwitchesStale count the fabric's
	// switches from their Agents (see Readiness); omitted when unknown.
	SwitchesReady *int `json:"switches_ready,omitempty"`
	SwitchesTotal *int `json:"switches_total,omitempty"`
	SwitchesStale *int `json:"switches_stale,omitempty"`
	// ErrorDetails lists the errors in the order they happened, capped at
	// MaxErrorDetails (Errors has the full count).
	ErrorDetails []ErrorDetail `json:"error_details,omitempty"`
}

// KindStats are the counts of one kind.
type KindStats struct {
	Listed    int `json:"listed"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
	Errors    int `json:"errors"`
	// Status is KindOK, KindNotInstalled or KindFailed.
	Status string `json:"status"`
	// Error is why the kind failed as a whole.
	Error string `json:"error,omitempty"`
	// ByChangeMarks is set when the kind was counted unchanged from its
	// change marks, without reading its objects (marks.go).
	ByChangeMarks bool `json:"by_change_marks,omitempty"`
	// PruneHeld is set when max_prune held this kind's deletions (Deleted
	// is then 0).
	PruneHeld *PruneHeld `json:"prune_held,omitempty"`
}

// ErrorDetail is one error. Name is "namespace/name" for an object, "" for
// a kind or the fabric. Operation is "create", "update", "delete" for
// objects, "list" for a Kubernetes list, "list_netbox" for NetBox's, and
// "read_fabric", "connect", "write_status", "sync" for the whole sync.
type ErrorDetail struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Operation string `json:"operation"`
	Error     string `json:"error"`
}

// MaxErrorDetails caps Stats.ErrorDetails.
const MaxErrorDetails = 100

// summary is Stats.Details.
func (s Stats) summary() string {
	d := fmt.Sprintf("%d created, %d updated, %d deleted, %d unchanged", s.Created, s.Updated, s.Deleted, s.Unchanged)
	if s.Errors > 0 {
		d += fmt.Sprintf(", %d errors", s.Errors)
	}
	return d
}
