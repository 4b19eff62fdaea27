package sessionguard

import (
	"net/http"
	"sync"

	"github.com/hhgate/hhgate/netboxhttp"
)

// writerState is where an interceptWriter stands with the upstream answer.
type writerState uint8

const (
	undecided  writerState = iota // no status yet
	streaming                     // not ours: everything goes straight through
	inspecting                    // a candidate: holding back up to a limit
	answered                      // the guard wrote its own answer; upstream body dropped
)

// interceptWriter sits between the next handler and the client for a
// programmatic request. It decides per answer, at WriteHeader, whether the
// answer can be a "log in" answer; only those are held back (up to a small
// limit) and everything else streams, flushes and hijacks as usual.
type interceptWriter struct {
	wrappedWriter
	g      *Guard
	r      *http.Request
	state  writerState
	kind   inspection
	limit  int
	status int
	buf    *[]byte
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, limitLoginPeek); return &b }}

func newInterceptWriter(w http.ResponseWriter, g *Guard, r *http.Request) *interceptWriter {
	iw := &interceptWriter{wrappedWriter: wrappedWriter{w: w}, g: g, r: r}
	iw.hooks = iw
	return iw
}

func (iw *interceptWriter) WriteHeader(status int) {
	if iw.state != undecided {
		return // like net/http: a second WriteHeader is superfluous
	}
	if status >= 100 && status < 200 && status != http.StatusSwitchingProtocols {
		iw.w.WriteHeader(status) // informational (103 Early Hints): pass on, stay undecided
		return
	}
	v, kind := iw.g.judgeHeader(iw.r, status, iw.w.Header())
	switch {
	case v != pass:
		iw.g.answer(iw.w, iw.r, v, status)
		iw.state = answered
	case kind != inspectNone:
		iw.state, iw.kind, iw.status = inspecting, kind, status
		iw.limit = limit403Body
		if kind == inspectLoginPage {
			iw.limit = limitLoginPeek
		}
		iw.buf = bodyPool.Get().(*[]byte)
		*iw.buf = (*iw.buf)[:0]
	default:
		iw.state = streaming
		iw.w.WriteHeader(status)
	}
}

func (iw *interceptWriter) Write(p []byte) (int, error) {
	if iw.state == undecided {
		iw.WriteHeader(http.StatusOK)
	}
	switch iw.state {
	case streaming:
		return iw.w.Write(p)
	case answered:
		return len(p), nil
	}
	room := iw.limit - len(*iw.buf)
	if len(p) <= room {
		*iw.buf = append(*iw.buf, p...)
		return len(p), nil
	}
	// The body is longer than what is inspected: decide on its head.
	*iw.buf = append(*iw.buf, p[:room]...)
	if err := iw.resolve(); err != nil {
		return room, err
	}
	if iw.state == answered {
		return len(p), nil
	}
	n, err := iw.w.Write(p[room:])
	return room + n, err
}

// resolve gives the verdict on what has been held back, then either answers
// or releases the upstream answer and switches to streaming.
func (iw *interceptWriter) resolve() error {
	body := *iw.buf
	defer iw.release()
	if v := iw.g.judgeBody(iw.r, iw.kind, netboxhttp.First(iw.w.Header(), hdrContentEnc), body); v != pass {
		iw.g.answer(iw.w, iw.r, v, iw.status)
		iw.state = answered
		return nil
	}
	iw.state = streaming
	iw.w.WriteHeader(iw.status)
	_, err := iw.w.Write(body)
	return err
}

func (iw *interceptWriter) release() {
	if iw.buf != nil {
		bodyPool.Put(iw.buf)
		iw.buf = nil
	}
}

// beforeFlush: a flush while inspecting means the upstream wants its bytes
// out now (a streamed page): decide on what arrived so far rather than
// delay it.
func (iw *interceptWriter) beforeFlush() (bool, error) {
	switch iw.state {
	case undecided:
		iw.WriteHeader(http.StatusOK)
		return iw.beforeFlush()
	case inspecting:
		if err := iw.resolve(); err != nil {
			return false, err
		}
	}
	return iw.state != answered, nil
}

func (iw *interceptWriter) beforeHijack() { iw.state = streaming }

// finish runs after the next handler returned without error.
func (iw *interceptWriter) finish() error {
	if iw.state == inspecting {
		return iw.resolve()
	}
	return nil
}

// fail runs after the next handler returned err.
func (iw *interceptWriter) fail(err error) error {
	switch iw.state {
	case undecided:
		if iw.g.answerError(iw.w, iw.r, err) {
			return nil
		}
	case inspecting:
		// The upstream broke off in the middle of a candidate body: no
		// verdict, and nothing of the broken answer goes out.
		iw.release()
		dropBodyHeaders(iw.w.Header())
		if iw.g.answerError(iw.w, iw.r, err) {
			return nil
		}
	case answered:
		return nil // our answer is complete; the rest of the upstream body is moot
	}
	return err
}
