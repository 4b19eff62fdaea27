package oidcsession

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/hhgate/hhgate/oidcstore"
	"github.com/hhgate/hhgate/sessionguard"
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
// it is due) and a guard as in the drop-in route.
func liveHandler(tb testing.TB, storage certmagic.Storage) (*Handler, *sessionguard.Guard, string) {
	tb.Helper()
	h, err := New(Config{
		Issuer: "https://idp.example.com", ClientID: "netbox", ClientSecret: "s3cret",
		SessionKeys: []string{testSessionKey}, Storage: storage,
	})
	if err != nil {
		tb.Fatal(err)
	}
	g, err := sessionguard.New(sessionguard.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
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
	return h, g, id
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
	h, g, id := liveHandler(t, storage)
	before := storage.calls.Load()
	for range 1000 {
		r := authenticatedRequest(id)
		w := &discardWriter{h: http.Header{}}
		var user string
		if err := h.Serve(w, r, func(w http.ResponseWriter, r *http.Request) error {
			user = r.Header.Get("Remote-User")
			return g.Serve(w, r, upstreamJSON)
		}); err != nil || user != "alice" {
			t.Fatalf("Serve: %v, user %q", err, user)
		}
	}
	if n := storage.calls.Load() - before; n != 0 {
		t.Fatalf("%d storage calls for 1000 authenticated requests, want 0", n)
	}
}

// BenchmarkAuthenticatedPassthrough compares the guard-only chain with the
// OIDC handler in front of it, for an authenticated API fetch whose answer
// passes untouched. `make bench` can report the ratio.
func BenchmarkAuthenticatedPassthrough(b *testing.B) {
	h, g, id := liveHandler(b, &certmagic.FileStorage{Path: b.TempDir()})
	guardOnly := func(w http.ResponseWriter, r *http.Request) error { return g.Serve(w, r, upstreamJSON) }
	template := authenticatedRequest(id)
	w := &discardWriter{h: http.Header{}}
	b.Run("guard-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			r := template.Clone(template.Context())
			_ = guardOnly(w, r)
		}
	})
	b.Run("oidc+guard", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			r := template.Clone(template.Context())
			_ = h.Serve(w, r, guardOnly)
		}
	})
}
