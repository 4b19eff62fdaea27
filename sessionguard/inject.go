package sessionguard

import (
	"bytes"
	"io"
)

// injectScanLimit bounds how much of a page is searched for </head>. NetBox's
// head ends within the first few KiB; a page whose head does not end by then
// is streamed on without the script rather than held up.
const injectScanLimit = 64 << 10

// headClose is the tag the script goes in front of, lower case.
var headClose = [...]byte{'<', '/', 'h', 'e', 'a', 'd'}

// headInjector copies an HTML body to out and writes tag right before the
// first "</head" followed by ">", "/" or whitespace (so "</header>" does not
// count), matched case-insensitively and across Write boundaries.
//
// It streams: the only bytes it holds back are the up to six bytes of a
// partial "</head" at the end of a Write, which it needs to see the next
// byte of. After the tag is written, or once injectScanLimit bytes were
// searched in vain, every Write goes straight to out.
//
// The search is a plain byte match, not an HTML parser: a "</head>" inside a
// comment or a script string in the head would be taken for the real one.
// NetBox's templates have none.
type headInjector struct {
	out     io.Writer
	tag     []byte
	matched int                  // bytes of headClose matched so far
	pending [len(headClose)]byte // those bytes, not yet written
	scanned int                  // bytes searched so far
	done    bool                 // tag written, or the search given up
}

func (h *headInjector) reset(out io.Writer, tag []byte) {
	*h = headInjector{out: out, tag: tag}
}

// Injected reports whether the tag has been written.
func (h *headInjector) Injected() bool { return h.done && h.tag == nil }

func (h *headInjector) Write(p []byte) (int, error) {
	if h.done {
		return h.out.Write(p)
	}
	held := h.matched // h.pending[:held] precedes p in the stream
	for i := 0; i < len(p); i++ {
		if h.matched == 0 {
			// Outside a match only a '<' matters: skip to the next one.
			skip := bytes.IndexByte(p[i:], '<')
			if skip < 0 {
				skip = len(p) - i
			}
			if h.scanned+skip > injectScanLimit {
				return h.giveUp(p, held)
			}
			h.scanned += skip
			if i += skip; i == len(p) {
				break
			}
		}
		if h.scanned == injectScanLimit {
			return h.giveUp(p, held)
		}
		h.scanned++
		c := p[i]
		if h.matched == len(headClose) {
			if isTagEnd(c) {
				return len(p), h.insert(p, held, held+i-len(headClose))
			}
			h.matched = 0
		}
		switch {
		case lowerASCII(c) == headClose[h.matched]:
			h.matched++
		case c == '<':
			h.matched = 1
		default:
			h.matched = 0
		}
	}
	// No tag yet: write all but the partial match at the end of the stream.
	total := held + len(p)
	flush := total - h.matched
	if flush <= held {
		// The partial match spans the held bytes and all of p.
		if err := h.write(h.pending[:flush]); err != nil {
			return 0, err
		}
		n := copy(h.pending[:], h.pending[flush:held])
		copy(h.pending[n:], p)
		return len(p), nil
	}
	if err := h.write(h.pending[:held]); err != nil {
		return 0, err
	}
	if err := h.write(p[:flush-held]); err != nil {
		return 0, err
	}
	copy(h.pending[:], p[flush-held:])
	return len(p), nil
}

// insert writes the stream (held bytes, then p) with the tag at offset at.
func (h *headInjector) insert(p []byte, held, at int) error {
	h.done = true
	tag := h.tag
	h.tag = nil
	if at < held {
		return h.writeAll(h.pending[:at], tag, h.pending[at:held], p)
	}
	return h.writeAll(h.pending[:held], p[:at-held], tag, p[at-held:])
}

// giveUp stops searching: the held bytes and p go out, and so does
// everything after.
func (h *headInjector) giveUp(p []byte, held int) (int, error) {
	h.done = true
	h.matched = 0
	if err := h.writeAll(h.pending[:held], p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close writes out what is held when the body ends without a "</head".
func (h *headInjector) Close() error {
	if h.done {
		return nil
	}
	h.done = true
	held := h.matched
	h.matched = 0
	return h.write(h.pending[:held])
}

func (h *headInjector) writeAll(parts ...[]byte) error {
	for _, b := range parts {
		if err := h.write(b); err != nil {
			return err
		}
	}
	return nil
}

func (h *headInjector) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, err := h.out.Write(b)
	return err
}

func isTagEnd(c byte) bool {
	switch c {
	case '>', '/', ' ', '\t', '\n', '\r', '\f':
		return true
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
