package oidcstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// countingStorage counts the storage calls, to prove the hot path has none.
type countingStorage struct {
	certmagic.Storage
	mu    sync.Mutex
	loads int
}

func (c *countingStorage) Load(ctx context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	c.loads++
	c.mu.Unlock()
	return c.Storage.Load(ctx, key)
}

func (c *countingStorage) Loads() int { c.mu.Lock(); defer c.mu.Unlock(); return c.loads }

func newTestStore(t *testing.T, dir string, clock *fakeClock, keys ...[]byte) (*Store, *countingStorage) {
	t.Helper()
	if len(keys) == 0 {
		keys = [][]byte{testKey(1)}
	}
	cs := &countingStorage{Storage: &certmagic.FileStorage{Path: dir}}
	return New(Config{Storage: cs, Sealer: mustSealer(t, keys...), Now: clock.Now}), cs
}

func testRecord(now time.Time) *Record {
	return &Record{
		Version: 1, Subject: "sub-1", Identity: Identity{User: "alice", Groups: []string{"noc"}},
		AccessToken: "at-1", RefreshToken: "rt-1", IDToken: "id-1",
		TokenExpiry: now.Add(5 * time.Minute), RefreshAt: now.Add(4 * time.Minute),
		CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	}
}

func TestStoreSavedRecordIsEncryptedUnderAHashedKey(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{now: time.Now()}
	s, _ := newTestStore(t, dir, clock)
	id := NewID()
	if err := s.Save(t.Context(), id, testRecord(clock.Now())); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, filepath.FromSlash(StorageKey(id)))
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("record not at its hashed key: %v", err)
	}
	for _, secret := range []string{"rt-1", "at-1", "alice", id} {
		if strings.Contains(string(data), secret) || strings.Contains(file, secret) {
			t.Errorf("%q readable in the storage (%s)", secret, file)
		}
	}
}

func TestStoreGetServesFromCacheWithoutStorageIO(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	s, storage := newTestStore(t, t.TempDir(), clock)
	id := NewID()
	if err := s.Save(t.Context(), id, testRecord(clock.Now())); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if rec, err := s.Get(t.Context(), id); err != nil || rec.Identity.User != "alice" {
			t.Fatalf("Get = %+v, %v", rec, err)
		}
	}
	if n := storage.Loads(); n != 0 {
		t.Fatalf("%d storage loads for cached reads, want 0", n)
	}
	clock.Advance(DefaultRevalidateAfter)
	if _, err := s.Get(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if n := storage.Loads(); n != 1 {
		t.Fatalf("%d storage loads after the revalidation interval, want 1", n)
	}
}

func TestStoreSharedStorage(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{now: time.Now()}
	a, _ := newTestStore(t, dir, clock)
	b, _ := newTestStore(t, dir, clock)
	id := NewID()
	rec := testRecord(clock.Now())
	if err := a.Save(t.Context(), id, rec); err != nil {
		t.Fatal(err)
	}

	t.Run("another instance reads it", func(t *testing.T) {
		got, err := b.Get(t.Context(), id)
		if err != nil || got.RefreshToken != "rt-1" {
			t.Fatalf("Get = %+v, %v", got, err)
		}
	})
	t.Run("reload sees the other instance's renewal", func(t *testing.T) {
		renewed := *rec
		renewed.Version, renewed.RefreshToken = 2, "rt-2"
		if err := a.Save(t.Context(), id, &renewed); err != nil {
			t.Fatal(err)
		}
		if got := b.Cached(id); got == nil || got.RefreshToken != "rt-1" {
			t.Fatalf("precondition: b's cache holds %+v", got)
		}
		got, err := b.Reload(t.Context(), id)
		if err != nil || got.RefreshToken != "rt-2" || b.Cached(id).RefreshToken != "rt-2" {
			t.Fatalf("Reload = %+v, %v", got, err)
		}
	})
	t.Run("logout on one instance ends it on the other after revalidation", func(t *testing.T) {
		if err := a.Delete(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		clock.Advance(DefaultRevalidateAfter)
		if got, err := b.Get(t.Context(), id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after delete = %+v, %v", got, err)
		}
	})
}

func TestStoreTreatsUnreadableRecordsAsNoSession(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir, id string)
		reader [][]byte
	}{
		{"tampered record", func(t *testing.T, dir, id string) {
			file := filepath.Join(dir, filepath.FromSlash(StorageKey(id)))
			data, _ := os.ReadFile(file)
			data[len(data)-1] ^= 1
			if err := os.WriteFile(file, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"record moved to another session's key", func(t *testing.T, dir, id string) {
			src := filepath.Join(dir, filepath.FromSlash(StorageKey(id)))
			data, _ := os.ReadFile(src)
			if err := os.WriteFile(src, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			// The attacker's own session id now points at the victim's record.
			other := filepath.Join(dir, filepath.FromSlash(StorageKey(attackerID)))
			if err := os.WriteFile(other, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"foreign key", func(*testing.T, string, string) {}, [][]byte{testKey(99)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			clock := &fakeClock{now: time.Now()}
			writer, _ := newTestStore(t, dir, clock)
			id := NewID()
			if err := writer.Save(t.Context(), id, testRecord(clock.Now())); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, dir, id)
			reader, _ := newTestStore(t, dir, clock, tt.reader...)
			for _, lookup := range []string{id, attackerID} {
				if got, err := reader.Get(t.Context(), lookup); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Get(%s) = %+v, %v; want ErrNotFound", Handle(lookup), got, err)
				}
			}
		})
	}
}

var attackerID = NewID()

func TestStoreExpiredRecordIsNotFound(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	s, _ := newTestStore(t, t.TempDir(), clock)
	id := NewID()
	if err := s.Save(t.Context(), id, testRecord(clock.Now())); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if _, err := s.Get(t.Context(), id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get past ExpiresAt: %v, want ErrNotFound", err)
	}
}

func TestStoreSweepRemovesOnlyStaleRecords(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{now: time.Now()}
	s, _ := newTestStore(t, dir, clock)
	stale, fresh := NewID(), NewID()
	for _, id := range []string{stale, fresh} {
		if err := s.Save(t.Context(), id, testRecord(clock.Now())); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(StorageKey(stale))), old, old); err != nil {
		t.Fatal(err)
	}
	n, err := s.Sweep(t.Context(), time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1 removed", n, err)
	}
	if _, err := s.Reload(t.Context(), stale); !errors.Is(err, ErrNotFound) {
		t.Errorf("stale record survived: %v", err)
	}
	if _, err := s.Reload(t.Context(), fresh); err != nil {
		t.Errorf("fresh record removed: %v", err)
	}
}

func TestStoreSweepWithoutSessionsDirectory(t *testing.T) {
	s, _ := newTestStore(t, t.TempDir(), &fakeClock{now: time.Now()})
	if n, err := s.Sweep(t.Context(), time.Hour); n != 0 || err != nil {
		t.Fatalf("Sweep on empty storage = %d, %v", n, err)
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{NewID(), true},
		{"", false},
		{strings.Repeat("a", 42), false},
		{strings.Repeat("a", 42) + "=", false},
		{strings.Repeat("a", 42) + "/", false},
		{strings.Repeat("a", 44), false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
