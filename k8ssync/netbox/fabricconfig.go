package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// FabricConfig is what the controller reads of every fabric: how to reach
// its cluster (secrets included, as in Fabric) and how it wants to be
// synced.
type FabricConfig struct {
	Fabric
	SyncEnabled bool `json:"sync_enabled"`
	// SyncInterval is seconds between scheduled syncs; 0 turns them off.
	SyncInterval int        `json:"sync_interval"`
	LastSync     *time.Time `json:"last_sync"`
}

// ListFabricConfigs reads every fabric with its cluster credentials, page
// by page. Errors never quote a body (it holds the tokens).
func (c *Client) ListFabricConfigs(ctx context.Context) ([]FabricConfig, error) {
	var out []FabricConfig
	path := APIPrefix + "fabrics/"
	for offset := 0; ; {
		body, err := c.do(ctx, "GET", path, c.pageQuery(offset, nil), nil)
		if err != nil {
			return nil, fmt.Errorf("list fabrics: %w", err)
		}
		var p struct {
			Count   int            `json:"count"`
			Results []FabricConfig `json:"results"`
		}
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&p); err != nil {
			return nil, fmt.Errorf("list fabrics: decode page at offset %d: %v", offset, jsonErrorKind(err))
		}
		out = append(out, p.Results...)
		offset += len(p.Results)
		if len(p.Results) == 0 || offset >= p.Count {
			return out, nil
		}
	}
}

// SyncOutOfSync is the plugin's sync_status for a fabric whose cluster
// changed since its last sync, or whose deletions max_prune held.
const SyncOutOfSync = "out_of_sync"
