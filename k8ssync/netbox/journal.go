package netbox

import (
	"context"
	"encoding/json"
	"fmt"
)

// FabricContentType is the fabric model's content type, the
// assigned_object_type of its journal entries.
const FabricContentType = "netbox_hedgehog.hedgehogfabric"

// Journal entry kinds (NetBox's JournalEntryKindChoices).
const (
	JournalInfo    = "info"
	JournalSuccess = "success"
	JournalWarning = "warning"
	JournalDanger  = "danger"
)

// JournalEntry is a NetBox journal entry on a fabric.
type JournalEntry struct {
	FabricID int
	Kind     string
	Comments string
}

// CreateJournalEntry writes e with POST /api/extras/journal-entries/.
func (c *Client) CreateJournalEntry(ctx context.Context, e JournalEntry) error {
	body, err := json.Marshal(map[string]any{
		"assigned_object_type": FabricContentType,
		"assigned_object_id":   e.FabricID,
		"kind":                 e.Kind,
		"comments":             e.Comments,
	})
	if err != nil {
		return fmt.Errorf("journal entry: encode: %w", err)
	}
	_, err = c.do(ctx, "POST", "/api/extras/journal-entries/", nil, body)
	return err
}
