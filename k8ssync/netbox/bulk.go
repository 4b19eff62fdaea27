package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Record is what the sync writes for one custom resource. On create every
// field is sent; on update ID identifies the object and Fabric, Namespace
// and Name are left zero (and so not sent).
type Record struct {
	ID                        int               `json:"id,omitempty"`
	Fabric                    int               `json:"fabric,omitempty"`
	Namespace                 string            `json:"namespace,omitempty"`
	Name                      string            `json:"name,omitempty"`
	Spec                      any               `json:"spec"`
	Labels                    map[string]string `json:"labels"`
	Annotations               map[string]string `json:"annotations"`
	KubernetesUID             string            `json:"kubernetes_uid"`
	KubernetesResourceVersion string            `json:"kubernetes_resource_version"`
	KubernetesStatus          string            `json:"kubernetes_status"`
	LastSynced                time.Time         `json:"last_synced"`
	SyncError                 string            `json:"sync_error"`
	AutoSync                  bool              `json:"auto_sync"`
}

// Failure is one object a bulk call could not write.
type Failure struct {
	// Index is the object's position in the slice given to the call.
	Index int
	// Refused means NetBox answered and rejected this object's data (a 4xx
	// such as 400 "spec: This field cannot be blank."): retrying will not
	// help until the data or the plugin changes.
	Refused bool
	// Message is NetBox's reason when Refused, else Err's text.
	Message string
	// Err is the request error when not Refused (NetBox unavailable after
	// the retries, permission denied, context ended).
	Err error
}

// BulkResult is the outcome of one bulk call.
type BulkResult struct {
	// Written counts the objects NetBox accepted.
	Written int
	// Failures lists the others, ordered by Index.
	Failures []Failure
	// Requests counts the HTTP requests answered or attempted (not retries).
	Requests int
	// Unavailable is the first error that meant NetBox could not be reached
	// at all; the batches after it were not sent.
	Unavailable error
}

// Create bulk-creates records on route (POST of a JSON list).
func (c *Client) Create(ctx context.Context, route string, records []Record) BulkResult {
	return c.bulk(ctx, "POST", route, marshalAll(records))
}

// Update bulk-updates records on route (PATCH of a JSON list; each record
// carries its ID).
func (c *Client) Update(ctx context.Context, route string, records []Record) BulkResult {
	return c.bulk(ctx, "PATCH", route, marshalAll(records))
}

// Delete bulk-deletes objects by ID on route (DELETE of [{"id": N}, ...]).
func (c *Client) Delete(ctx context.Context, route string, ids []int) BulkResult {
	items := make([]item, len(ids))
	for i, id := range ids {
		items[i] = item{index: i, data: []byte(fmt.Sprintf(`{"id":%d}`, id))}
	}
	return c.bulk(ctx, "DELETE", route, items)
}

// item is one object of a bulk call, encoded once so that resending it in
// a smaller batch costs nothing.
type item struct {
	index int
	data  []byte
	err   error
	// key identifies a created object when an answer is lost (Reconcile).
	key objectKey
}

// objectKey is the plugin's unique key of a CRD object.
type objectKey struct {
	fabric          int
	namespace, name string
}

func marshalAll(records []Record) []item {
	items := make([]item, len(records))
	for i := range records {
		data, err := json.Marshal(&records[i])
		items[i] = item{index: i, data: data, err: err,
			key: objectKey{records[i].Fabric, records[i].Namespace, records[i].Name}}
	}
	return items
}

func (c *Client) bulk(ctx context.Context, method, route string, items []item) BulkResult {
	var res BulkResult
	var ok []item
	for _, it := range items {
		if it.err != nil {
			res.Failures = append(res.Failures, Failure{Index: it.index, Refused: true, Message: "cannot encode: " + it.err.Error(), Err: it.err})
			continue
		}
		ok = append(ok, it)
	}
	for start := 0; start < len(ok); {
		end := batchEnd(ok, start, c.batchSize)
		batch := ok[start:end]
		start = end
		if res.Unavailable != nil || ctx.Err() != nil {
			err := res.Unavailable
			if err == nil {
				err = fmt.Errorf("%s %s: %w", method, RoutePath(route), ctx.Err())
			}
			c.failAll(&res, batch, fmt.Errorf("not sent: %w", err))
			continue
		}
		c.send(ctx, method, route, batch, &res)
	}
	sort.Slice(res.Failures, func(i, j int) bool { return res.Failures[i].Index < res.Failures[j].Index })
	return res
}

