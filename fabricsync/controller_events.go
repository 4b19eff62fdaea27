package fabricsync

import "time"

// The controller's part of the fabrics' live events (events.go): the drift
// line and the next scheduled sync, for the page panel.

// publishDrift tells the fabric's streams how many cluster changes no sync
// has applied yet (0 clears the line).
func (f *fabricCtl) publishDrift() {
	changes, since := f.drift()
	f.c.rt.Events().Drift(f.id, changes, since)
}

// publishScheduled tells the fabric's streams when its next sync is due,
// once per due time: the loop wakes for many reasons, the answer rarely
// changes. The loop's goroutine is its only caller.
func (f *fabricCtl) publishScheduled(due time.Time) {
	if d := due.Sub(f.announced); d > -time.Second && d < time.Second {
		return
	}
	f.announced = due
	f.c.rt.Events().Scheduled(f.id, due)
}
