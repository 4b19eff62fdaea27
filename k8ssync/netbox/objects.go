package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
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
	// LastUpdated is not compared: it gives the route's ChangeMark.
	LastUpdated *time.Time `json:"last_updated"`
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

// CompareFields are the fields of an object the sync reads: its key, its
// id and what it compares. They are what the sync asks NetBox for with
// ?fields= (NetBox >= 4.0), so that NetBox does not serialize url,
// display, tags, custom fields and timestamps of every object.
var CompareFields = []string{"id", "fabric", "namespace", "name", "spec", "labels", "annotations",
	"kubernetes_uid", "kubernetes_resource_version", "kubernetes_status", "last_updated"}

// KeyFields identify an object: what re-reading after a lost create needs.
var KeyFields = []string{"id", "fabric", "namespace", "name"}

// RoutePath is the API path of a plugin route, e.g. "/api/plugins/hedgehog/vpcs/".
func RoutePath(route string) string { return APIPrefix + route + "/" }

// ListFabricObjects lists every object of route that belongs to fabric,
// with the fields in fields (all of Object's when nil).
func (c *Client) ListFabricObjects(ctx context.Context, route string, fabric int, fields []string) ([]Object, error) {
	var out []Object
	err := c.EachFabricObject(ctx, route, fabric, fields, func(o *Object) { out = append(out, *o) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachFabricObject reads every object of route and passes those of fabric
// to fn, one page at a time: at most a page (PageSize objects) is held.
// The plugin's API has no filters (a ?fabric_id= would be ignored), so the
// whole table is read (limit/offset, ordered by id so that pages do not
// shift) and filtered here. An object that moves between pages may be
// passed twice. fields (nil: every field) is sent as ?fields= unless this
// NetBox was found to ignore it (see FieldsIgnored).
func (c *Client) EachFabricObject(ctx context.Context, route string, fabric int, fields []string, fn func(*Object)) error {
	_, _, err := c.ReadFabricObjects(ctx, route, fabric, fields, fn)
	return err
}

// ReadFabricObjects is EachFabricObject that also returns the route's
// ChangeMark as of this read: the count NetBox gave and the newest
// last_updated of every object read (every fabric's). ok is false when
// the read cannot vouch for it: fields leave out last_updated, an object
// has none, the count changed between pages, or the objects read are not
// the count (a create or delete while reading).
func (c *Client) ReadFabricObjects(ctx context.Context, route string, fabric int, fields []string, fn func(*Object)) (m ChangeMark, ok bool, err error) {
	seen := make(map[int]struct{})
	ok = fields == nil || slices.Contains(fields, "last_updated")
	read, count := 0, -1
	err = c.eachPage(ctx, RoutePath(route), "list "+route, fields, func(dec *json.Decoder, first bool) error {
		var o Object
		if err := c.decodeItem(dec, first, fields, &o); err != nil {
			return err
		}
		read++
		if o.LastUpdated == nil {
			ok = false
		} else if at := o.LastUpdated.UTC(); at.After(m.Newest) {
			m.Newest, m.NewestID = at, o.ID
		}
		if int(o.Fabric) != fabric {
			return nil
		}
		if _, dup := seen[o.ID]; !dup {
			seen[o.ID] = struct{}{}
			fn(&o)
		}
		return nil
	}, func(pageCount int) {
		if count >= 0 && pageCount != count {
			ok = false
		}
		count = pageCount
	})
	if err != nil {
		return ChangeMark{}, false, err
	}
	m.Count = max(count, 0)
	if !ok || read != m.Count {
		return ChangeMark{}, false, nil
	}
	return m, true, nil
}

// FieldsIgnored reports whether this NetBox answered a ?fields= list with
// fields not asked for (NetBox before 4.0 ignores the parameter): from then
// on the client asks for full objects, which decode just the same.
func (c *Client) FieldsIgnored() bool { return c.fieldsIgnored.Load() }

// eachPage reads a list page by page and calls item for each element of
// each page's results, with a decoder positioned on it (first: it is the
// first element of its page), then counted (if not nil) with the page's
// count.
func (c *Client) eachPage(ctx context.Context, path, what string, fields []string, item func(dec *json.Decoder, first bool) error, counted func(count int)) error {
	for offset := 0; ; {
		body, err := c.do(ctx, "GET", path, c.pageQuery(offset, fields), nil)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		count, n, err := decodePage(body, item)
		if err != nil {
			return fmt.Errorf("%s: decode page at offset %d: %v", what, offset, jsonErrorKind(err))
		}
		if counted != nil {
			counted(count)
		}
		offset += n
		if n == 0 || offset >= count {
			return nil
		}
	}
}

// decodePage walks {"count": N, "results": [...], ...} without holding the
// decoded page: each result is decoded by item where it stands.
func decodePage(body []byte, item func(dec *json.Decoder, first bool) error) (count, n int, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return 0, 0, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return 0, 0, err
		}
		switch tok {
		case "count":
			if err := dec.Decode(&count); err != nil {
				return 0, 0, err
			}
		case "results":
			tok, err := dec.Token()
			switch {
			case err != nil:
				return 0, 0, err
			case tok == nil: // null: no results
				continue
			case tok != json.Delim('['):
				return 0, 0, notDelim(tok, '[')
			}
			for ; dec.More(); n++ {
				if err := item(dec, n == 0); err != nil {
					return 0, 0, err
				}
			}
			if _, err := dec.Token(); err != nil { // ]
				return 0, 0, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return 0, 0, err
			}
		}
	}
	return count, n, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return notDelim(tok, want)
	}
	return nil
}

// notDelim names the token's type, never its text: a body may quote anything.
func notDelim(tok json.Token, want json.Delim) error {
	what := fmt.Sprintf("%T", tok)
	if d, ok := tok.(json.Delim); ok {
		what = string(d)
	}
	return &json.UnmarshalTypeError{Value: what, Type: reflect.TypeFor[json.Delim](), Field: string(want)}
}

// decodeItem decodes one result into v. On the first result of a page
// that was asked for a fields list, it checks whether NetBox honoured it.
func (c *Client) decodeItem(dec *json.Decoder, first bool, fields []string, v any) error {
	if !first || fields == nil || c.fieldsIgnored.Load() {
		return dec.Decode(v)
	}
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(raw, &got); err == nil {
		for name := range got {
			if !slices.Contains(fields, name) {
				c.fieldsIgnored.Store(true)
				c.log.Info("NetBox ignores ?fields= (before 4.0): listing full objects", zap.String("unasked_field", name))
				break
			}
		}
	}
	inner := json.NewDecoder(bytes.NewReader(raw))
	inner.UseNumber()
	return inner.Decode(v)
}

// pageQuery asks for one page of a list, ordered by id so that pages do not
// shift while they are read, with only fields (when NetBox honours it).
func (c *Client) pageQuery(offset int, fields []string) url.Values {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(c.pageSize))
	q.Set("offset", strconv.Itoa(offset))
	q.Set("ordering", "id")
	if fields != nil && !c.fieldsIgnored.Load() {
		q.Set("fields", strings.Join(fields, ","))
	}
	return q
}
