package netbox

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"
)

// reconcile follows a bulk create whose outcome is unknown (the answer was
// lost, or NetBox answered 5xx): after a backoff it re-reads the route and
// counts the batch's objects NetBox now holds as created, then sends only
// the missing ones again. So a create that committed is never sent twice
// and every object is reported exactly once. It gives up after the retry
// policy's attempts, reporting the missing objects with the last error.
func (c *Client) reconcile(ctx context.Context, route string, batch []item, res *BulkResult, attempt int, cause error) {
	if attempt >= c.retry.Attempts {
		c.failUncertain(res, batch, cause, attempt)
		return
	}
	delay := c.retry.backoff(attempt)
	c.log.Warn("netbox bulk create got no clear answer, re-reading before sending again",
		zap.String("route", route), zap.Int("objects", len(batch)), zap.Int("attempt", attempt),
		zap.Duration("delay", delay), zap.Error(cause))
	if c.observe.Retry != nil {
		c.observe.Retry("POST")
	}
	if err := c.retry.Sleep(ctx, delay); err != nil {
		c.failAll(res, batch, fmt.Errorf("%w (then: %v)", cause, err))
		return
	}
	present, err := c.presentKeys(ctx, route, batch)
	if err != nil {
		c.failUncertain(res, batch, fmt.Errorf("%w (re-reading %s to check: %v)", cause, route, err), attempt)
		return
	}
	var missing []item
	for _, it := range batch {
		if present[it.key] {
			res.Written++
			continue
		}
		missing = append(missing, it)
	}
	if len(missing) > 0 {
		c.sendAttempt(ctx, "POST", route, missing, res, attempt+1)
	}
}

func (c *Client) failUncertain(res *BulkResult, batch []item, cause error, attempt int) {
	err := cause
	if attempt > 1 {
		err = fmt.Errorf("%w (gave up after %d attempts)", cause, attempt)
	}
	var h *HTTPError
	if !errors.As(cause, &h) && res.Unavailable == nil {
		res.Unavailable = err
	}
	c.failAll(res, batch, err)
}

// presentKeys lists the objects of the batch's fabrics on route.
func (c *Client) presentKeys(ctx context.Context, route string, batch []item) (map[objectKey]bool, error) {
	present := map[objectKey]bool{}
	listed := map[int]bool{}
	for _, it := range batch {
		if listed[it.key.fabric] {
			continue
		}
		listed[it.key.fabric] = true
		err := c.EachFabricObject(ctx, route, it.key.fabric, KeyFields, func(o *Object) {
			present[objectKey{int(o.Fabric), o.Namespace, o.Name}] = true
		})
		if err != nil {
			return nil, err
		}
	}
	return present, nil
}
