package k8ssync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// run is the state of one Sync: what was read, what was written, and every
// error in the order it happened.
type run struct {
	e     *Engine
	id    int
	start time.Time
	// stamp is the last_synced written on created and updated objects.
	stamp time.Time
	red   redactor

	fabric        netbox.Fabric
	fabricRead    bool
	fabricMissing bool
	notConfigured bool

	// Kubernetes side: one Listing per kind (counts, no items).
	listings         []kube.Listing
	connectionStatus string // "", netbox.ConnectionConnected or netbox.ConnectionError
	connectionError  string
	connClass        kube.Class
	allNotInstalled  bool

	// NetBox side.
	netboxForbidden   string
	netboxUnavailable string
	netboxDown        error // writes after this are not sent

	// writeSlots bounds the write batches on the way (writesInFlight).
	// writeMu guards what their answers change while the kinds stream (the
	// counts and errors below, netboxDown); otherwise those change only on
	// the sync's goroutine.
	writeSlots chan struct{}
	writeMu    sync.Mutex

	panicMsg string
	ctxCode  string
	prog     *progress // WithProgress's callback, if any

	stats     Stats
	kindStats map[string]*KindStats
	errCount  int
	first     []string // the first errors, for sync_error

	held     []heldKind // kinds whose deletions max_prune held (prune.go)
	switches *Readiness // nil: unknown (agents.go)
	// dryRun is a plan (plan.go): no write of any kind, plans recorded.
	dryRun bool
	plans  map[string]*KindPlan
}

// firstErrors is how many errors sync_error keeps.
const firstErrors = 3

func newRun(e *Engine, id int) *run {
	now := e.now()
	// Microseconds: what NetBox's DateTimeField stores.
	r := &run{e: e, id: id, start: now, stamp: now.UTC().Truncate(time.Microsecond), kindStats: map[string]*KindStats{},
		writeSlots: make(chan struct{}, writesInFlight)}
	r.red.add(e.o.NetBoxToken)
	return r
}

// addError records one error. Every text goes through the redactor.
func (r *run) addError(kind, name, op, msg string) {
	msg = r.red.clean(msg)
	r.errCount++
	if len(r.stats.ErrorDetails) < MaxErrorDetails {
		r.stats.ErrorDetails = append(r.stats.ErrorDetails, ErrorDetail{Kind: kind, Name: name, Operation: op, Error: msg})
	}
	if len(r.first) < firstErrors {
		line := msg
		switch {
		case kind != "" && name != "":
			line = fmt.Sprintf("%s %s: %s: %s", kind, name, op, msg)
		case kind != "" && op == "list_netbox":
			line = fmt.Sprintf("%s: %s", kind, msg)
		}
		r.first = append(r.first, line)
	}
}

func (r *run) panicked(p any, stack []byte) {
	r.panicMsg = r.red.clean(fmt.Sprintf("panic: %v", p))
	r.e.log.Error("sync panicked", zap.Int("fabric", r.id), zap.String("panic", r.panicMsg), zap.ByteString("stack", stack))
	r.addError("", "", "sync", "internal error: "+r.panicMsg)
}

// noteContext records why the sync's context ended, if it did.
func (r *run) noteContext(syncCtx, callerCtx context.Context) {
	switch {
	case syncCtx.Err() == nil || r.errCount == 0:
		// A deadline that passed after the last write failed nothing.
	case callerCtx.Err() == context.Canceled:
		r.ctxCode = CodeCancelled
	default:
		r.ctxCode = CodeTimeout
	}
}

func (r *run) execute(ctx context.Context) {
	r.prog = newProgress(ctx, len(kinds.All))
	if !r.dryRun && !r.markSyncing(ctx) {
		return
	}
	f, err := r.e.netbox.GetFabric(ctx, r.id)
	if err != nil {
		if netbox.IsNotFound(err) {
			r.fabricMissing = true
			r.e.marks.dropFabric(r.id)
			r.addError("", "", "read_fabric", fmt.Sprintf("fabric %d not found", r.id))
			return
		}
		r.netboxFailed(ctx, err, true)
		r.addError("", "", "read_fabric", fmt.Sprintf("fabric %d: %v", r.id, err))
		return
	}
	r.fabric, r.fabricRead = f, true
	if faultHook != nil {
		faultHook(f.Name)
	}
	r.red.add(f.KubernetesToken)
	r.red.add(f.KubernetesCACert)

	reader := r.connect()
	if reader == nil {
		return
	}
	r.syncKinds(ctx, reader)
}

