package fabricsync

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/hhgate/hhgate/k8ssync"
)

// Event types of a fabric's stream (the SSE "event:" field).
const (
	// EventState: idle, scheduled or running ({"state", "trigger", "at"}).
	EventState = "state"
	// EventProgress: a running sync's k8ssync.Progress.
	EventProgress = "progress"
	// EventFinished: a sync's outcome and counts (SyncOutcome).
	EventFinished = "finished"
	// EventDrift: changes in the cluster since the last sync ({"changes", "since"}).
	EventDrift = "drift"
)

// Sync states (StateEvent.State).
const (
	StateIdle      = "idle"
	StateScheduled = "scheduled"
	StateRunning   = "running"
)

// Event is one message of a fabric's stream. Data is JSON without
// secrets: states, counts, the sync's human error text (redacted by the
// engine) and times.
type Event struct {
	ID   uint64
	Type string
	Data json.RawMessage
}

// StateEvent is the data of EventState.
type StateEvent struct {
	Fabric  int    `json:"fabric"`
	State   string `json:"state"`
	Trigger string `json:"trigger,omitempty"`
	// At is when the state began (running, idle) or when the scheduled
	// sync is due (scheduled).
	At time.Time `json:"at"`
}

// DriftEvent is the data of EventDrift: Changes custom resources changed
// in the cluster since the last sync, the first of them at Since.
type DriftEvent struct {
	Fabric  int       `json:"fabric"`
	Changes int       `json:"changes"`
	Since   time.Time `json:"since,omitzero"`
}

// SyncOutcome is the data of EventFinished.
type SyncOutcome struct {
	Fabric   int       `json:"fabric"`
	Success  bool      `json:"success"`
	Code     string    `json:"code,omitempty"`
	Message  string    `json:"message,omitempty"`
	Error    string    `json:"error,omitempty"`
	Trigger  string    `json:"trigger,omitempty"`
	Finished time.Time `json:"finished"`
	// Stats are the result's counts (created, updated, deleted,
	// unchanged, errors, total_crds, status, details, duration_ms and,
	// where the engine reports them, switches_ready/_total/_stale): the
	// numeric and short fields of k8ssync.Stats, without error details.
	Stats map[string]any `json:"stats"`
}

// outcomeStats are the fields of k8ssync.Stats an outcome carries.
var outcomeStats = []string{"total_crds", "created", "updated", "deleted", "unchanged", "errors", "status",
	"details", "duration_ms", "switches_ready", "switches_total", "switches_stale"}

// outcomeOf is res as an event.
func outcomeOf(fabricID int, trigger string, res k8ssync.Result, finished time.Time) SyncOutcome {
	all := map[string]any{}
	if b, err := json.Marshal(res.Stats); err == nil {
		_ = json.Unmarshal(b, &all)
	}
	stats := map[string]any{}
	for _, k := range outcomeStats {
		if v, ok := all[k]; ok {
			stats[k] = v
		}
	}
	return SyncOutcome{Fabric: fabricID, Success: res.Success, Code: res.Code, Message: res.Message, Error: res.Error,
		Trigger: trigger, Finished: finished.UTC(), Stats: stats}
}

// subscriberBuffer is how many events a slow stream may lag behind before
// it is dropped (the browser reconnects and gets the current picture).
const subscriberBuffer = 64

// Hub fans a fabric's events out to its streams and keeps the latest of
// each kind, so that a stream that connects (or reconnects) starts from
// the current picture. It is safe for concurrent use; the zero value is
// not: use NewHub.
type Hub struct {
	mu      sync.Mutex
	seq     uint64
	fabrics map[int]*fabricEvents
	perUser map[string]int
	closed  bool
}

type fabricEvents struct {
	latest map[string]Event // by type
	subs   map[*Subscription]struct{}
}

// Subscription is one stream's feed.
type Subscription struct {
	// C delivers the events; it is closed when the subscription ends
	// (Close, a stream that fell behind, or the hub closing).
	C      chan Event
	hub    *Hub
	fabric int
	user   string
	once   sync.Once
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	// Ids start from the clock, so that they keep growing across restarts:
	// a browser that reconnects to a new process ignores none of its events.
	return &Hub{seq: uint64(time.Now().UnixMicro()), fabrics: map[int]*fabricEvents{}, perUser: map[string]int{}}
}

func (h *Hub) fabricLocked(id int) *fabricEvents {
	f := h.fabrics[id]
	if f == nil {
		f = &fabricEvents{latest: map[string]Event{}, subs: map[*Subscription]struct{}{}}
		h.fabrics[id] = f
	}
	return f
}

// Publish sends data as an event of type typ to the fabric's streams and
// keeps it as the latest of its type. A finished or idle event ends the
// running sync's progress.
func (h *Hub) Publish(fabricID int, typ string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.seq++
	ev := Event{ID: h.seq, Type: typ, Data: b}
	f := h.fabricLocked(fabricID)
	f.latest[typ] = ev
	if typ == EventFinished {
		delete(f.latest, EventProgress)
	}
	for s := range f.subs {
		select {
		case s.C <- ev:
		default: // fell behind: end it; the browser reconnects
			h.dropLocked(f, s)
		}
	}
}

// Scheduled tells the fabric's streams that a sync is due at at (the
// controller's next sync).
func (h *Hub) Scheduled(fabricID int, at time.Time) {
	h.Publish(fabricID, EventState, StateEvent{Fabric: fabricID, State: StateScheduled, At: at.UTC()})
}

// Drift tells the fabric's streams how many changes the cluster has seen
// since the last sync (0 clears the line).
func (h *Hub) Drift(fabricID, changes int, since time.Time) {
	h.Publish(fabricID, EventDrift, DriftEvent{Fabric: fabricID, Changes: changes, Since: since.UTC()})
}

// Subscribe starts a feed of the fabric's events for user, beginning with
// the latest state, progress, outcome and drift. It returns false when
// user already has limit feeds open (limit ≤ 0: no limit) or the hub is
// closed.
func (h *Hub) Subscribe(fabricID int, user string, limit int) (*Subscription, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || limit > 0 && h.perUser[user] >= limit {
		return nil, false
	}
	s := &Subscription{C: make(chan Event, subscriberBuffer), hub: h, fabric: fabricID, user: user}
	f := h.fabricLocked(fabricID)
	for _, typ := range []string{EventState, EventFinished, EventProgress, EventDrift} {
		if ev, ok := f.latest[typ]; ok {
			s.C <- ev
		}
	}
	f.subs[s] = struct{}{}
	h.perUser[user]++
	return s, true
}

// Latest is the fabric's latest event of type typ.
func (h *Hub) Latest(fabricID int, typ string) (Event, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.fabrics[fabricID]
	if f == nil {
		return Event{}, false
	}
	ev, ok := f.latest[typ]
	return ev, ok
}

// Close ends the subscription; it is idempotent.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	if f := s.hub.fabrics[s.fabric]; f != nil {
		s.hub.dropLocked(f, s)
	}
}

func (h *Hub) dropLocked(f *fabricEvents, s *Subscription) {
	if _, ok := f.subs[s]; !ok {
		return
	}
	delete(f.subs, s)
	if h.perUser[s.user]--; h.perUser[s.user] <= 0 {
		delete(h.perUser, s.user)
	}
	s.once.Do(func() { close(s.C) })
}

// Close ends every subscription and refuses new ones (the process stops).
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, f := range h.fabrics {
		for s := range f.subs {
			h.dropLocked(f, s)
		}
	}
}

// streams is the number of open subscriptions (tests).
func (h *Hub) streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.perUser {
		n += c
	}
	return n
}
