package sessionguard

import (
	"compress/gzip"
	"io"
	"net/http"
	"sync"
)

// gzipInjector injects the script into a gzip-coded HTML body as it
// streams: the body is decoded, passed through a headInjector and encoded
// again. It is the fallback for an upstream that compresses although the
// guard asked for an uncompressed answer, so its cost (a goroutine and a
// compressor per page) does not matter much.
//
// compress/gzip only reads from an io.Reader, so the handler's Writes feed a
// pipe that a decoding goroutine reads. The goroutine is the only one to
// write to out, except for Flush, which takes the same lock.
type gzipInjector struct {
	in   *io.PipeWriter
	done chan error
	out  http.ResponseWriter
	mu   sync.Mutex // guards zw and out
	zw   *gzip.Writer
	head headInjector
}

func newGzipInjector(out http.ResponseWriter, tag []byte) *gzipInjector {
	pr, pw := io.Pipe()
	g := &gzipInjector{in: pw, done: make(chan error, 1), out: out, zw: gzip.NewWriter(out)}
	g.head.reset(lockedGzipWriter{g}, tag)
	go g.decode(pr)
	return g
}

// Write hands b to the decoder; it returns once the decoder has read it.
func (g *gzipInjector) Write(b []byte) (int, error) { return g.in.Write(b) }

// Flush pushes out what has been encoded so far.
func (g *gzipInjector) Flush() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.zw.Flush(); err != nil {
		return err
	}
	return http.NewResponseController(g.out).Flush()
}

// Close ends the input and waits until the decoder has written the rest
// and the gzip trailer.
func (g *gzipInjector) Close() error {
	_ = g.in.Close()
	return <-g.done
}

func (g *gzipInjector) decode(pr *io.PipeReader) {
	err := g.copyDecoded(pr)
	// A failure stops the handler's Writes too.
	_ = pr.CloseWithError(err)
	g.done <- err
}

func (g *gzipInjector) copyDecoded(r io.Reader) error {
	zr, err := gzip.NewReader(r)
	if err == io.EOF {
		return nil // an empty body stays empty
	}
	if err != nil {
		return err
	}
	buf := make([]byte, 16<<10)
	for {
		n, err := zr.Read(buf)
		if n > 0 {
			if _, werr := g.head.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if err := g.head.Close(); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.zw.Close()
}

// lockedGzipWriter is the headInjector's output: the encoder, under the lock.
type lockedGzipWriter struct{ g *gzipInjector }

func (l lockedGzipWriter) Write(b []byte) (int, error) {
	l.g.mu.Lock()
	defer l.g.mu.Unlock()
	return l.g.zw.Write(b)
}
