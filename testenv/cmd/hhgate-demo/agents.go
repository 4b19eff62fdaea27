package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/testenv/kube"
)

// The demo's switch agents: one Hedgehog Agent per fixture switch, so that
// the fabric page's readiness line has something to count. Real agents
// write status.lastHeartbeat every 15 s; the demo beats for all but
// silentSwitch, whose one heartbeat is older than k8ssync.StaleHeartbeat
// from the start.

// demoSwitches are the fixture's switches (testenv/kube/fixtures/20-switches.yaml).
var demoSwitches = []string{"spine-01", "spine-02", "leaf-01", "leaf-02", "leaf-03", "leaf-04", "leaf-05"}

// silentSwitch's agent stops beating: "1 stale heartbeat".
const silentSwitch = "leaf-05"

// heartbeatEvery is how often the demo's agents beat, as Hedgehog's do.
const heartbeatEvery = 15 * time.Second

// startAgents creates the Agents (each has applied its configuration) and
// beats for them until ctx ends.
func startAgents(ctx context.Context, c *kube.Cluster) error {
	ri := c.Resource(kinds.Agent, demoNamespace)
	for _, name := range demoSwitches {
		agent := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": kinds.Agent.Group + "/" + kinds.Agent.Version, "kind": kinds.Agent.Kind,
			"metadata": map[string]any{"name": name, "namespace": demoNamespace},
			"spec":     map[string]any{"description": "switch " + name},
		}}
		if _, err := ri.Create(ctx, agent, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("agent %s: %w", name, err)
		}
	}
	if err := beat(ctx, c, demoSwitches, time.Now()); err != nil {
		return err
	}
	// The silent switch beat once, a minute and a half ago.
	if err := beat(ctx, c, []string{silentSwitch}, time.Now().Add(-90*time.Second)); err != nil {
		return err
	}
	beating := slices.DeleteFunc(slices.Clone(demoSwitches), func(n string) bool { return n == silentSwitch })
	go func() {
		tick := time.NewTicker(heartbeatEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = beat(ctx, c, beating, time.Now())
			}
		}
	}()
	return nil
}

// beat writes each agent's status (through the status subresource): its
// current generation applied, heartbeat at.
func beat(ctx context.Context, c *kube.Cluster, names []string, at time.Time) error {
	ri := c.Resource(kinds.Agent, demoNamespace)
	for _, name := range names {
		a, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("agent %s: %w", name, err)
		}
		a.Object["status"] = map[string]any{"conditions": []any{}, "lastAppliedGen": a.GetGeneration(),
			"lastHeartbeat": at.UTC().Format(time.RFC3339)}
		if _, err := ri.UpdateStatus(ctx, a, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("agent %s status: %w", name, err)
		}
	}
	return nil
}
