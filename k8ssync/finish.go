package k8ssync

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// maxSyncError caps sync_error: a few errors, not a log.
const maxSyncError = 2000

// finish turns the run into its Result and writes the fabric's final
// status. It runs deferred, after a panic too, on its own context.
func (r *run) finish(parent context.Context) (res Result) {
	defer func() {
		// A bug in here must still not leave the fabric "syncing".
		if p := recover(); p != nil {
			r.e.log.Error("sync finish panicked", zap.Int("fabric", r.id), zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
			res = r.lastResort(parent, fmt.Sprintf("internal error: panic: %v", p))
		}
	}()
	end := r.e.now()
	code := r.code()
	res = Result{FabricID: r.id, FabricName: r.fabric.Name, ConnectionStatus: r.connectionStatus}
	res.Stats = r.stats
	res.Stats.Errors = r.errCount
	res.Stats.DurationMS = end.Sub(r.start).Milliseconds()
	res.Stats.setReadiness(r.switches)
	res.Stats.Kinds = make(map[string]KindStats, len(r.kindStats))
	for name, ks := range r.kindStats {
		res.Stats.Kinds[name] = *ks
	}
	if code == "" {
		res.Success = true
		res.Stats.Status = netbox.SyncInSync
		res.Message = fmt.Sprintf("Sync completed successfully! Fabric %q is now synchronized.", r.fabric.Name)
		res.Stats.ErrorDetails = nil
	} else {
		res.Stats.Status = netbox.SyncError
		if code == CodePruneHeld {
			// NetBox knowingly keeps objects the cluster no longer has.
			res.Stats.Status = netbox.SyncOutOfSync
		}
		res.Code = code
		res.Error = r.red.clean(r.humanError(code))
		if res.Stats.ErrorDetails == nil {
			res.Stats.ErrorDetails = []ErrorDetail{}
		}
	}
	res.Stats.Details = res.Stats.summary()

	if r.fabricMissing {
		return r.logged(res) // nothing to write the status to
	}
	ctx, cancel := r.e.statusContext(parent)
	defer cancel()
	status := r.fabricStatus(res, end)
	if err := r.e.netbox.PatchFabric(ctx, r.id, status); err != nil {
		res.PendingStatus = pending(status)
		msg := r.red.clean(fmt.Sprintf("fabric %d: write status: %v", r.id, err))
		res.Stats.Errors++
		if len(res.Stats.ErrorDetails) < MaxErrorDetails {
			res.Stats.ErrorDetails = append(res.Stats.ErrorDetails, ErrorDetail{Operation: "write_status", Error: msg})
		}
		if res.Success {
			res.Success, res.Message = false, ""
			res.Stats.Status = netbox.SyncError
			res.Code = CodeNetBoxUnavailable
			res.Error = "The sync completed but its status could not be recorded on the fabric: " + msg
		} else {
			res.Error += " (the status could not be recorded on the fabric: " + msg + ")"
		}
		res.Stats.Details = res.Stats.summary()
		return r.logged(res)
	}
	res.StatusWritten = true
	return r.logged(res)
}

// fabricStatus is the final PATCH. Fields the sync did not learn anything
// about are not sent: connection fields when the cluster was never tried,
// a count when its kind could not be listed, last_sync unless the sync
// fully succeeded.
func (r *run) fabricStatus(res Result, end time.Time) netbox.FabricStatus {
	var s netbox.FabricStatus
	s.SyncStatus = ptr(res.Stats.Status)
	if res.Success {
		s.SyncError = ptr("")
		t := end.UTC().Truncate(time.Microsecond)
		s.LastSync = &t
	} else {
		s.SyncError = ptr(clip(r.syncErrorText(res)))
	}
	if r.connectionStatus != "" {
		s.ConnectionStatus = ptr(r.connectionStatus)
		s.ConnectionError = ptr(clip(r.connectionError))
	}
	complete := len(r.listings) > 0
	total := 0
	for _, l := range r.listings {
		if l.Status == kube.StatusFailed {
			complete = false
		}
		total += l.Count
	}
	if complete {
		s.CachedCRDCount = ptr(total)
	}
	for _, l := range r.listings {
		if l.Status == kube.StatusFailed {
			continue
		}
		n := ptr(l.Count)
		switch l.Kind.Kind {
		case "VPC":
			s.CachedVPCCount, s.VPCsCount = n, n
		case "Connection":
			s.CachedConnectionCount, s.ConnectionsCount = n, n
		case "Server":
			s.ServersCount = n
		case "Switch":
			s.SwitchesCount = n
		}
	}
	return s
}

// syncErrorText is sync_error after a failure: the connection error when
// the cluster could not be reached (every kind failed with it), else the
// first errors in the order they happened. Never a bare count.
func (r *run) syncErrorText(res Result) string {
	if r.connClass.ConnectionLevel() && r.connectionError != "" {
		return r.connectionError
	}
	if len(r.first) == 0 {
		return res.Error
	}
	text := strings.Join(r.first, "; ")
	if r.errCount > len(r.first) {
		text += fmt.Sprintf(" (and %d more)", r.errCount-len(r.first))
	}
	if len(r.held) > 0 {
		text += ". " + r.heldText()
	}
	return r.red.clean(text)
}

// code picks the one machine code that best explains the failure, the
// most fundamental first; "" means success.
func (r *run) code() string {
	switch {
	case r.fabricMissing:
		return CodeFabricNotFound
	case r.panicMsg != "":
		return CodeInternal
	case r.notConfigured:
		return CodeFabricNotConfigured
	case r.connClass == kube.ClassTLS:
		return CodeKubernetesTLS
	case r.connClass == kube.ClassUnauthorized:
		return CodeKubernetesUnauthorized
	case r.connClass != "":
		return CodeKubernetesUnreachable
	case r.ctxCode != "":
		return r.ctxCode
	case r.netboxForbidden != "":
		return CodeNetBoxForbidden
	case r.netboxUnavailable != "":
		return CodeNetBoxUnavailable
	case r.allNotInstalled:
		return CodeCRDsNotInstalled
	case r.allForbidden():
		return CodeKubernetesForbidden
	case r.errCount > 0:
		return CodePartialFailure
	case len(r.held) > 0:
		return CodePruneHeld
	}
	return ""
}

// allForbidden reports whether every kind was refused by RBAC.
func (r *run) allForbidden() bool {
	for _, l := range r.listings {
		if l.Class != kube.ClassForbidden {
			return false
		}
	}
	return len(r.listings) > 0
}

// humanError is Result.Error for code: what happened, then the first
// errors so that the alert the plugin's page shows is actionable.
func (r *run) humanError(code string) string {
	firsts := strings.Join(r.first, "; ")
	switch code {
	case CodeFabricNotFound:
		return fmt.Sprintf("Fabric %d not found", r.id)
	case CodeInternal:
		return "Internal error during sync: " + r.panicMsg
	case CodeFabricNotConfigured:
		return fmt.Sprintf("Fabric %q has no usable Kubernetes API server URL (kubernetes_server): %s", r.fabric.Name, firsts)
	case CodeKubernetesTLS:
		return "Cannot verify the Kubernetes API server's certificate (check the fabric's CA certificate): " + r.connectionError
	case CodeKubernetesUnauthorized:
		return "The Kubernetes API server refused the fabric's token: " + r.connectionError
	case CodeKubernetesUnreachable:
		return "Cannot reach the Kubernetes API server: " + r.connectionError
	case CodeTimeout:
		return fmt.Sprintf("Sync timed out after %s; %d errors: %s", r.e.o.Timeout, r.errCount, firsts)
	case CodeCancelled:
		return fmt.Sprintf("Sync cancelled; %d errors: %s", r.errCount, firsts)
	case CodeNetBoxForbidden:
		return "NetBox refused the gateway's service token: " + r.netboxForbidden
	case CodeNetBoxUnavailable:
		return "NetBox is unavailable: " + r.netboxUnavailable
	case CodeKubernetesForbidden:
		return "The fabric's token may not list the Hedgehog kinds in its namespace (RBAC): " + firsts
	case CodeCRDsNotInstalled:
		return fmt.Sprintf("The Kubernetes API server at %s serves none of the %d Hedgehog kinds in namespace %q: are the Hedgehog CRDs installed, and is kubernetes_server the fabric's cluster?",
			r.fabric.KubernetesServer, len(r.listings), r.fabric.KubernetesNamespace)
	case CodePruneHeld:
		return r.heldText()
	}
	return fmt.Sprintf("Sync completed with %d errors: %s", r.errCount, firsts)
}

// lastResort writes a minimal error status when finish itself failed.
func (r *run) lastResort(parent context.Context, msg string) Result {
	msg = r.red.clean(msg)
	res := Result{FabricID: r.id, Code: CodeInternal, Error: "Internal error during sync: " + msg}
	res.Stats = Stats{Status: netbox.SyncError, Errors: r.errCount + 1, Kinds: map[string]KindStats{},
		ErrorDetails: []ErrorDetail{{Operation: "sync", Error: msg}}}
	res.Stats.Details = res.Stats.summary()
	ctx, cancel := r.e.statusContext(parent)
	defer cancel()
	status := netbox.FabricStatus{SyncStatus: ptr(netbox.SyncError), SyncError: ptr(msg)}
	err := r.e.netbox.PatchFabric(ctx, r.id, status)
	res.StatusWritten = err == nil
	if err != nil {
		res.PendingStatus = pending(status)
	}
	return res
}

func (r *run) logged(res Result) Result {
	fields := []zap.Field{
		zap.Int("fabric", r.id), zap.String("status", res.Stats.Status),
		zap.Int("total_crds", res.Stats.TotalCRDs), zap.Int("created", res.Stats.Created),
		zap.Int("updated", res.Stats.Updated), zap.Int("deleted", res.Stats.Deleted),
		zap.Int("unchanged", res.Stats.Unchanged), zap.Int("errors", res.Stats.Errors),
		zap.Int64("duration_ms", res.Stats.DurationMS), zap.Bool("status_written", res.StatusWritten),
	}
	if res.Success {
		r.e.log.Info("fabric synced", fields...)
	} else {
		r.e.log.Warn("fabric sync failed", append(fields, zap.String("code", res.Code), zap.String("error", res.Error))...)
	}
	return res
}

func ptr[T any](v T) *T { return &v }

// pending is the final status write as JSON, for a caller that keeps it
// and retries it later (WriteStatus). It holds no secret.
func pending(s netbox.FabricStatus) json.RawMessage {
	b, err := json.Marshal(s)
	if err != nil {
		return nil
	}
	return b
}

func clip(s string) string {
	if len(s) <= maxSyncError {
		return s
	}
	return strings.ToValidUTF8(s[:maxSyncError], "") + "…"
}
