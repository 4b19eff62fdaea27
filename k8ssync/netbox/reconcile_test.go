package netbox

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hhgate/hhgate/k8ssync/internal/fakenetbox"
)

// TestLostCreateAnswerIsReconciledNotResent: NetBox commits a bulk create
// and the connection drops before its answer; the client re-reads the
// route, counts the committed objects as created and sends nothing twice.
func TestLostCreateAnswerIsReconciledNotResent(t *testing.T) {
	srv := newServer(t)
	var posts atomic.Int32
	srv.SetFault(func(r fakenetbox.Request) fakenetbox.Fault {
		if r.Method == http.MethodPost && posts.Add(1) == 1 {
			return fakenetbox.Fault{DropAfterCommit: true}
		}
		return fakenetbox.Fault{}
	})
	c, _ := newClient(t, srv, Options{BatchSize: 2})
	res := c.Create(context.Background(), "vpcs", []Record{
		rec("a", map[string]any{"x": 1}), rec("b", map[string]any{"x": 1}), rec("c", map[string]any{"x": 1}),
	})
	if res.Written != 3 || len(res.Failures) != 0 {
		t.Fatalf("result = %+v, want 3 written, no failures", res)
	}
	if n := len(srv.Objects("vpcs")); n != 3 {
		t.Fatalf("NetBox holds %d vpcs, want each created exactly once (3)", n)
	}
	if n := posts.Load(); n != 2 {
		t.Errorf("%d POSTs, want 2 (the dropped batch is not sent again)", n)
	}
}

// TestPartlyCommittedCreateSendsOnlyTheMissing: a 500 after which NetBox
// holds some of the batch (one of them existed from a lost earlier
// answer): only the missing objects are sent again.
func TestPartlyCommittedCreateSendsOnlyTheMissing(t *testing.T) {
	srv := newServer(t)
	var bodies []string
	srv.SetFault(func(r fakenetbox.Request) fakenetbox.Fault {
		if r.Method != http.MethodPost {
			return fakenetbox.Fault{}
		}
		bodies = append(bodies, string(r.Body))
		if len(bodies) == 1 {
			srv.Seed("vpcs", map[string]any{"fabric": 1, "namespace": "default", "name": "a", "spec": map[string]any{"x": 1}})
			return fakenetbox.Fault{Status: 504, Body: "<html>Gateway Timeout</html>"}
		}
		return fakenetbox.Fault{}
	})
	c, sl := newClient(t, srv, Options{})
	res := c.Create(context.Background(), "vpcs", []Record{rec("a", map[string]any{"x": 1}), rec("b", map[string]any{"x": 1})})
	if res.Written != 2 || len(res.Failures) != 0 || len(srv.Objects("vpcs")) != 2 {
		t.Fatalf("result = %+v, NetBox holds %d", res, len(srv.Objects("vpcs")))
	}
	if len(bodies) != 2 || strings.Contains(bodies[1], `"name":"a"`) || !strings.Contains(bodies[1], `"name":"b"`) {
		t.Errorf("second POST %q, want only b", bodies[1:])
	}
	if len(sl.all()) != 1 {
		t.Errorf("backoffs %v, want one before re-reading", sl.all())
	}
}

func TestPostRetryClassification(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		unsent bool
	}{
		{"503", &HTTPError{Status: 503}, true},
		{"429", &HTTPError{Status: 429}, true},
		{"500", &HTTPError{Status: 500}, false},
		{"502", &HTTPError{Status: 502}, false},
		{"reset", &UncertainError{Err: context.DeadlineExceeded}, false},
	} {
		if got := provablyUnsent(tt.err); got != tt.unsent {
			t.Errorf("%s: provablyUnsent = %v, want %v", tt.name, got, tt.unsent)
		}
	}
}

// TestRefusedConnectionPostIsRetried: nothing listens, so nothing was sent:
// the POST is retried like any request.
func TestRefusedConnectionPostIsRetried(t *testing.T) {
	srv := newServer(t)
	c, sl := newClient(t, srv, Options{})
	srv.Close()
	res := c.Create(context.Background(), "vpcs", []Record{rec("a", nil)})
	if res.Unavailable == nil || len(res.Failures) != 1 || len(sl.all()) != 3 {
		t.Fatalf("result %+v, backoffs %v: want 3 retries of a refused connection", res, sl.all())
	}
}
