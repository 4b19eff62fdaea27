package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// Object is a CRD object as the plugin's API returns it, reduced to the
// fields the sync compares. JSON fields (spec, labels, annotations) are
// decoded with json.Number so that numbers compare exactly.
type Object struct {
	ID                        int       `json:"id"`
	Fabric                    FabricRef `json:"fabric"`
	Namespace                 string    `json:"namespace"`
	Name                      string    `json:"name"`
	Spec                      any       `json:"spec"`
	Labels                    any       `json:"labels"`
	Annotations               any       `json:"annotations"`
	KubernetesUID             string    `json:"kubernetes_uid"`
	KubernetesResourceVersion string    `json:"kubernetes_resource_version"`
	KubernetesStatus          string    `json:"kubernetes_status"`
}

// FabricRef is the fabric an object belongs to. The plugin serializes it
// as a primary key; a nested {"id": N, ...} (NetBox's usual brief form) is
// accepted too.
type FabricRef int

// UnmarshalJSON accepts 35, "35", {"id": 35, ...} and null.
func (r *FabricRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*r = 0
		return nil
	case len(b) > 0 && b[0] == '{':
		var nested struct {
			ID int `json:"id"`
		}
		if err := json.Unmarshal(b, &nested); err != nil {
			return err
		}
		*r = FabricRef(nested.ID)
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("fabric %q is not an id", s)
		}
		*r = FabricRef(n)
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*r = FabricRef(n)
	return nil
}

type page struct {
	Count   int      `json:"count"`
	Results []Object `json:"results"`
}

// RoutePath is the API path of a plugin route, e.g. "/api/plugins/hedgehog/vpcs/".
func RoutePath(route string) string { return APIPrefix + route + "/" }

// ListFabricObjects lists every object of route and keeps those of fabric.
// The plugin's API has no filters (a ?fabric_id= would be ignored), so the
// whole table is read page by page (limit/offset, ordered by id so that
// pages do not shift) and filtered here.
func (c *Client) ListFabricObjects(ctx context.Context, route string, fabric int) ([]Object, error) {
	var out []Object
	seen := make(map[int]bool)
	path := RoutePath(route)
	for offset := 0; ; {
		body, err := c.do(ctx, "GET", path, c.pageQuery(offset), nil)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", route, err)
		}
		var p page
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("list %s: decode page at offset %d: %v", route, offset, jsonErrorKind(err))
		}
		for _, o := range p.Results {
			// A row that moved between pages may show up twice.
			if int(o.Fabric) == fabric && !seen[o.ID] {
				seen[o.ID] = true
				out = append(out, o)
			}
		}
		offset += len(p.Results)
		if len(p.Results) == 0 || offset >= p.Count {
			return out, nil
		}
	}
}

// pageQuery asks for one page of a list, ordered by id so that pages do not
// shift while they are read.
func (c *Client) pageQuery(offset int) url.Values {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(c.pageSize))
	q.Set("offset", strconv.Itoa(offset))
	q.Set("ordering", "id")
	return q
}
