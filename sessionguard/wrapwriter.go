package sessionguard

import (
	"bufio"
	"net"
	"net/http"
)

// wrapHooks is what a wrapping ResponseWriter does before a flush or a
// hijack reaches the writer it wraps.
type wrapHooks interface {
	// beforeFlush settles what the wrapper holds back; pass=false means
	// nothing may reach the client (the wrapper answered itself).
	beforeFlush() (pass bool, err error)
	// beforeHijack steps out of the way: the connection is handed over.
	beforeHijack()
}

// wrappedWriter is the base of the guard's ResponseWriters: Header, Unwrap,
// Flush and Hijack, written once. The embedding writer supplies
// WriteHeader, Write and the hooks.
type wrappedWriter struct {
	w     http.ResponseWriter
	hooks wrapHooks
}

func (b *wrappedWriter) Header() http.Header { return b.w.Header() }

// Unwrap lets http.ResponseController reach the connection (deadlines,
// full duplex); Flush and Hijack are handled here first.
func (b *wrappedWriter) Unwrap() http.ResponseWriter { return b.w }

// FlushError is what http.ResponseController.Flush calls.
func (b *wrappedWriter) FlushError() error {
	pass, err := b.hooks.beforeFlush()
	if err != nil || !pass {
		return err
	}
	return http.NewResponseController(b.w).Flush()
}

// Flush implements http.Flusher for handlers that type-assert it.
func (b *wrappedWriter) Flush() { _ = b.FlushError() }

// Hijack hands the connection over (websockets); after it the wrapper is
// out of the way.
func (b *wrappedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	b.hooks.beforeHijack()
	return http.NewResponseController(b.w).Hijack()
}
