package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// ChangeMark is what changes when any object of a route is created,
// edited or deleted in NetBox: how many objects the route holds, and the
// newest last_updated among them (with that object's id). NetBox's models
// set last_updated on every save (auto_now), whoever saves: the REST API,
// the UI, a script, the gateway. Two equal marks read at two times mean
// no object of the route was saved or deleted in between — except by
// what bypasses save() (raw SQL, QuerySet.update()), or by a clock that
// stepped back; the sync's periodic full compare repairs those
// (docs/sync.md, "Change marks").
//
// A full read of the route gives its mark too (ReadFabricObjects); later
// ones come from ReadChangeMark.
//
// The mark covers the whole route (every fabric's objects: the plugin's
// API has no filter), so a write in another fabric changes it too.
type ChangeMark struct {
	Count    int
	NewestID int
	Newest   time.Time
}

// Same reports whether two marks are equal: nothing changed in between.
// NewestID is left out: objects saved in the same microsecond may come
// in either order.
func (m ChangeMark) Same(o ChangeMark) bool {
	return m.Count == o.Count && m.Newest.Equal(o.Newest)
}

// markFields is all a mark needs of an object.
var markFields = []string{"id", "last_updated"}

type markItem struct {
	ID          int        `json:"id"`
	LastUpdated *time.Time `json:"last_updated"`
}

// ReadChangeMark reads route's mark with a one-object list, newest
// last_updated first. ok is false when this NetBox cannot give a
// trustworthy mark: last_updated is missing, or it ignores ?ordering=
// (NetBox before 3.2). That is found out once per client, on the first
// route of more than one object: a list the other way round (oldest
// first) must start with an older object; ignored, both start with the
// same one. Until some route proves it, no mark of more than one object
// is trusted. The sync then compares in full.
func (c *Client) ReadChangeMark(ctx context.Context, route string) (m ChangeMark, ok bool, err error) {
	newest, count, err := c.firstBy(ctx, route, "-last_updated")
	if err != nil || count == 0 {
		return ChangeMark{}, err == nil, err
	}
	if newest.LastUpdated == nil {
		return ChangeMark{}, false, nil
	}
	m = ChangeMark{Count: count, NewestID: newest.ID, Newest: newest.LastUpdated.UTC()}
	if count == 1 || c.orderingHonoured.Load() {
		return m, true, nil
	}
	oldest, _, err := c.firstBy(ctx, route, "last_updated")
	if err != nil {
		return ChangeMark{}, false, err
	}
	if oldest.LastUpdated == nil || !oldest.LastUpdated.Before(m.Newest) {
		return ChangeMark{}, false, nil
	}
	c.orderingHonoured.Store(true)
	return m, true, nil
}

// firstBy reads the first object of route in the given order, and the
// route's count.
func (c *Client) firstBy(ctx context.Context, route, ordering string) (markItem, int, error) {
	q := url.Values{}
	q.Set("limit", "1")
	q.Set("ordering", ordering)
	if !c.fieldsIgnored.Load() {
		q.Set("fields", "id,last_updated")
	}
	body, err := c.do(ctx, "GET", RoutePath(route), q, nil)
	if err != nil {
		return markItem{}, 0, fmt.Errorf("read change mark of %s: %w", route, err)
	}
	var first markItem
	count, _, err := decodePage(body, func(dec *json.Decoder, isFirst bool) error {
		return c.decodeItem(dec, isFirst, markFields, &first)
	})
	if err != nil {
		return markItem{}, 0, fmt.Errorf("read change mark of %s: decode: %v", route, jsonErrorKind(err))
	}
	return first, count, nil
}
