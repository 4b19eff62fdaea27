package testenv

import (
	"net/http"
	"testing"
)

// JournalEntry is a NetBox journal entry as the stand-in stores it.
type JournalEntry struct {
	ID                 int    `json:"id"`
	AssignedObjectType string `json:"assigned_object_type"`
	AssignedObjectID   int    `json:"assigned_object_id"`
	Kind               string `json:"kind"`
	Comments           string `json:"comments"`
	// CreatedBy is the author's username ("" if none).
	CreatedBy string `json:"created_by"`
}

// JournalEntries returns every journal entry, oldest first.
func (n *NetBox) JournalEntries(t testing.TB) []JournalEntry {
	t.Helper()
	var out []JournalEntry
	if err := n.Control(http.MethodGet, "journal-entries/", nil, &out); err != nil {
		t.Fatalf("JournalEntries: %v", err)
	}
	return out
}
