package fabricsync

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hhgate/hhgate/k8ssync"
)

// drain reads what s has buffered right now.
func drain(s *Subscription) []Event {
	var out []Event
	for {
		select {
		case ev, ok := <-s.C:
			if !ok {
				return out
			}
			out = append(out, ev)
		default:
			return out
		}
	}
}

func types(evs []Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

func TestHubStartsAStreamFromTheLatestPicture(t *testing.T) {
	since := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		publish func(h *Hub)
		want    []string
	}{
		{"nothing yet", func(*Hub) {}, nil},
		{"running with progress", func(h *Hub) {
			h.Publish(7, EventState, StateEvent{Fabric: 7, State: StateRunning})
			h.Publish(7, EventProgress, k8ssync.Progress{Phase: k8ssync.PhaseReading})
			h.Publish(7, EventProgress, k8ssync.Progress{Phase: k8ssync.PhaseWriting})
		}, []string{EventState, EventProgress}},
		{"finished drops the progress", func(h *Hub) {
			h.Publish(7, EventState, StateEvent{Fabric: 7, State: StateRunning})
			h.Publish(7, EventProgress, k8ssync.Progress{Phase: k8ssync.PhaseWriting})
			h.Publish(7, EventFinished, SyncOutcome{Fabric: 7, Success: true})
			h.Publish(7, EventState, StateEvent{Fabric: 7, State: StateIdle})
		}, []string{EventState, EventFinished}},
		{"drift and scheduled", func(h *Hub) {
			h.Drift(7, 3, since)
			h.Scheduled(7, since.Add(time.Minute))
		}, []string{EventState, EventDrift}},
		{"another fabric's events stay there", func(h *Hub) {
			h.Publish(8, EventState, StateEvent{Fabric: 8, State: StateRunning})
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHub()
			tt.publish(h)
			s, ok := h.Subscribe(7, "alice", 4)
			if !ok {
				t.Fatal("refused")
			}
			defer s.Close()
			got := drain(s)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", types(got), tt.want)
			}
			for i := range got {
				if got[i].Type != tt.want[i] {
					t.Fatalf("got %v, want %v", types(got), tt.want)
				}
			}
		})
	}
}

func TestHubDeliversInOrderWithGrowingIDs(t *testing.T) {
	h := NewHub()
	s, _ := h.Subscribe(7, "alice", 0)
	defer s.Close()
	h.Publish(7, EventState, StateEvent{Fabric: 7, State: StateRunning})
	h.Publish(7, EventProgress, k8ssync.Progress{Phase: k8ssync.PhaseWriting, Written: 5})
	h.Drift(7, 2, time.Now())
	got := drain(s)
	if len(got) != 3 || got[0].ID >= got[1].ID || got[1].ID >= got[2].ID {
		t.Fatalf("events %+v: want 3 with growing ids", got)
	}
	var p k8ssync.Progress
	if err := json.Unmarshal(got[1].Data, &p); err != nil || p.Written != 5 {
		t.Fatalf("progress data %s: %v", got[1].Data, err)
	}
	// A later hub (a restarted process) continues above these ids.
	if next := NewHub(); next.seq <= got[2].ID-3 {
		t.Errorf("a new hub starts at %d, below the old one's %d", next.seq, got[2].ID)
	}
}

func TestHubBoundsStreamsPerUser(t *testing.T) {
	h := NewHub()
	var open []*Subscription
	for i := 0; i < 2; i++ {
		s, ok := h.Subscribe(7, "alice", 2)
		if !ok {
			t.Fatalf("stream %d refused", i+1)
		}
		open = append(open, s)
	}
	if _, ok := h.Subscribe(9, "alice", 2); ok {
		t.Fatal("a third stream of the same user (another fabric) was allowed")
	}
	if s, ok := h.Subscribe(7, "bob", 2); !ok {
		t.Fatal("another user was refused")
	} else {
		s.Close()
	}
	open[0].Close()
	open[0].Close() // idempotent: counts once
	if s, ok := h.Subscribe(7, "alice", 2); !ok {
		t.Fatal("refused after one stream closed")
	} else {
		s.Close()
	}
	open[1].Close()
	if n := h.streams(); n != 0 {
		t.Errorf("%d streams counted after all closed", n)
	}
}

func TestHubDropsAStreamThatFallsBehind(t *testing.T) {
	h := NewHub()
	s, _ := h.Subscribe(7, "alice", 4)
	for i := 0; i < subscriberBuffer+1; i++ {
		h.Publish(7, EventProgress, k8ssync.Progress{Written: i})
	}
	got := drain(s)
	if len(got) != subscriberBuffer {
		t.Fatalf("%d events buffered, want %d", len(got), subscriberBuffer)
	}
	if _, open := <-s.C; open {
		t.Fatal("the stream that fell behind is still open")
	}
	if n := h.streams(); n != 0 {
		t.Errorf("the dropped stream still counts (%d)", n)
	}
}

func TestHubCloseEndsStreams(t *testing.T) {
	h := NewHub()
	s, _ := h.Subscribe(7, "alice", 4)
	h.Close()
	if _, open := <-s.C; open {
		t.Fatal("stream open after Close")
	}
	if _, ok := h.Subscribe(7, "alice", 4); ok {
		t.Fatal("a closed hub took a new stream")
	}
	h.Publish(7, EventState, StateEvent{}) // no panic on a closed hub
}

func TestOutcomeCarriesCountsNotDetails(t *testing.T) {
	res := k8ssync.Result{Success: false, Code: k8ssync.CodePartialFailure, Error: "1 failed",
		Stats: k8ssync.Stats{Created: 3, Updated: 1, Deleted: 2, Errors: 1, Status: "error", Details: "3 created",
			ErrorDetails: []k8ssync.ErrorDetail{{Kind: "VPC", Name: "default/a", Operation: "create", Error: "bad"}}}}
	o := outcomeOf(7, TriggerUser, res, time.Now())
	for k, want := range map[string]any{"created": 3.0, "updated": 1.0, "deleted": 2.0, "errors": 1.0, "status": "error"} {
		if o.Stats[k] != want {
			t.Errorf("stats[%s] = %v, want %v", k, o.Stats[k], want)
		}
	}
	if _, ok := o.Stats["error_details"]; ok {
		t.Error("the outcome carries error details")
	}
	if _, ok := o.Stats["kinds"]; ok {
		t.Error("the outcome carries per-kind stats")
	}
	if o.Code != k8ssync.CodePartialFailure || o.Error != "1 failed" || o.Fabric != 7 {
		t.Errorf("outcome %+v", o)
	}
}
