package fabricsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/hhgate/hhgate/k8ssync"
)

// Storage is the part of Caddy's storage (certmagic.Storage) the runtime
// uses: a lock that is a lease (renewed while held, stale after its holder
// died) and small records. Load of a missing key returns an error for
// which errors.Is(err, fs.ErrNotExist) holds, as certmagic's do.
type Storage interface {
	Lock(ctx context.Context, name string) error
	Unlock(ctx context.Context, name string) error
	Store(ctx context.Context, key string, value []byte) error
	Load(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, path string, recursive bool) ([]string, error)
}

// resultRecord is the last result of a fabric's sync, stored by the lock
// holder before it unlocks, for presses waiting on other gateways. Seq
// counts the fabric's syncs. No secrets: Result never holds any.
type resultRecord struct {
	Seq      int             `json:"seq"`
	Finished time.Time       `json:"finished"`
	Result   *k8ssync.Result `json:"result,omitempty"`
}

// pendingRecord is a final status NetBox did not take, kept for retries.
type pendingRecord struct {
	Seq    int             `json:"seq"`
	Since  time.Time       `json:"since"`
	Status json.RawMessage `json:"status"`
}

// keys names a fabric's lock and records under hhgate/sync/<namespace>/.
type keys struct{ lock, result, pending string }

func (rt *Runtime) keys(fabricID int) keys {
	base := fmt.Sprintf("%sfabric-%d", rt.prefix(), fabricID)
	return keys{lock: base, result: base + "/result.json", pending: base + "/pending-status.json"}
}

func (rt *Runtime) prefix() string {
	ns := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, strings.ToLower(rt.cfg.Namespace))
	return "hhgate/sync/" + ns + "/"
}

func (rt *Runtime) loadResult(ctx context.Context, k keys) (resultRecord, error) {
	var rec resultRecord
	b, err := rt.storage.Load(ctx, k.result)
	if errors.Is(err, fs.ErrNotExist) {
		return rec, nil
	}
	if err != nil {
		return rec, err
	}
	return rec, json.Unmarshal(b, &rec)
}

func (rt *Runtime) loadPending(ctx context.Context, key string) (pendingRecord, bool) {
	var rec pendingRecord
	b, err := rt.storage.Load(ctx, key)
	if err != nil || json.Unmarshal(b, &rec) != nil {
		return rec, false
	}
	return rec, true
}

func (rt *Runtime) store(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return rt.storage.Store(ctx, key, b)
}

// MemoryStorage is a Storage for one process (tests, or no Caddy).
type MemoryStorage struct {
	mu     sync.Mutex
	locks  map[string]chan struct{}
	values map[string][]byte
}

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage {
	return &MemoryStorage{locks: map[string]chan struct{}{}, values: map[string][]byte{}}
}

// Lock waits until name is free or ctx ends.
func (m *MemoryStorage) Lock(ctx context.Context, name string) error {
	for {
		m.mu.Lock()
		held, ok := m.locks[name]
		if !ok {
			m.locks[name] = make(chan struct{})
			m.mu.Unlock()
			return nil
		}
		m.mu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Unlock frees name.
func (m *MemoryStorage) Unlock(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	held, ok := m.locks[name]
	if !ok {
		return fmt.Errorf("unlock %s: not locked", name)
	}
	delete(m.locks, name)
	close(held)
	return nil
}

// Store sets key.
func (m *MemoryStorage) Store(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[key] = append([]byte(nil), value...)
	return nil
}

// Load reads key.
func (m *MemoryStorage) Load(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[key]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return append([]byte(nil), v...), nil
}

// Delete removes key.
func (m *MemoryStorage) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.values, key)
	return nil
}

// List returns the keys under path.
func (m *MemoryStorage) List(_ context.Context, path string, _ bool) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.values {
		if strings.HasPrefix(k, strings.TrimSuffix(path, "/")+"/") {
			out = append(out, k)
		}
	}
	return out, nil
}
