package sessionguard

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// discardWriter is a ResponseWriter that keeps one header map and throws the
// body away, so that the benchmarks count the guard's work, not the recorder's.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

var jsonBody = []byte(`{"count":1,"next":null,"previous":null,"results":[{"id":1,"name":"leaf-01","status":"active"}]}`)

// upstreamJSON answers like a NetBox API list: nothing the guard rewrites.
func upstreamJSON(w http.ResponseWriter, _ *http.Request) error {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(jsonBody)
	return err
}

func passthroughRequests() (programmatic, navigation *http.Request) {
	programmatic = httptest.NewRequest(http.MethodGet, "http://netbox.example.org/api/dcim/devices/", nil)
	programmatic.Header.Set("Sec-Fetch-Mode", "cors")
	navigation = httptest.NewRequest(http.MethodGet, "http://netbox.example.org/dcim/devices/", nil)
	navigation.Header.Set("Sec-Fetch-Mode", "navigate")
	return programmatic, navigation
}

// BenchmarkPassthrough compares the same upstream answer served without the
// guard, and through it for a navigation and for a programmatic request
// (the only kind the guard wraps). `make bench` prints it.
func BenchmarkPassthrough(b *testing.B) {
	g := newTestGuard(b)
	programmatic, navigation := passthroughRequests()
	w := &discardWriter{h: http.Header{}}
	b.Run("without-guard", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			_ = upstreamJSON(w, programmatic)
		}
	})
	b.Run("guard-navigation", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			_ = g.Serve(w, navigation, upstreamJSON)
		}
	})
	b.Run("guard-programmatic", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			_ = g.Serve(w, programmatic, upstreamJSON)
		}
	})
}

// TestPassthroughAllocationBudget holds the guard to its budget: no extra
// allocation for a navigation, at most two for a programmatic request whose
// answer passes through. Allocation counts are deterministic, unlike timings.
func TestPassthroughAllocationBudget(t *testing.T) {
	g := newTestGuard(t)
	programmatic, navigation := passthroughRequests()
	w := &discardWriter{h: http.Header{}}
	measure := func(f func()) float64 { return testing.AllocsPerRun(200, func() { clear(w.h); f() }) }
	base := measure(func() { _ = upstreamJSON(w, programmatic) })
	nav := measure(func() { _ = g.Serve(w, navigation, upstreamJSON) })
	prog := measure(func() { _ = g.Serve(w, programmatic, upstreamJSON) })
	if nav-base != 0 {
		t.Errorf("navigation: %v extra allocations, want 0", nav-base)
	}
	if prog-base > 2 {
		t.Errorf("programmatic passthrough: %v extra allocations, want ≤ 2", prog-base)
	}
}
