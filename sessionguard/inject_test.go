package sessionguard

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const testTag = `<script src="/.hhgate/shim.js" defer></script>`

// injectChunked runs page through a headInjector in writes of the given
// sizes (the last size repeats) and returns the output.
func injectChunked(t *testing.T, page string, sizes ...int) string {
	t.Helper()
	var out bytes.Buffer
	var h headInjector
	h.reset(&out, []byte(testTag))
	rest := []byte(page)
	for i := 0; len(rest) > 0; i++ {
		n := sizes[min(i, len(sizes)-1)]
		n = min(n, len(rest))
		written, err := h.Write(rest[:n])
		if err != nil || written != n {
			t.Fatalf("Write(%q) = %d, %v", rest[:n], written, err)
		}
		rest = rest[n:]
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestHeadInjector(t *testing.T) {
	tests := []struct {
		name string
		page string
		want string // "" means: unchanged
	}{
		{"before </head>", "<html><head><title>x</title></head><body></body></html>",
			"<html><head><title>x</title>" + testTag + "</head><body></body></html>"},
		{"upper case", "<HTML><HEAD></HEAD><BODY>", "<HTML><HEAD>" + testTag + "</HEAD><BODY>"},
		{"mixed case", "<head></HeAd>", "<head>" + testTag + "</HeAd>"},
		{"space before >", "<head></head >x", "<head>" + testTag + "</head >x"},
		{"newline before >", "<head></head\n>x", "<head>" + testTag + "</head\n>x"},
		{"only the first", "<head></head></head>", "<head>" + testTag + "</head></head>"},
		{"</header> is not </head>", "<body><header>h</header></body>", ""},
		{"</header> then </head>", "<head><!-- --></header></head>", "<head><!-- --></header>" + testTag + "</head>"},
		{"no </head>", "<html><body>no head end</body></html>", ""},
		{"partial </hea at the end", "<html></hea", ""},
		{"</head at the very end, no >", "<html></head", ""},
		{"false start then match", "<</</h</head>", "<</</h" + testTag + "</head>"},
		{"empty", "", ""},
		{"at the start", "</head>", testTag + "</head>"},
	}
	for _, tt := range tests {
		want := tt.want
		if want == "" {
			want = tt.page
		}
		// Every chunking: whole, byte by byte, and each split point in two.
		t.Run(tt.name+"/whole", func(t *testing.T) {
			if got := injectChunked(t, tt.page, max(len(tt.page), 1)); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
		t.Run(tt.name+"/bytewise", func(t *testing.T) {
			if got := injectChunked(t, tt.page, 1); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
		for split := 1; split < len(tt.page); split++ {
			if got := injectChunked(t, tt.page, split, len(tt.page)); got != want {
				t.Errorf("%s split at %d: got %q, want %q", tt.name, split, got, want)
			}
		}
	}
}

// TestHeadInjectorGivesUpAfterLimit: a </head> beyond the scan limit is not
// searched for, and the page streams on unchanged.
func TestHeadInjectorGivesUpAfterLimit(t *testing.T) {
	long := "<html><head>" + strings.Repeat("<meta name=x>", injectScanLimit/13+1)
	page := long + "</head><body></body></html>"
	if got := injectChunked(t, page, 4096); got != page {
		t.Errorf("page changed although its </head> is past the limit (got %d bytes, want %d)", len(got), len(page))
	}
	within := "<html><head>" + strings.Repeat("x", injectScanLimit-40) + "</head>"
	if got := injectChunked(t, within, 4096); !strings.Contains(got, testTag+"</head>") {
		t.Errorf("</head> within the limit was not found")
	}
}

// TestHeadInjectorStreams: bytes that cannot be part of "</head" are
// written at once, not held until the end.
func TestHeadInjectorStreams(t *testing.T) {
	var out bytes.Buffer
	var h headInjector
	h.reset(&out, []byte(testTag))
	if _, err := h.Write([]byte("<html><head><title>t</title></he")); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "<html><head><title>t</title>"; got != want {
		t.Fatalf("after the first write: %q, want %q (only the partial </he held back)", got, want)
	}
	if _, err := h.Write([]byte("ad><body>")); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "<html><head><title>t</title>"+testTag+"</head><body>"; got != want {
		t.Fatalf("after the second write: %q, want %q", got, want)
	}
	if !h.Injected() {
		t.Error("Injected() = false after the tag went out")
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestHeadInjectorReportsWriteErrors(t *testing.T) {
	boom := errors.New("client went away")
	var h headInjector
	h.reset(failingWriter{boom}, []byte(testTag))
	if _, err := h.Write([]byte("<head></head>")); !errors.Is(err, boom) {
		t.Errorf("Write error = %v, want %v", err, boom)
	}
}

func TestScriptNonce(t *testing.T) {
	tests := []struct {
		name   string
		header map[string][]string
		want   string
	}{
		{"none", nil, ""},
		{"script-src nonce", map[string][]string{hdrCSP: {"default-src 'self'; script-src 'self' 'nonce-abc123=='"}}, "abc123=="},
		{"script-src-elem wins", map[string][]string{hdrCSP: {"script-src 'nonce-aaa'; script-src-elem 'nonce-bbb'"}}, "bbb"},
		{"default-src fallback", map[string][]string{hdrCSP: {"default-src 'nonce-ddd'"}}, "ddd"},
		{"script-src without nonce beats default-src nonce", map[string][]string{hdrCSP: {"default-src 'nonce-ddd'; script-src 'self'"}}, ""},
		{"case-insensitive keyword", map[string][]string{hdrCSP: {"SCRIPT-SRC 'NONCE-xyz'"}}, "xyz"},
		{"second policy in one header", map[string][]string{hdrCSP: {"img-src 'self', script-src 'nonce-two'"}}, "two"},
		{"report-only when enforced has none", map[string][]string{hdrCSPReportOnly: {"script-src 'nonce-ro'"}}, "ro"},
		{"enforced before report-only", map[string][]string{hdrCSP: {"script-src 'nonce-enf'"}, hdrCSPReportOnly: {"script-src 'nonce-ro'"}}, "enf"},
		{"quote in value refused", map[string][]string{hdrCSP: {`script-src 'nonce-a"b'`}}, ""},
		{"angle bracket refused", map[string][]string{hdrCSP: {`script-src 'nonce-a><script>'`}}, ""},
		{"empty nonce", map[string][]string{hdrCSP: {"script-src 'nonce-'"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scriptNonce(tt.header); got != tt.want {
				t.Errorf("scriptNonce = %q, want %q", got, tt.want)
			}
		})
	}
}

// referenceInject is the injector's specification, the slow way: the tag
// goes before the first "</head" (any case) followed by a tag end, when
// that end lies within the scan limit.
func referenceInject(page, tag string) string {
	for i := 0; i+len(headClose) < len(page) && i+len(headClose) < injectScanLimit; i++ {
		match := true
		for j, c := range headClose {
			if lowerASCII(page[i+j]) != c {
				match = false
				break
			}
		}
		if match && isTagEnd(page[i+len(headClose)]) {
			return page[:i] + tag + page[i:]
		}
	}
	return page
}

// FuzzHeadInjector: however a page is split into writes, the streaming
// injector writes what the reference says. `make test` runs the seeds.
func FuzzHeadInjector(f *testing.F) {
	for _, seed := range []string{
		"<html><head></head><body>", "<HEAD></HEAD >", "</header></head/>", "<</<</h</he</hea</head\t",
		"no head", "</head", "</HEAD>", "x</head>y</head>z",
	} {
		f.Add(seed, uint8(3))
	}
	f.Fuzz(func(t *testing.T, page string, chunk uint8) {
		size := int(chunk%16) + 1
		if got, want := injectChunked(t, page, size), referenceInject(page, testTag); got != want {
			t.Errorf("page %q in %d-byte writes:\n got %q\nwant %q", page, size, got, want)
		}
	})
}
