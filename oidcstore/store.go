package oidcstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"golang.org/x/sync/singleflight"
)

// KeyPrefix is where session records live in the storage.
const KeyPrefix = "hhgate/sessions/"

// idBytes is the entropy of a session id.
const idBytes = 32

// DefaultRevalidateAfter is how long a cached record is trusted before the
// next request re-reads it from the storage, so that a logout on another
// gateway instance takes effect here too: within this time (plus one
// storage read). It costs one read per session and interval, not per
// request.
const DefaultRevalidateAfter = 3 * time.Second

// ErrNotFound means there is no usable session under an id: none was
// stored, it was deleted, or its record cannot be opened (tampered, or
// sealed with a key that is no longer configured).
var ErrNotFound = errors.New("no such session")

// Store keeps session records in a certmagic.Storage, sealed, with an
// in-memory cache in front. It is safe for concurrent use; several Stores
// (in one process or several) may share one storage.
type Store struct {
	storage         certmagic.Storage
	sealer          *Sealer
	now             func() time.Time
	revalidateAfter time.Duration

	mu    sync.RWMutex
	cache map[string]cached // by session id; process memory only
	// reloads makes the requests that find a record due for revalidation
	// together share one storage read.
	reloads singleflight.Group
}

type cached struct {
	rec     *Record
	checked time.Time // when the record was last read from or written to storage
}

// Config configures a Store.
type Config struct {
	Storage certmagic.Storage
	Sealer  *Sealer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// RevalidateAfter defaults to DefaultRevalidateAfter.
	RevalidateAfter time.Duration
}

// New builds a Store.
func New(cfg Config) *Store {
	s := &Store{
		storage:         cfg.Storage,
		sealer:          cfg.Sealer,
		now:             cfg.Now,
		revalidateAfter: cfg.RevalidateAfter,
		cache:           map[string]cached{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.revalidateAfter <= 0 {
		s.revalidateAfter = DefaultRevalidateAfter
	}
	return s
}

// NewID returns a fresh random session id (43 characters, URL-safe).
func NewID() string {
	b := make([]byte, idBytes)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ValidID reports whether id has the shape NewID gives, so that junk cookie
// values cost no storage lookup.
func ValidID(id string) bool {
	if len(id) != base64.RawURLEncoding.EncodedLen(idBytes) {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// StorageKey is the storage key of a session: a hash of its id, so that
// whoever can read the storage cannot present the id as a cookie.
func StorageKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return KeyPrefix + hex.EncodeToString(sum[:])
}

// Handle is a short, loggable name for a session (a prefix of its storage
// key); it reveals nothing usable.
func Handle(id string) string {
	return strings.TrimPrefix(StorageKey(id), KeyPrefix)[:12]
}

// Get returns the session's record: from the cache while it was read or
// written less than RevalidateAfter ago, else from the storage. An expired
// record (past ExpiresAt) is ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	now := s.now()
	s.mu.RLock()
	c, ok := s.cache[id]
	s.mu.RUnlock()
	if ok && now.Sub(c.checked) < s.revalidateAfter {
		if !now.Before(c.rec.ExpiresAt) {
			return nil, ErrNotFound
		}
		return c.rec, nil
	}
	v, err, _ := s.reloads.Do(id, func() (any, error) {
		// Shared by several requests: one of them ending must not fail the others.
		return s.Reload(context.WithoutCancel(ctx), id)
	})
	if err != nil {
		return nil, err
	}
	rec := v.(*Record)
	if !now.Before(rec.ExpiresAt) {
		return nil, ErrNotFound
	}
	return rec, nil
}

// Cached returns the cached record, or nil; it never touches the storage.
func (s *Store) Cached(id string) *Record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c, ok := s.cache[id]; ok {
		return c.rec
	}
	return nil
}

// Reload reads the record from the storage and caches it. Another instance
// may have renewed or ended the session: this is how it is seen. A cached
// record newer than the stored one (a save that failed) is kept.
func (s *Store) Reload(ctx context.Context, id string) (*Record, error) {
	key := StorageKey(id)
	sealed, err := s.storage.Load(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		s.forget(id)
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("loading session %s: %w", Handle(id), err)
	}
	plain, err := s.sealer.Open(sealed, []byte(key))
	if err != nil {
		s.forget(id)
		return nil, fmt.Errorf("%w: session %s: %v", ErrNotFound, Handle(id), err)
	}
	var rec Record
	if err := json.Unmarshal(plain, &rec); err != nil {
		s.forget(id)
		return nil, fmt.Errorf("%w: session %s: malformed record", ErrNotFound, Handle(id))
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cache[id]; ok && c.rec.Version > rec.Version {
		c.checked = now
		s.cache[id] = c
		return c.rec, nil
	}
	s.cache[id] = cached{rec: &rec, checked: now}
	return &rec, nil
}

// Save seals rec and writes it, and caches it even when the write fails (the
// error is returned): this instance keeps working with what the IdP gave.
func (s *Store) Save(ctx context.Context, id string, rec *Record) error {
	s.mu.Lock()
	s.cache[id] = cached{rec: rec, checked: s.now()}
	s.mu.Unlock()
	plain, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encoding session %s: %w", Handle(id), err)
	}
	key := StorageKey(id)
	if err := s.storage.Store(ctx, key, s.sealer.Seal(plain, []byte(key))); err != nil {
		return fmt.Errorf("storing session %s: %w", Handle(id), err)
	}
	return nil
}

// Delete ends the session here and in the storage.
func (s *Store) Delete(ctx context.Context, id string) error {
	s.forget(id)
	if err := s.storage.Delete(ctx, StorageKey(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting session %s: %w", Handle(id), err)
	}
	return nil
}

// Lock takes the session's renewal lock in the storage, which every gateway
// instance sharing the storage honours. The returned function releases it.
func (s *Store) Lock(ctx context.Context, id string) (unlock func(), err error) {
	name := StorageKey(id) + ".refresh"
	if err := s.storage.Lock(ctx, name); err != nil {
		return nil, fmt.Errorf("locking session %s: %w", Handle(id), err)
	}
	return func() {
		// Unlock must not be skipped because the request ended.
		_ = s.storage.Unlock(context.WithoutCancel(ctx), name)
	}, nil
}

// Sweep deletes records not written for longer than maxAge (the session
// TTL: such a record has expired, whatever it holds) and drops expired
// records from the cache. It needs no key, so it also clears records sealed
// with retired keys.
func (s *Store) Sweep(ctx context.Context, maxAge time.Duration) (removed int, err error) {
	now := s.now()
	s.mu.Lock()
	for id, c := range s.cache {
		if !now.Before(c.rec.ExpiresAt) {
			delete(s.cache, id)
		}
	}
	s.mu.Unlock()

	keys, err := s.storage.List(ctx, strings.TrimSuffix(KeyPrefix, "/"), false)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("listing sessions: %w", err)
	}
	for _, key := range keys {
		if !strings.HasPrefix(key, KeyPrefix) {
			continue
		}
		info, err := s.storage.Stat(ctx, key)
		if err != nil || !info.IsTerminal || now.Sub(info.Modified) <= maxAge {
			continue
		}
		if err := s.storage.Delete(ctx, key); err != nil {
			return removed, fmt.Errorf("deleting expired session: %w", err)
		}
		removed++
	}
	return removed, nil
}

func (s *Store) forget(id string) {
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
}
