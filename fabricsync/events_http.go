package fabricsync

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/netboxhttp"
)

// CodeTooManyStreams is the refusal of a stream beyond the per-user bound.
const CodeTooManyStreams = "too_many_streams"

// streamSettings bound the events endpoint.
type streamSettings struct {
	// perUser is how many streams one NetBox user may hold open (the
	// fabric page in a few tabs).
	perUser int
	// heartbeat is how often an idle stream gets a comment line, so that
	// proxies and the browser see it alive.
	heartbeat time.Duration
	// lifetime ends a stream after this long; the browser reconnects at
	// once (retry) and that request is authorized by NetBox again, so a
	// user who lost the permission or the session stops getting events.
	lifetime time.Duration
	// retry is the reconnect delay the stream asks of the browser.
	retry time.Duration
}

func defaultStreamSettings() streamSettings {
	return streamSettings{perUser: 4, heartbeat: 15 * time.Second, lifetime: 5 * time.Minute, retry: 3 * time.Second}
}

// Close ends the streams this handler serves (the configuration is being
// replaced or the process stops); their browsers reconnect to the new one.
func (h *Handler) Close() {
	h.closeOnce.Do(func() { close(h.closing) })
}

// serveEvents answers GET <base>.hhgate/fabrics/<id>/events: a
// server-sent-events stream of the fabric's sync state, progress, outcome
// and drift, for a user NetBox lets view the fabric.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request, fabricID int) {
	if r.Method != http.MethodGet {
		refuseMethod(w, r, http.MethodGet)
		return
	}
	authCtx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	a := h.authorizeView(authCtx, r, fabricID)
	user := ""
	if a.verdict == allowed {
		user = h.whoAmI(authCtx, userHeaders(r), r.Host)
	}
	cancel()
	for _, c := range a.setCookies {
		w.Header().Add("Set-Cookie", c)
	}
	switch a.verdict {
	case allowed:
	case permissionDenied:
		h.log.Info("fabric events refused", zap.Int("fabric", fabricID), zap.String("netbox_detail", a.detail))
		netboxhttp.Write(w, http.StatusForbidden, netboxhttp.NewBody(CodePermissionDenied, "You do not have permission to view this fabric.", ""))
		return
	default:
		h.refuse(w, r, fabricID, a)
		return
	}
	if user == "" {
		user = "address " + clientIP(r) // NetBox did not say who: bound by address
	}
	h.rt.seedOutcome(r.Context(), fabricID)
	sub, ok := h.rt.events.Subscribe(fabricID, user, h.streams.perUser)
	if !ok {
		w.Header().Set("Retry-After", "30")
		netboxhttp.Write(w, http.StatusTooManyRequests, netboxhttp.NewBody(CodeTooManyStreams,
			fmt.Sprintf("Too many live views open (at most %d per user); close one and try again.", h.streams.perUser), ""))
		return
	}
	defer sub.Close()
	h.stream(w, r, sub)
}

// stream writes the subscription's events until the browser leaves, the
// stream's lifetime ends, the handler closes or the hub drops it.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, sub *Subscription) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Accel-Buffering", "no") // nginx in front: do not buffer
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	write := func(s string) bool {
		if _, err := w.Write([]byte(s)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("retry: " + strconv.FormatInt(h.streams.retry.Milliseconds(), 10) + "\n\n") {
		return
	}
	heartbeat := time.NewTicker(h.streams.heartbeat)
	defer heartbeat.Stop()
	lifetime := time.NewTimer(h.streams.lifetime)
	defer lifetime.Stop()
	for {
		select {
		case ev, open := <-sub.C:
			if !open || !write(formatEvent(ev)) {
				return
			}
		case <-heartbeat.C:
			if !write(": heartbeat\n\n") {
				return
			}
		case <-lifetime.C:
			return
		case <-h.closing:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// formatEvent is ev in the text/event-stream format. Data is one line of
// JSON (encoding/json never writes a raw newline).
func formatEvent(ev Event) string {
	return fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.Data)
}

// seedOutcome puts the fabric's stored last result (from this or another
// gateway) in the hub when the hub has none yet, so that a new stream
// shows the last outcome from the start.
func (rt *Runtime) seedOutcome(ctx context.Context, fabricID int) {
	if _, ok := rt.events.Latest(fabricID, EventFinished); ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rec, err := rt.loadResult(ctx, rt.keys(fabricID))
	if err != nil || rec.Result == nil {
		return
	}
	if _, ok := rt.events.Latest(fabricID, EventFinished); !ok {
		rt.events.Publish(fabricID, EventFinished, outcomeOf(fabricID, "", *rec.Result, rec.Finished))
	}
}