// markSyncing sets sync_status "syncing" with the service token. Only the
// sync writes it, and only while it holds the fabric's lock, so that its
// final status write is the last status write of the run.
func (r *run) markSyncing(ctx context.Context) bool {
	err := r.e.netbox.PatchFabric(ctx, r.id, netbox.FabricStatus{SyncStatus: ptr(netbox.SyncSyncing)})
	switch {
	case err == nil:
		return true
	case netbox.IsNotFound(err):
		r.fabricMissing = true
		r.addError("", "", "read_fabric", fmt.Sprintf("fabric %d not found", r.id))
	default:
		r.netboxFailed(ctx, err, true)
		r.addError("", "", "write_status", fmt.Sprintf("fabric %d: set syncing: %v", r.id, err))
	}
	return false
}

// metadataClient is the client of the change marks' metadata lists; nil
// (every kind compared in full) when it cannot be built or marks are off.
func (r *run) metadataClient(cfg *rest.Config) metadata.Interface {
	if !r.marksOn() {
		return nil
	}
	c, err := r.e.newMetadataClient(cfg)
	if err != nil {
		return nil
	}
	return c
}

// connect builds the fabric's Kubernetes reader. A configuration that
// cannot work (no server, a CA that is not PEM) is a connection error.
func (r *run) connect() *kube.Reader {
	cfg := kube.Config{
		Server:                r.fabric.KubernetesServer,
		Token:                 r.fabric.KubernetesToken,
		CACert:                r.fabric.KubernetesCACert,
		InsecureSkipTLSVerify: r.e.o.InsecureSkipTLSVerify,
		Timeout:               r.e.o.KubeRequestTimeout,
		UserAgent:             r.e.o.UserAgent,
	}
	restCfg, err := kube.RESTConfig(cfg)
	if err == nil {
		var client dynamic.Interface
		client, err = r.e.o.NewDynamicClient(restCfg)
		if err == nil {
			return kube.NewReader(client, r.fabric.KubernetesNamespace, kube.ReaderOptions{
				PageSize: r.e.o.PageSize,
				Logger:   r.e.log.Named("kube").With(zap.Int("fabric", r.id)),
				Metadata: r.metadataClient(restCfg),
			})
		}
	}
	msg := fmt.Sprintf("fabric %d: %v", r.id, err)
	switch {
	case errors.Is(err, kube.ErrNoServer), errors.Is(err, kube.ErrInvalidServer):
		r.notConfigured = true
	case errors.Is(err, kube.ErrInvalidCA):
		r.connClass = kube.ClassTLS
	default:
		r.connClass = kube.Classify(err)
		if !r.connClass.ConnectionLevel() {
			r.connClass = kube.ClassUnreachable
		}
	}
	r.connectionStatus, r.connectionError = netbox.ConnectionError, r.red.clean(msg)
	r.addError("", "", "connect", msg)
	return nil
}

// noteConnection derives connection_status from the listings: "error" if
// any kind failed to reach or authenticate to the API server (the cluster
// is not reliably reachable, even if some kinds were listed before it went
// away), "connected" if the API server answered, unknown (not written)
// when nothing got far enough to tell.
func (r *run) noteConnection() {
	answered, notInstalled := false, 0
	for _, l := range r.listings {
		switch {
		case l.Status == kube.StatusNotInstalled:
			answered = true
			notInstalled++
		case l.Status == kube.StatusOK:
			answered = true
		case l.Class.ConnectionLevel():
			if r.connClass == "" {
				r.connClass = l.Class
				r.connectionError = r.red.clean(fmt.Sprintf("fabric %d: %v", r.id, l.Err))
			}
		case l.Class != kube.ClassCanceled && l.Class != kube.ClassInternal:
			answered = true // 403, 5xx: the API server is there
		}
	}
	switch {
	case r.connClass != "":
		r.connectionStatus = netbox.ConnectionError
	case answered:
		r.connectionStatus, r.connectionError = netbox.ConnectionConnected, ""
	}
	r.allNotInstalled = notInstalled == len(r.listings) && notInstalled > 0
}

// netboxFailed classifies a NetBox error for the sync's code. Errors caused
// by the sync's own context are left to noteContext.
func (r *run) netboxFailed(ctx context.Context, err error, reading bool) {
	if err == nil || ctx.Err() != nil {
		return
	}
	var h *netbox.HTTPError
	switch {
	case errors.As(err, &h) && (h.Status == http.StatusUnauthorized || h.Status == http.StatusForbidden):
		if r.netboxForbidden == "" {
			r.netboxForbidden = r.red.clean(err.Error())
		}
	case netbox.Unavailable(err) || reading:
		if r.netboxUnavailable == "" {
			r.netboxUnavailable = r.red.clean(err.Error())
		}
	}
}
