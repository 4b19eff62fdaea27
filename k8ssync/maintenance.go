package k8ssync

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// What the gateway's sync runtime needs besides Sync: reading fabric
// states for recovery, writing a kept final status, and journal entries.
// All use the service token.

// Fabrics lists every fabric's state (no secrets).
func (e *Engine) Fabrics(ctx context.Context) ([]netbox.FabricState, error) {
	return e.netbox.ListFabrics(ctx)
}

// FabricState reads one fabric's state (no secrets).
func (e *Engine) FabricState(ctx context.Context, id int) (netbox.FabricState, error) {
	return e.netbox.GetFabricState(ctx, id)
}

// WriteStatus writes a final status kept from Result.PendingStatus, or any
// other FabricStatus encoded as JSON.
func (e *Engine) WriteStatus(ctx context.Context, id int, status json.RawMessage) error {
	if err := e.netbox.PatchFabricRaw(ctx, id, status); err != nil {
		return fmt.Errorf("fabric %d: write status: %w", id, err)
	}
	return nil
}

// MarkInterrupted ends a "syncing" that no sync holds any more.
func (e *Engine) MarkInterrupted(ctx context.Context, id int, reason string) error {
	b, _ := json.Marshal(netbox.FabricStatus{SyncStatus: ptr(netbox.SyncError), SyncError: ptr(clip(reason))})
	return e.WriteStatus(ctx, id, b)
}

// Journal writes a journal entry on the fabric.
func (e *Engine) Journal(ctx context.Context, entry netbox.JournalEntry) error {
	return e.netbox.CreateJournalEntry(ctx, entry)
}
