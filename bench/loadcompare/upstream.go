package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Paths the upstream answers specially; everything else gets apiBody.
const (
	pathPage          = "/page"
	pathLoginRedirect = "/__bench/login-redirect"
)

// apiBody stands in for a small NetBox REST answer (≈200 bytes). A 200 JSON
// answer is never a login answer, so the guard only wraps the writer and
// streams it: the "passthrough" cost.
var apiBody = []byte(`{"count":1,"next":null,"previous":null,"results":[{"id":1,"url":"http://127.0.0.1/api/dcim/devices/1/","display":"leaf-01","name":"leaf-01","status":{"value":"active","label":"Active"},"site":{"id":1}}]}`)

// pageBody is a ≈2 KB HTML page without a login form. A 200 HTML answer to a
// programmatic request may be NetBox's login page, so the guard holds it back
// (up to 16 KiB) and looks for the form before releasing it: the "peek" cost.
var pageBody = buildPage(2048)

// buildPage returns an HTML device table of at least size bytes.
func buildPage(size int) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Devices | NetBox</title></head>\n<body><main><table class=\"table\">\n")
	for i := 1; b.Len() < size-40; i++ {
		fmt.Fprintf(&b, "<tr><td><a href=\"/dcim/devices/%d/\">leaf-%02d</a></td><td>active</td></tr>\n", i, i)
	}
	b.WriteString("</table></main></body></html>\n")
	return []byte(b.String())
}

// upstream is the stand-in for NetBox that both Caddy sites proxy to.
type upstream struct {
	server *http.Server
	addr   string // 127.0.0.1:port
	done   chan error
}

// startUpstream listens on a free loopback port and serves until stop.
func startUpstream() (*upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("upstream: listen: %w", err)
	}
	u := &upstream{
		server: &http.Server{
			Handler:           http.HandlerFunc(serveUpstream),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		addr: ln.Addr().String(),
		done: make(chan error, 1),
	}
	go func() { u.done <- u.server.Serve(ln) }()
	return u, nil
}

func serveUpstream(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	switch r.URL.Path {
	case pathPage:
		writeBody(w, "text/html; charset=utf-8", pageBody)
	case pathLoginRedirect:
		// What NetBox answers without a session. Only the guarded site turns
		// it into a JSON 401; the preflight uses that to tell the sites apart.
		h.Set("Location", "/login/?next=/dcim/devices/")
		w.WriteHeader(http.StatusFound)
	default:
		writeBody(w, "application/json", apiBody)
	}
}

func writeBody(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// stop shuts the server down, waiting at most a few seconds for open
// keep-alive connections.
func (u *upstream) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := u.server.Shutdown(ctx); err != nil {
		_ = u.server.Close()
	}
	if err := <-u.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Printf("upstream: %v\n", err)
	}
}
