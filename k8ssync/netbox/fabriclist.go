package netbox

import (
	"context"
	"encoding/json"
	"fmt"
)

// FabricState is the part of a fabric the gateway's recovery reads: no
// secrets at all.
type FabricState struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	SyncStatus  string `json:"sync_status"`
	SyncEnabled bool   `json:"sync_enabled"`
}

// fabricStateFields are FabricState's fields.
var fabricStateFields = []string{"id", "name", "sync_status", "sync_enabled"}

// ListFabrics reads every fabric's state, page by page.
func (c *Client) ListFabrics(ctx context.Context) ([]FabricState, error) {
	var out []FabricState
	err := c.eachPage(ctx, APIPrefix+"fabrics/", "list fabrics", fabricStateFields, func(dec *json.Decoder, first bool) error {
		var f FabricState
		if err := c.decodeItem(dec, first, fabricStateFields, &f); err != nil {
			return err
		}
		out = append(out, f)
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetFabricState reads one fabric's state.
func (c *Client) GetFabricState(ctx context.Context, id int) (FabricState, error) {
	body, err := c.do(ctx, "GET", fabricPath(id), nil, nil)
	if err != nil {
		return FabricState{}, err
	}
	var f FabricState
	if err := json.Unmarshal(body, &f); err != nil {
		return FabricState{}, fmt.Errorf("GET %s: decode fabric: %v", fabricPath(id), jsonErrorKind(err))
	}
	return f, nil
}

// PatchFabricRaw writes an already encoded FabricStatus (a final status
// kept for a later retry).
func (c *Client) PatchFabricRaw(ctx context.Context, id int, body json.RawMessage) error {
	_, err := c.do(ctx, "PATCH", fabricPath(id), nil, body)
	return err
}
