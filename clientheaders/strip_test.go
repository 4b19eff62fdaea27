package clientheaders

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestStrip(t *testing.T) {
	tests := []struct {
		name    string
		trusted bool
		kept    bool
	}{
		{"Remote-User", false, false},
		{"Remote-User-Group", true, false},
		{"Remote_User", false, false},
		{"X-Remote-User", true, false},
		{"X-Forwarded-User", true, false},
		{"X-Forwarded-Email", true, false},
		{"X-Forwarded-Preferred-Username", true, false},
		{"X-Forwarded-Groups", true, false},
		{"X-Auth-Request-User", true, false},
		{"X-Auth-Request-Email", true, false},
		{"X-Webauth-User", true, false},
		{"X-Ms-Client-Principal-Name", true, false},
		{"X-Real-Ip", true, false},
		{"X-Real-Ip", false, false},
		{"X-Forwarded-For", false, false},
		{"X-Forwarded-For", true, true},
		{"X-Forwarded-Proto", true, true},
		{"X-Forwarded-Prefix", false, false},
		{"Forwarded", false, false},
		{"Forwarded", true, true},
		{"True-Client-Ip", false, false},
		{"Cookie", false, true},
		{"X-Csrftoken", false, true},
		{"Authorization", false, true},
		{"X-Requested-With", false, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header[tt.name] = []string{"forged"}
		Strip(r, tt.trusted)
		if _, kept := r.Header[tt.name]; kept != tt.kept {
			t.Errorf("%s (trusted proxy %v): kept %v, want %v", tt.name, tt.trusted, kept, tt.kept)
		}
	}
}

// TestStripTrailers: trailers are empty when the body has been read, as a
// proxy reads it.
func TestStripTrailers(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader("body"))
	r.Header.Set("Trailer", "Remote-User")
	r.Trailer = http.Header{"Remote-User": nil}
	Strip(r, false)
	if r.Header.Get("Trailer") != "" || len(r.Trailer) != 0 {
		t.Fatalf("announced trailers kept: %v %v", r.Header, r.Trailer)
	}
	// What net/http does at the end of the body:
	inner := r.Body.(*trailerDroppingBody)
	inner.ReadCloser = io.NopCloser(readerThen(strings.NewReader("body"), func() { r.Trailer["Remote-User"] = []string{"admin"} }))
	if _, err := io.ReadAll(r.Body); err != nil {
		t.Fatal(err)
	}
	if len(r.Trailer) != 0 {
		t.Fatalf("trailer values kept: %v", r.Trailer)
	}
}

// readerThen runs atEOF when r is exhausted, before returning io.EOF.
func readerThen(r io.Reader, atEOF func()) io.Reader { return &eofHook{r: r, atEOF: atEOF} }

type eofHook struct {
	r     io.Reader
	atEOF func()
}

func (e *eofHook) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF && e.atEOF != nil {
		e.atEOF()
		e.atEOF = nil
	}
	return n, err
}

func FuzzIsIdentity(f *testing.F) {
	for _, s := range []string{"Remote-User", "remote_user", "X-Forwarded-User", "Cookie", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, c := range name {
			if c > 127 {
				return // header names are ASCII tokens
			}
		}
		if IsIdentity(name) != IsIdentity(strings.ReplaceAll(strings.ToUpper(name), "-", "_")) {
			t.Fatalf("%q: case or _ changes the verdict", name)
		}
	})
}
