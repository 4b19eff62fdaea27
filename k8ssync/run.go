package k8ssync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"go.uber.org/zap"
	"k8s.io/client-go/dynamic"

	"github.com/hhgate/hhgate/k8ssync/diff"
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

	// Kubernetes side.
	listings         []kube.Listing
	connectionStatus string // "", netbox.ConnectionConnected or netbox.ConnectionError
	connectionError  string
	connClass        kube.Class
	allNotInstalled  bool

	// NetBox side.
	netboxForbidden   string
	netboxUnavailable string
	netboxDown        error // writes after this are not sent

	panicMsg string
	ctxCode  string
	prog     *progress // WithProgress's callback, if any

	stats     Stats
	kindStats map[string]*KindStats
	errCount  int
	first     []string // the first errors, for sync_error
}

// firstErrors is how many errors sync_error keeps.
const firstErrors = 3

func newRun(e *Engine, id int) *run {
	now := e.now()
	// Microseconds: what NetBox's DateTimeField stores.
	r := &run{e: e, id: id, start: now, stamp: now.UTC().Truncate(time.Microsecond), kindStats: map[string]*KindStats{}}
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
	if !r.markSyncing(ctx) {
		return
	}
	f, err := r.e.netbox.GetFabric(ctx, r.id)
	if err != nil {
		if netbox.IsNotFound(err) {
			r.fabricMissing = true
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
	var objects []netboxList
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		objects = r.listNetBox(ctx)
	}()
	r.listings = reader.ListAll(ctx, kinds.All)
	wg.Wait()
	r.noteConnection()

	for i, k := range kinds.All {
		r.syncKind(ctx, k, r.listings[i], objects[i])
	}
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

type netboxList struct {
	objects []netbox.Object
	err     error
}

// listNetBox reads this fabric's objects of every kind from NetBox, a few
// routes at a time. It runs while Kubernetes is being listed.
func (r *run) listNetBox(ctx context.Context) []netboxList {
	out := make([]netboxList, len(kinds.All))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, k := range kinds.All {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() {
				if p := recover(); p != nil {
					r.e.log.Error("panic while listing NetBox objects", zap.String("kind", k.Kind),
						zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
					out[i] = netboxList{err: fmt.Errorf("internal error: panic: %v", p)}
				}
				<-sem
				wg.Done()
			}()
			objs, err := r.e.netbox.ListFabricObjects(ctx, k.Route, r.id)
			out[i] = netboxList{objects: objs, err: err}
		}()
	}
	wg.Wait()
	return out
}

// syncKind writes one kind's changes, or records why it cannot.
func (r *run) syncKind(ctx context.Context, k kinds.Kind, l kube.Listing, nb netboxList) {
	ks := &KindStats{Listed: len(l.Items)}
	r.kindStats[k.Kind] = ks
	r.stats.TotalCRDs += len(l.Items)
	switch l.Status {
	case kube.StatusFailed:
		msg := r.red.clean(l.Err.Error())
		ks.Status, ks.Error, ks.Errors = KindFailed, msg, 1
		if l.Class == kube.ClassInternal && r.panicMsg == "" {
			r.panicMsg = msg
		}
		r.addError(k.Kind, "", "list", msg)
		return
	case kube.StatusNotInstalled:
		ks.Status = KindNotInstalled
	default:
		ks.Status = KindOK
	}
	if nb.err != nil {
		msg := r.red.clean(nb.err.Error())
		ks.Status, ks.Error, ks.Errors = KindFailed, msg, ks.Errors+1
		r.netboxFailed(ctx, nb.err, false)
		r.addError(k.Kind, "", "list_netbox", msg)
		return
	}
	plan := diff.Compute(diff.Input{
		Fabric:    r.id,
		Resources: l.Items,
		Objects:   nb.objects,
		// Prune only what is known to be gone: this kind was listed
		// completely (not failed, not 404) and the cluster stayed
		// reachable throughout the listing.
		Prune: r.e.prune() && l.Complete() && r.connClass == "",
		Now:   r.stamp,
	})
	ks.Unchanged = plan.Unchanged
	r.stats.Unchanged += plan.Unchanged
	r.prog.kindPlanned(len(l.Items), len(plan.Create)+len(plan.Update)+len(plan.Delete))
	r.write(ctx, k, ks, plan)
}

// write sends one kind's plan: creates, then updates, then deletes.
func (r *run) write(ctx context.Context, k kinds.Kind, ks *KindStats, plan diff.Plan) {
	if len(plan.Create) > 0 {
		recs := make([]netbox.Record, len(plan.Create))
		for i := range plan.Create {
			recs[i] = plan.Create[i].Record
		}
		res := r.bulk(ctx, len(recs), func() netbox.BulkResult { return r.e.netbox.Create(ctx, k.Route, recs) })
		ks.Created += res.Written
		r.stats.Created += res.Written
		r.failures(ctx, k, ks, "create", res, func(i int) diff.Key { return plan.Create[i].Key })
	}
	if len(plan.Update) > 0 {
		recs := make([]netbox.Record, len(plan.Update))
		for i := range plan.Update {
			recs[i] = plan.Update[i].Record
		}
		res := r.bulk(ctx, len(recs), func() netbox.BulkResult { return r.e.netbox.Update(ctx, k.Route, recs) })
		ks.Updated += res.Written
		r.stats.Updated += res.Written
		r.failures(ctx, k, ks, "update", res, func(i int) diff.Key { return plan.Update[i].Key })
	}
	if len(plan.Delete) > 0 {
		ids := make([]int, len(plan.Delete))
		for i, d := range plan.Delete {
			ids[i] = d.ID
		}
		res := r.bulk(ctx, len(ids), func() netbox.BulkResult { return r.e.netbox.Delete(ctx, k.Route, ids) })
		ks.Deleted += res.Written
		r.stats.Deleted += res.Written
		r.failures(ctx, k, ks, "delete", res, func(i int) diff.Key { return plan.Delete[i].Key })
	}
}

// bulk runs one bulk call unless NetBox already stopped answering or the
// sync's time is up, in which case every object fails with that reason.
func (r *run) bulk(ctx context.Context, n int, call func() netbox.BulkResult) netbox.BulkResult {
	reason := r.netboxDown
	if reason == nil && ctx.Err() != nil {
		reason = ctx.Err()
	}
	if reason == nil {
		res := call()
		r.prog.wrote(res.Written)
		if res.Unavailable != nil {
			r.netboxDown = res.Unavailable
		}
		return res
	}
	var res netbox.BulkResult
	err := fmt.Errorf("not sent: %w", reason)
	for i := 0; i < n; i++ {
		res.Failures = append(res.Failures, netbox.Failure{Index: i, Message: err.Error(), Err: err})
	}
	return res
}

func (r *run) failures(ctx context.Context, k kinds.Kind, ks *KindStats, op string, res netbox.BulkResult, key func(int) diff.Key) {
	for _, f := range res.Failures {
		ks.Errors++
		if !f.Refused {
			r.netboxFailed(ctx, f.Err, false)
		}
		r.addError(k.Kind, key(f.Index).String(), op, f.Message)
	}
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