// batchEnd is where the batch that begins at items[start] ends: after
// size objects, or before the object that would take its body past
// maxBatchBytes (a batch holds at least one object).
func batchEnd(items []item, start, size int) int {
	bytes := 0
	for i := start; i < len(items) && i-start < size; i++ {
		bytes += len(items[i].data) + 1 // and a comma
		if bytes > maxBatchBytes && i > start {
			return i
		}
	}
	return min(start+size, len(items))
}

// send writes one batch. NetBox validates a bulk request as a whole and
// refuses it entirely if one object is invalid:
//   - bulk create answers 400 with one error dict per object ({} for the
//     good ones): the refused objects are reported and the good ones resent;
//   - bulk update stops at the first invalid object and answers one dict
//     without saying which: the batch is bisected until the refused objects
//     are alone.
func (c *Client) send(ctx context.Context, method, route string, batch []item, res *BulkResult) {
	c.sendAttempt(ctx, method, route, batch, res, 1)
}

func (c *Client) sendAttempt(ctx context.Context, method, route string, batch []item, res *BulkResult, attempt int) {
	res.Requests++
	_, err := c.do(ctx, method, RoutePath(route), nil, joinItems(batch))
	if err == nil {
		res.Written += len(batch)
		return
	}
	var uncertain *UncertainError
	if errors.As(err, &uncertain) {
		c.reconcile(ctx, route, batch, res, attempt, uncertain.Err)
		return
	}
	var h *HTTPError
	if !errors.As(err, &h) || !refusal(h.Status) {
		if h == nil && ctx.Err() == nil && res.Unavailable == nil {
			// No answer at all, even after the retries: the batches after
			// this one are not sent (each would wait out its own retries).
			res.Unavailable = err
		}
		c.failAll(res, batch, err)
		return
	}
	if perItem, ok := perItemErrors(h.Body, len(batch)); ok {
		var good []item
		for i, msg := range perItem {
			if msg == "" {
				good = append(good, batch[i])
				continue
			}
			res.Failures = append(res.Failures, Failure{Index: batch[i].index, Refused: true, Message: msg})
		}
		if len(good) > 0 {
			c.sendAttempt(ctx, method, route, good, res, attempt)
		}
		return
	}
	if len(batch) == 1 {
		msg := Message(h.Body)
		if msg == "" {
			msg = fmt.Sprintf("%d %s", h.Status, http.StatusText(h.Status))
		}
		res.Failures = append(res.Failures, Failure{Index: batch[0].index, Refused: true, Message: msg})
		return
	}
	half := len(batch) / 2
	c.send(ctx, method, route, batch[:half], res)
	c.send(ctx, method, route, batch[half:], res)
}

// refusal reports whether a status means "NetBox rejected these objects"
// (worth splitting the batch), as opposed to "NetBox rejected the caller"
// (401/403) or "NetBox could not answer" (408/429/5xx).
func refusal(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusMethodNotAllowed,
		http.StatusRequestTimeout, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

func (c *Client) failAll(res *BulkResult, batch []item, err error) {
	for _, it := range batch {
		res.Failures = append(res.Failures, Failure{Index: it.index, Message: err.Error(), Err: err})
	}
}

func joinItems(batch []item) []byte {
	n := 2
	for _, it := range batch {
		n += len(it.data) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, n))
	buf.WriteByte('[')
	for i, it := range batch {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(it.data)
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

// perItemErrors parses NetBox's per-object error list: a JSON list as long
// as the batch, {} for objects that were fine. It returns one message per
// object ("" when fine), and false when the body is not such a list or
// blames no object (then the caller bisects).
func perItemErrors(body []byte, n int) ([]string, bool) {
	var list []json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil || len(list) != n {
		return nil, false
	}
	out := make([]string, n)
	blamed := false
	for i, raw := range list {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, false
		}
		if len(m) == 0 {
			continue
		}
		out[i] = Message(raw)
		if out[i] == "" {
			out[i] = "refused"
		}
		blamed = true
	}
	return out, blamed
}
