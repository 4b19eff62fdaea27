package fabricsync

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hhgate/hhgate/k8ssync"
)

// eventsServer serves h on a real listener (streams need one).
func eventsServer(t *testing.T, h *Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h.Serve(w, r, func(w http.ResponseWriter, _ *http.Request) error {
			http.Error(w, "next", http.StatusTeapot)
			return nil
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func openEvents(t *testing.T, srv *httptest.Server, method string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, method, srv.URL+"/.hhgate/fabrics/7/events", nil)
	req.Header.Set("Cookie", "sessionid=s1-secret-session; csrftoken=c1")
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

type sseEvent struct{ id, typ, data string }

// sseReader reads one stream's events and comments.
type sseReader struct {
	t   *testing.T
	sc  *bufio.Scanner
	raw strings.Builder
}

func newSSEReader(t *testing.T, res *http.Response) *sseReader {
	return &sseReader{t: t, sc: bufio.NewScanner(res.Body)}
}

// next returns the next event, or ok false at the end of the stream;
// comment blocks are returned as typ ":".
func (r *sseReader) next() (sseEvent, bool) {
	var ev sseEvent
	seen := false
	for r.sc.Scan() {
		line := r.sc.Text()
		r.raw.WriteString(line + "\n")
		switch {
		case line == "" && seen:
			return ev, true
		case line == "":
		case strings.HasPrefix(line, ":"):
			ev.typ, seen = ":", true
		case strings.HasPrefix(line, "id: "):
			ev.id, seen = line[4:], true
		case strings.HasPrefix(line, "event: "):
			ev.typ, seen = line[7:], true
		case strings.HasPrefix(line, "data: "):
			ev.data, seen = line[6:], true
		case strings.HasPrefix(line, "retry: "):
			ev.typ, ev.data, seen = "retry", line[7:], true
		}
	}
	return ev, false
}

// until reads events until one of type typ, failing at the end of the stream.
func (r *sseReader) until(typ string) sseEvent {
	r.t.Helper()
	for {
		ev, ok := r.next()
		if !ok {
			r.t.Fatalf("stream ended before a %q event; read:\n%s", typ, r.raw.String())
		}
		if ev.typ == typ {
			return ev
		}
	}
}

func TestEventsRefusals(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		status     int
		body       string
		wantStatus int
		wantCode   string
	}{
		{"no view permission", "GET", 403, `{"detail": "You do not have permission to perform this action."}`, 403, CodePermissionDenied},
		{"not signed in (DRF)", "GET", 403, `{"detail": "Authentication credentials were not provided."}`, 401, "authentication_required"},
		{"no such fabric", "GET", 404, `{"detail": "Not found."}`, 404, CodeNotFound},
		{"NetBox down", "GET", 502, `oops`, 502, "upstream_unavailable"},
		{"POST", "POST", 200, `{}`, 405, CodeMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := &fakeNetBox{status: tt.status, body: tt.body}
			srv := eventsServer(t, newHandler(t, nb, &fakeEngine{}))
			res := openEvents(t, srv, tt.method)
			var body struct{ Error string }
			_ = json.NewDecoder(res.Body).Decode(&body)
			if res.StatusCode != tt.wantStatus || body.Error != tt.wantCode ||
				!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%d %q %q, want %d %q", res.StatusCode, res.Header.Get("Content-Type"), body.Error, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestEventsAsksNetBoxAsTheUserToView(t *testing.T) {
	nb := &fakeNetBox{status: 200, body: `{"id": 7, "username": "alice"}`}
	h := newHandler(t, nb, &fakeEngine{})
	srv := eventsServer(t, h)
	res := openEvents(t, srv, "GET")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	nb.mu.Lock()
	first := nb.received[0]
	nb.mu.Unlock()
	if first.Method != http.MethodGet || first.URL.Path != "/api/plugins/hedgehog/fabrics/7/" ||
		!strings.Contains(first.Header.Get("Cookie"), "sessionid=s1-secret-session") {
		t.Fatalf("NetBox got %s %s Cookie %q: want the user's GET of the fabric", first.Method, first.URL.Path, first.Header.Get("Cookie"))
	}
	if res.Header.Get("Set-Cookie") == "" {
		t.Error("NetBox's Set-Cookie was not passed on")
	}
}

func TestEventsStreamLiveSync(t *testing.T) {
	nb := &fakeNetBox{status: 200, body: `{"id": 7, "username": "alice"}`}
	eng := &fakeEngine{started: make(chan int, 1), release: make(chan struct{}),
		result: k8ssync.Result{Success: true, Message: "Sync completed successfully!", Stats: k8ssync.Stats{Created: 12, Status: "in_sync"}}}
	h := newHandler(t, nb, eng)
	h.streams.heartbeat = 20 * time.Millisecond
	srv := eventsServer(t, h)
	res := openEvents(t, srv, "GET")
	r := newSSEReader(t, res)
	if ev := r.until("retry"); ev.data != "3000" {
		t.Fatalf("retry %q", ev.data)
	}
	r.until(":") // a heartbeat while nothing happens

	go func() {
		_ = h.Serve(httptest.NewRecorder(), syncRequest("/plugins/hedgehog/fabrics/7/sync/"), notReached)
	}()
	<-eng.started
	running := r.until(EventState)
	if !strings.Contains(running.data, `"state":"running"`) || running.id == "" {
		t.Fatalf("state event %+v", running)
	}
	close(eng.release)
	finished := r.until(EventFinished)
	var o SyncOutcome
	if err := json.Unmarshal([]byte(finished.data), &o); err != nil || !o.Success || o.Stats["created"] != 12.0 || o.Trigger != TriggerUser {
		t.Fatalf("finished %s: %v", finished.data, err)
	}
	if idle := r.until(EventState); !strings.Contains(idle.data, `"state":"idle"`) {
		t.Fatalf("after finished: %s", idle.data)
	}
	if strings.Contains(r.raw.String(), "s1-secret-session") || strings.Contains(r.raw.String(), "page-token") {
		t.Fatal("the stream carries a credential")
	}

	// A new stream starts from the outcome (and idle), as a reconnect does.
	r2 := newSSEReader(t, openEvents(t, srv, "GET"))
	r2.until("retry")
	if ev := r2.until(EventFinished); ev.id != finished.id {
		t.Fatalf("reconnect got outcome id %s, want the same event %s", ev.id, finished.id)
	}
}

func TestEventsBoundPerUser(t *testing.T) {
	nb := &fakeNetBox{status: 200, body: `{"id": 7, "username": "alice"}`}
	h := newHandler(t, nb, &fakeEngine{})
	srv := eventsServer(t, h)
	for i := 0; i < 4; i++ {
		r := newSSEReader(t, openEvents(t, srv, "GET"))
		r.until("retry")
	}
	res := openEvents(t, srv, "GET")
	var body struct{ Error, Message string }
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != http.StatusTooManyRequests || body.Error != CodeTooManyStreams || res.Header.Get("Retry-After") == "" {
		t.Fatalf("fifth stream: %d %+v", res.StatusCode, body)
	}
}

func TestEventsEndOnCloseAndLifetime(t *testing.T) {
	tests := []struct {
		name string
		end  func(h *Handler)
	}{
		{"handler closed (reload)", func(h *Handler) { h.Close() }},
		{"runtime closed (shutdown)", func(h *Handler) { h.rt.Close() }},
		{"lifetime over", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := &fakeNetBox{status: 200, body: `{"id": 7, "username": "alice"}`}
			h := newHandler(t, nb, &fakeEngine{})
			if tt.end == nil {
				h.streams.lifetime = 50 * time.Millisecond
			}
			srv := eventsServer(t, h)
			r := newSSEReader(t, openEvents(t, srv, "GET"))
			r.until("retry")
			if tt.end != nil {
				tt.end(h)
			}
			done := make(chan struct{})
			go func() {
				for {
					if _, ok := r.next(); !ok {
						close(done)
						return
					}
				}
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the stream did not end")
			}
			if n := h.rt.events.streams(); n != 0 {
				t.Errorf("%d streams still counted", n)
			}
		})
	}
}
