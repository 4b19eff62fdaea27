package oidcsession

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/hhgate/hhgate/oidcstore"
)

// ioCountingStorage counts every storage call.
type ioCountingStorage struct {
	certmagic.Storage
	calls atomic.Int64
}

func (s *ioCountingStorage) Load(ctx context.Context, key string) ([]byte, error) {
	s.calls.Add(1)
	return s.Storage.Load(ctx, key)
}

func (s *ioCountingStorage) Store(ctx context.Context, key string, value []byte) error {
	s.calls.Add(1)
	return s.Storage.Store(ctx, key, value)
}

func (s *ioCountingStorage) Lock(ctx context.Context, name string) error {
	s.calls.Add(1)
	return s.Storage.Lock(ctx, name)
}

func (s *ioCountingStorage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	s.calls.Add(1)
	return s.Storage.Stat(ctx, key)
}

// discardWriter keeps one header map and drops the body.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

var apiListBody = []byte(`{"count":1,"next":null,"previous":null,"results":[{"id":1,"name":"leaf-01","status":"active"}]}`)

func upstreamJSON(w http.ResponseWriter, _ *http.Request) error {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(apiListBody)
	return err
}

// liveHandler is a Handler holding one fresh session (no IdP needed until
// it is due).
func liveHandler(tb testing.TB, storage certmagic.Storage) (*Handler, string) {
	tb.Helper()
	now := time.Now()
	h, err := New(Config{
		Issuer: "https://idp.example.com", ClientID: "netbox", ClientSecret: "s3cret",
		SessionKeys: []string{testSessionKey}, Storage: storage,
		// A still clock: within session_cache_ttl a live session costs no
		// storage I/O, however long the test or benchmark runs.
		Now: func() time.Time { return now },
	})
	if err != nil {
		tb.Fatal(err)
	}
	id := oidcstore.NewID()
	rec := &oidcstore.Record{
		Version: 1, Subject: "s", Identity: oidcstore.Identity{User: "alice", Email: "alice@example.com", FirstName: "Alice",
			LastName: "Liddell", Groups: []string{"netbox-admins", "noc"}},
		RefreshToken: "rt", TokenExpiry: now.Add(time.Hour), RefreshAt: now.Add(time.Hour),
		CreatedAt: now, ExpiresAt: now.Add(2 * time.Hour),
	}
	if err := h.store.Save(tb.Context(), id, rec); err != nil {
		tb.Fatal(err)
	}
	return h, id
}

func authenticatedRequest(id string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://netbox.example.org/api/dcim/devices/", nil)
	r.Header.Set("Sec-Fetch-Mode", "cors")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Cookie", "csrftoken=abc123; sessionid=def456; "+DefaultCookieName+"="+id)
	return r
}

// TestAuthenticatedRequestsDoNoStorageIO: a live session is served from
// memory; the storage is not touched per request.
func TestAuthenticatedRequestsDoNoStorageIO(t *testing.T) {
	storage := &ioCountingStorage{Storage: &certmagic.FileStorage{Path: t.TempDir()}}
	h, id := liveHandler(t, storage)
	before := storage.calls.Load()
	for range 1000 {
		r := authenticatedRequest(id)
		w := &discardWriter{h: http.Header{}}
		var user string
		if err := h.Serve(w, r, func(w http.ResponseWriter, r *http.Request) error {
			user = r.Header.Get("Remote-User")
			return upstreamJSON(w, r)
		}); err != nil || user != "alice" {
			t.Fatalf("Serve: %v, user %q", err, user)
		}
	}
	if n := storage.calls.Load() - before; n != 0 {
		t.Fatalf("%d storage calls for 1000 authenticated requests, want 0", n)
	}
}

// BenchmarkAuthenticatedPassthrough compares the upstream alone with the
// OIDC handler in front of it (the guard, the same in both chains, is left
// out), for an authenticated API fetch whose answer passes untouched. `make bench` can report the ratio.
func BenchmarkAuthenticatedPassthrough(b *testing.B) {
	h, id := liveHandler(b, &certmagic.FileStorage{Path: b.TempDir()})
	template := authenticatedRequest(id)
	w := &discardWriter{h: http.Header{}}
	b.Run("without-oidc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			r := template.Clone(template.Context())
			_ = upstreamJSON(w, r)
		}
	})
	b.Run("oidc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			r := template.Clone(template.Context())
			_ = h.Serve(w, r, upstreamJSON)
		}
	})
}

// BenchmarkAuthenticatedProxyRatio measures both chains as a browser sees
// them: real HTTP on loopback to a gateway (the handlers in front of a
// reverse proxy) and from it to an upstream. Each iteration sends one
// authenticated API request through a gateway without the OIDC handler and
// one through a gateway with it, alternating so drift hits both alike, and
// reports the throughput ratio (target ≥ 0.95) next to the per-request
// times and the storage calls per request (target 0).
func BenchmarkAuthenticatedProxyRatio(b *testing.B) {
	storage := &ioCountingStorage{Storage: &certmagic.FileStorage{Path: b.TempDir()}}
	h, id := liveHandler(b, storage)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(apiListBody)
	}))
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	toUpstream := func(w http.ResponseWriter, r *http.Request) error { proxy.ServeHTTP(w, r); return nil }
	withoutOIDC := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = toUpstream(w, r)
	}))
	defer withoutOIDC.Close()
	withOIDC := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h.Serve(w, r, toUpstream)
	}))
	defer withOIDC.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	send := func(base string) time.Duration {
		req := authenticatedRequest(id)
		req.URL, _ = url.Parse(base + "/api/dcim/devices/")
		req.RequestURI, req.Host = "", ""
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("%s: status %d", base, res.StatusCode)
		}
		return time.Since(start)
	}
	send(withoutOIDC.URL) // warm the connections
	send(withOIDC.URL)
	before := storage.calls.Load()
	var plain, oidc time.Duration
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			plain += send(withoutOIDC.URL)
			oidc += send(withOIDC.URL)
		} else {
			oidc += send(withOIDC.URL)
			plain += send(withoutOIDC.URL)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(plain.Nanoseconds())/n, "ns/req-without-oidc")
	b.ReportMetric(float64(oidc.Nanoseconds())/n, "ns/req-oidc")
	b.ReportMetric(float64(plain)/float64(oidc), "throughput-ratio")
	b.ReportMetric(float64(storage.calls.Load()-before)/n, "storage-calls/req")
}
