package kube

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/pager"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// AgentStatus is what the sync reads of one Hedgehog Agent (one per
// switch, named as the switch).
type AgentStatus struct {
	Name string
	// Generation is metadata.generation: bumped by the API server on every
	// spec change.
	Generation int64
	// LastAppliedGen is status.lastAppliedGen: the generation the switch
	// applied last (0 when it never applied one).
	LastAppliedGen int64
	// LastHeartbeat is status.lastHeartbeat; zero when absent or not a
	// time.
	LastHeartbeat time.Time
}

// AgentListing is the outcome of listing the Agents of the namespace.
type AgentListing struct {
	// Status is StatusOK (Agents is complete), StatusNotInstalled (no
	// Agent CRD) or StatusFailed (Err, Class say why).
	Status Status
	Agents []AgentStatus
	Err    error
	Class  Class
}

// ListAgents lists the namespace's Agents page by page, as List does for
// the synced kinds.
func (r *Reader) ListAgents(ctx context.Context) (l AgentListing) {
	defer func() {
		if p := recover(); p != nil {
			l = AgentListing{Status: StatusFailed, Class: ClassInternal,
				Err: fmt.Errorf("%s: internal error: panic: %v", r.what(kinds.Agent), p)}
		}
	}()
	resource := r.client.Resource(kinds.Agent.GVR()).Namespace(r.namespace)
	p := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return resource.List(ctx, opts)
	})
	p.PageSize = r.pageSize
	obj, _, err := p.List(ctx, metav1.ListOptions{})
	if err == nil {
		err = meta.EachListItem(obj, func(o runtime.Object) error {
			u, ok := o.(*unstructured.Unstructured)
			if !ok {
				return fmt.Errorf("list item is %T, not unstructured", o)
			}
			l.Agents = append(l.Agents, agentStatus(u))
			return nil
		})
	}
	if err != nil {
		class := Classify(err)
		if ctx.Err() != nil {
			class = ClassCanceled
		}
		if class == ClassNotFound {
			return AgentListing{Status: StatusNotInstalled, Class: ClassNotFound}
		}
		return AgentListing{Status: StatusFailed, Class: class, Err: fmt.Errorf("%s: %w", r.what(kinds.Agent), err)}
	}
	l.Status = StatusOK
	return l
}

// agentStatus reads the fields readiness needs. Numbers may arrive as
// int64 or float64 (unstructured JSON); anything else counts as absent.
func agentStatus(u *unstructured.Unstructured) AgentStatus {
	a := AgentStatus{Name: u.GetName(), Generation: u.GetGeneration()}
	if v, found, _ := unstructured.NestedFieldNoCopy(u.Object, "status", "lastAppliedGen"); found {
		switch n := v.(type) {
		case int64:
			a.LastAppliedGen = n
		case float64:
			a.LastAppliedGen = int64(n)
		}
	}
	if s, found, _ := unstructured.NestedString(u.Object, "status", "lastHeartbeat"); found {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			a.LastHeartbeat = t
		}
	}
	return a
}
