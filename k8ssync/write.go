package k8ssync

import (
	"context"
	"fmt"

	"github.com/hhgate/hhgate/k8ssync/diff"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// writeOp is one of the sync's three writes: how its objects are sent and
// which count a written object adds to.
type writeOp struct {
	// name is the operation in error reports.
	name string
	// call sends the objects in bulk (the client splits them into batches
	// and splits refused batches).
	call func(c *netbox.Client, ctx context.Context, route string, ws []diff.Write) netbox.BulkResult
	// counter is which of written()'s counters a written object adds to.
	counter int
}

// written are the counters of written objects, in writeOp.counter order.
func (ks *KindStats) written() [3]*int { return [3]*int{&ks.Created, &ks.Updated, &ks.Deleted} }

func (s *Stats) written() [3]*int { return [3]*int{&s.Created, &s.Updated, &s.Deleted} }

var (
	opCreate = writeOp{name: "create", counter: 0,
		call: func(c *netbox.Client, ctx context.Context, route string, ws []diff.Write) netbox.BulkResult {
			return c.Create(ctx, route, records(ws))
		}}
	opUpdate = writeOp{name: "update", counter: 1,
		call: func(c *netbox.Client, ctx context.Context, route string, ws []diff.Write) netbox.BulkResult {
			return c.Update(ctx, route, records(ws))
		}}
	opDelete = writeOp{name: "delete", counter: 2,
		call: func(c *netbox.Client, ctx context.Context, route string, ws []diff.Write) netbox.BulkResult {
			ids := make([]int, len(ws))
			for i := range ws {
				ids[i] = ws[i].Record.ID
			}
			return c.Delete(ctx, route, ids)
		}}
)

func records(ws []diff.Write) []netbox.Record {
	recs := make([]netbox.Record, len(ws))
	for i := range ws {
		recs[i] = ws[i].Record
	}
	return recs
}

// writesInFlight is how many write batches a sync has on the way to
// NetBox at once: NetBox runs several workers (its gunicorn.py: five), so
// two kinds' batches are taken side by side, while the rest of NetBox's
// workers stay free for its users.
const writesInFlight = 2

// send is the one place where the sync's writes go to NetBox: one batch of
// one kind's creates, updates or deletes. Kinds are listed concurrently;
// each kind's writes are sent one batch at a time, in the order they were
// planned, and at most writesInFlight batches of all kinds are on the way.
// When NetBox already stopped answering or the sync's time is up, nothing
// is sent and every object fails with that reason. Every object NetBox did
// not take is reported with its key.
func (r *run) send(ctx context.Context, s *kindSync, op writeOp, ws []diff.Write) {
	r.writeSlots <- struct{}{}
	defer func() { <-r.writeSlots }()
	r.writeMu.Lock()
	res := r.notSent(ctx, len(ws))
	r.writeMu.Unlock()
	r.prog.planned(len(ws))
	if res == nil {
		all := op.call(r.e.netbox, ctx, s.k.Route, ws)
		r.prog.wrote(all.Written)
		res = &all
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	if res.Unavailable != nil && r.netboxDown == nil {
		r.netboxDown = res.Unavailable
	}
	*s.stats.written()[op.counter] += res.Written
	*r.stats.written()[op.counter] += res.Written
	for _, f := range res.Failures {
		s.stats.Errors++
		if !f.Refused {
			r.netboxFailed(ctx, f.Err, false)
		}
		s.failed(ws[f.Index].Key.String(), op.name, f.Message)
	}
}

// failed keeps one object's write failure until the kind reports its
// errors (reportWriteErrors): kinds write side by side, and the sync's
// errors keep the kinds' order, whichever answer came first. At most
// MaxErrorDetails are kept; the rest are counted.
func (s *kindSync) failed(name, op, msg string) {
	if len(s.writeErrs) < MaxErrorDetails {
		s.writeErrs = append(s.writeErrs, ErrorDetail{Kind: s.k.Kind, Name: name, Operation: op, Error: msg})
		return
	}
	s.writeErrsMore++
}

// reportWriteErrors records the kind's write failures kept so far.
func (r *run) reportWriteErrors(s *kindSync) {
	for _, d := range s.writeErrs {
		r.addError(d.Kind, d.Name, d.Operation, d.Error)
	}
	r.errCount += s.writeErrsMore
	s.writeErrs, s.writeErrsMore = nil, 0
}

// notSent is the result of n writes that are not sent because NetBox
// stopped answering or the sync's context ended; nil when they may go.
func (r *run) notSent(ctx context.Context, n int) *netbox.BulkResult {
	reason := r.netboxDown
	if r.dryRun {
		reason = errDryRun // a plan never reaches a write; a second guard
	}
	if reason == nil && ctx.Err() != nil {
		reason = ctx.Err()
	}
	if reason == nil {
		return nil
	}
	var res netbox.BulkResult
	err := fmt.Errorf("not sent: %w", reason)
	for i := range n {
		res.Failures = append(res.Failures, netbox.Failure{Index: i, Message: err.Error(), Err: err})
	}
	return &res
}
