package k8ssync

import (
	"cmp"
	"context"
	"errors"
	"runtime/debug"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync/diff"
	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// PlanResult is what the next sync of a fabric would do, computed by the
// same reads and diff as a sync with every write left out. It marshals to
// the plan endpoint's JSON (docs/sync.md) and never holds a secret.
type PlanResult struct {
	Fabric     int    `json:"fabric"`
	FabricName string `json:"fabric_name,omitempty"`
	// Namespace is the Kubernetes namespace the fabric is read from.
	Namespace string `json:"namespace,omitempty"`
	// Prune and MaxPrune are the gateway's settings the plan applied.
	Prune    bool `json:"prune"`
	MaxPrune int  `json:"max_prune"`
	// Kinds has one entry per synced kind, in the plugin's order (empty
	// when the fabric or its cluster could not be read at all).
	Kinds []KindPlan `json:"kinds"`
	// Unreadable lists what could not be read: a kind's Kubernetes or
	// NetBox list, or the whole fabric (kind "").
	Unreadable []Unreadable `json:"unreadable"`
	// Switches is the readiness of the fabric's switches; null when
	// unknown (no Agent CRD, Agents forbidden, the cluster unreachable).
	Switches *Readiness `json:"switches"`
	// Code is set when no plan could be made (fabric_not_found,
	// netbox_unavailable, netbox_forbidden, fabric_not_configured,
	// kubernetes_*, timeout, cancelled, internal_error): the sync would
	// fail the same way.
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// KindPlan is one kind's part of the plan.
type KindPlan struct {
	Kind string `json:"kind"`
	// Status is KindOK, KindNotInstalled or KindFailed.
	Status    string          `json:"status"`
	Listed    int             `json:"listed"`
	Unchanged int             `json:"unchanged"`
	Create    []PlannedObject `json:"create"`
	Update    []PlannedObject `json:"update"`
	// Delete lists what pruning would delete; when Held is set, the sync
	// deletes none of them.
	Delete []PlannedObject `json:"delete"`
	Held   *PruneHeld      `json:"held"`
	// Error is why the kind cannot be synced ("" when it can).
	Error string `json:"error,omitempty"`
}

// PlannedObject is one object the sync would write. Fields (updates only)
// are the NetBox fields that would change (diff.ChangedFields).
type PlannedObject struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Fields    []string `json:"fields,omitempty"`
}

// Unreadable is one thing the plan could not read. Side is "kubernetes",
// "netbox", or "gateway" (an internal error).
type Unreadable struct {
	Kind  string `json:"kind"`
	Side  string `json:"side"`
	Error string `json:"error"`
}

// Plan computes what Sync would do for fabricID now, without writing
// anything to NetBox: no object write, no journal, and no status write at
// all (not even "syncing"). It reads exactly what a sync reads, with the
// same service token and the fabric's own Kubernetes credentials, and
// applies the same prune rules and max_prune hold.
func (e *Engine) Plan(ctx context.Context, fabricID int) (res PlanResult) {
	r := newRun(e, fabricID)
	r.dryRun = true
	defer func() {
		if p := recover(); p != nil {
			r.panicked(p, debug.Stack())
		}
		res = r.planResult()
	}()
	planCtx, cancel := context.WithTimeout(ctx, e.o.Timeout)
	defer cancel()
	r.execute(planCtx)
	r.noteContext(planCtx, ctx)
	return PlanResult{} // replaced by the deferred planResult
}

// planKind records one kind's plan instead of writing it.
func (r *run) planKind(k kinds.Kind, ks *KindStats, l kube.Listing, objects []netbox.Object, p diff.Plan) {
	kp := r.kindPlan(k, ks)
	kp.Unchanged = p.Unchanged
	byKey := make(map[diff.Key]*netbox.Object, len(objects))
	for i := range objects {
		o := &objects[i]
		key := diff.Key{Namespace: o.Namespace, Name: o.Name}
		if prev, dup := byKey[key]; !dup || o.ID < prev.ID {
			byKey[key] = o // the one diff compares
		}
	}
	for _, w := range p.Create {
		kp.Create = append(kp.Create, PlannedObject{Name: w.Key.Name, Namespace: w.Key.Namespace})
	}
	resources := make(map[diff.Key]*kube.Resource, len(l.Items))
	for i := range l.Items {
		resources[diff.Key{Namespace: l.Items[i].Namespace, Name: l.Items[i].Name}] = &l.Items[i]
	}
	for _, w := range p.Update {
		var fields []string
		if res, o := resources[w.Key], byKey[w.Key]; res != nil && o != nil {
			fields = diff.ChangedFields(res, o)
		}
		kp.Update = append(kp.Update, PlannedObject{Name: w.Key.Name, Namespace: w.Key.Namespace, Fields: fields})
	}
	for _, d := range p.Delete {
		kp.Delete = append(kp.Delete, PlannedObject{Name: d.Key.Name, Namespace: d.Key.Namespace})
	}
	if r.checkPrune(k, ks, len(p.Delete), len(objects)) {
		kp.Held = ks.PruneHeld
	}
}

// kindPlan returns the kind's entry (created on first use), brought up to
// date with the kind's stats.
func (r *run) kindPlan(k kinds.Kind, ks *KindStats) *KindPlan {
	if r.plans == nil {
		r.plans = map[string]*KindPlan{}
	}
	kp, ok := r.plans[k.Kind]
	if !ok {
		kp = &KindPlan{Kind: k.Kind, Create: []PlannedObject{}, Update: []PlannedObject{}, Delete: []PlannedObject{}}
		r.plans[k.Kind] = kp
	}
	kp.Status, kp.Listed, kp.Error = ks.Status, ks.Listed, ks.Error
	return kp
}

// planResult assembles the plan after the reads.
func (r *run) planResult() PlanResult {
	res := PlanResult{Fabric: r.id, FabricName: r.fabric.Name, Prune: r.e.prune(), MaxPrune: r.e.maxPrune(),
		Kinds: []KindPlan{}, Unreadable: []Unreadable{}, Switches: r.switches}
	if r.fabricRead {
		res.Namespace = cmp.Or(r.fabric.KubernetesNamespace, "default")
	}
	for _, k := range kinds.All {
		ks, attempted := r.kindStats[k.Kind]
		if !attempted {
			continue
		}
		kp := r.kindPlan(k, ks)
		res.Kinds = append(res.Kinds, *kp)
	}
	for _, d := range r.stats.ErrorDetails {
		side := "kubernetes"
		switch d.Operation {
		case "list_netbox", "read_fabric", "write_status":
			side = "netbox"
		case "sync":
			side = "gateway"
		}
		res.Unreadable = append(res.Unreadable, Unreadable{Kind: d.Kind, Side: side, Error: d.Error})
	}
	switch code := r.code(); code {
	case "", CodePartialFailure, CodePruneHeld:
		// A plan was made; what could not be read is in Unreadable.
	default:
		res.Code, res.Error = code, r.red.clean(r.humanError(code))
	}
	r.e.log.Debug("fabric sync planned", zap.Int("fabric", r.id), zap.Int("kinds", len(res.Kinds)),
		zap.Int("unreadable", len(res.Unreadable)), zap.String("code", res.Code))
	return res
}

// errDryRun is what a write attempted during a plan would fail with; the
// plan never reaches a write, this is the second line of defence.
var errDryRun = errors.New("dry run")
