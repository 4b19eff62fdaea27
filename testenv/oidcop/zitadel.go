package oidcop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is an account at the OP.
type User struct {
	ID, Username, Password     string
	FirstName, LastName, Email string
	// Groups go into the "groups" claim of the userinfo answer.
	Groups []string
}

// DefaultUser is the account a Zitadel OP has when no users are given.
var DefaultUser = User{
	ID: "u-alice", Username: "alice", Password: "alice-sso-password",
	FirstName: "Alice", LastName: "Liddell", Email: "alice@example.com", Groups: []string{"netbox-admins", "noc"},
}

// ZitadelOptions configures StartZitadel / RunZitadel.
type ZitadelOptions struct {
	// Users default to DefaultUser.
	Users []User
	// AccessTTL, IDTokenTTL and RefreshTTL are the token lifetimes on Clock
	// (defaults 5m, 1h, 5h: the example OP's).
	AccessTTL, IDTokenTTL, RefreshTTL time.Duration
	// Clock times the tokens (default: the real time).
	Clock *Clock
	// Addr is where to listen (default 127.0.0.1, a free port).
	Addr string
}

// Client is a relying party registered at the OP.
type Client struct {
	ID, Secret             string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
}

// Zitadel is a running zitadel/oidc example OP.
type Zitadel struct {
	// Issuer is the OP's issuer URL (http://127.0.0.1:PORT).
	Issuer string
	// Calls counts the token-endpoint calls.
	Calls *TokenCalls

	store  *lifetimeStorage
	server *httptest.Server
	outage atomic.Bool
}

// StartZitadel starts the OP and stops it when the test ends.
func StartZitadel(t testing.TB, opts ZitadelOptions) *Zitadel {
	t.Helper()
	z, err := RunZitadel(opts)
	if err != nil {
		t.Fatalf("zitadel OP: %v", err)
	}
	t.Cleanup(z.Close)
	return z
}

// quietOnce silences the example OP's request log, which it writes through
// the process-wide slog default.
var quietOnce sync.Once

// RunZitadel is StartZitadel without testing.TB (for the demo). Close stops it.
func RunZitadel(opts ZitadelOptions) (*Zitadel, error) {
	if len(opts.Users) == 0 {
		opts.Users = []User{DefaultUser}
	}
	if opts.AccessTTL == 0 {
		opts.AccessTTL = 5 * time.Minute
	}
	if opts.IDTokenTTL == 0 {
		opts.IDTokenTTL = time.Hour
	}
	if opts.RefreshTTL == 0 {
		opts.RefreshTTL = 5 * time.Hour
	}
	if opts.Clock == nil {
		opts.Clock = NewClock()
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	issuer := "http://" + ln.Addr().String()

	users := newUserStore(opts.Users)
	st := &lifetimeStorage{
		Storage:       storage.NewStorageWithClients(users, map[string]*storage.Client{}),
		users:         users,
		opts:          opts,
		clients:       map[string]Client{},
		refreshIssued: map[string]time.Time{},
	}
	var logger *slog.Logger
	quietOnce.Do(func() { logger = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	router := exampleop.SetupServer(issuer, st, logger, false)

	z := &Zitadel{Issuer: issuer, Calls: &TokenCalls{}, store: st}
	srv := httptest.NewUnstartedServer(z.Calls.middleware("/oauth/token", z.unlessDown(router)))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	z.server = srv
	if err := z.checkTokenPath(); err != nil {
		srv.Close()
		return nil, err
	}
	return z, nil
}

// checkTokenPath makes sure the counter watches the endpoint the OP announces.
func (z *Zitadel) checkTokenPath() error {
	resp, err := http.Get(z.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var doc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return err
	}
	if u, err := url.Parse(doc.TokenEndpoint); err != nil || u.Path != "/oauth/token" {
		return fmt.Errorf("token endpoint %q moved: update the counter", doc.TokenEndpoint)
	}
	return nil
}

// Close stops the OP.
func (z *Zitadel) Close() { z.server.Close() }

// SetOutage makes every endpoint answer 503 (down is true) or work again,
// as an IdP that is down or behind a failing load balancer.
func (z *Zitadel) SetOutage(down bool) { z.outage.Store(down) }

func (z *Zitadel) unlessDown(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if z.outage.Load() {
			http.Error(w, "identity provider unavailable", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RegisterClient adds or replaces a relying party (also after start).
func (z *Zitadel) RegisterClient(c Client) {
	z.store.mu.Lock()
	defer z.store.mu.Unlock()
	z.store.clients[c.ID] = c
}

// EndUserSessions deletes every token the OP issued to the user for the
// client, as an IdP-side logout or an administrator's revocation does: the
// refresh tokens stop working.
func (z *Zitadel) EndUserSessions(userID, clientID string) {
	_ = z.store.Storage.TerminateSession(context.Background(), userID, clientID)
}

// lifetimeStorage is the example OP's storage with lifetimes on the test's
// clock, a client registry that can change while the OP runs, and groups
// in the userinfo answer.
type lifetimeStorage struct {
	*storage.Storage
	users *userStore
	opts  ZitadelOptions

	mu            sync.Mutex
	clients       map[string]Client
	refreshIssued map[string]time.Time // refresh token -> issued, on Clock
}

func (s *lifetimeStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	c, ok := s.clients[id]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("client not found")
	}
	return &lifetimeClient{
		Client:     storage.WebClient(c.ID, c.Secret, c.RedirectURIs...),
		idTTL:      s.opts.IDTokenTTL,
		clock:      s.opts.Clock,
		postLogout: c.PostLogoutRedirectURIs,
	}, nil
}

func (s *lifetimeStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; !ok || c.Secret != secret {
		return fmt.Errorf("invalid client")
	}
	return nil
}

func (s *lifetimeStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	id, _, err := s.Storage.CreateAccessToken(ctx, req)
	return id, s.opts.Clock.Now().Add(s.opts.AccessTTL), err
}

func (s *lifetimeStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	id, refresh, _, err := s.Storage.CreateAccessAndRefreshTokens(ctx, req, current)
	if err != nil {
		return "", "", time.Time{}, err
	}
	now := s.opts.Clock.Now()
	s.mu.Lock()
	delete(s.refreshIssued, current)
	s.refreshIssued[refresh] = now
	s.mu.Unlock()
	return id, refresh, now.Add(s.opts.AccessTTL), nil
}

// TokenRequestByRefreshToken refuses refresh tokens older than RefreshTTL
// on the clock; the OP answers invalid_grant.
func (s *lifetimeStorage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	issued, ok := s.refreshIssued[token]
	s.mu.Unlock()
	if ok && s.opts.Clock.Now().After(issued.Add(s.opts.RefreshTTL)) {
		return nil, fmt.Errorf("refresh token expired")
	}
	return s.Storage.TokenRequestByRefreshToken(ctx, token)
}

func (s *lifetimeStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	if u, ok := s.users.byID[info.Subject]; ok && len(u.Groups) > 0 {
		info.AppendClaims("groups", u.Groups)
	}
	return nil
}

// lifetimeClient gives ID tokens IDTokenTTL on the test's clock: the OP
// adds the lifetime to the real time.
type lifetimeClient struct {
	op.Client
	idTTL      time.Duration
	clock      *Clock
	postLogout []string
}

func (c *lifetimeClient) IDTokenLifetime() time.Duration {
	return time.Until(c.clock.Now().Add(c.idTTL))
}

func (c *lifetimeClient) PostLogoutRedirectURIs() []string { return c.postLogout }

// userStore implements the example storage's UserStore with our users.
type userStore struct {
	byID, byName map[string]User
}

func newUserStore(users []User) *userStore {
	s := &userStore{byID: map[string]User{}, byName: map[string]User{}}
	for _, u := range users {
		s.byID[u.ID], s.byName[u.Username] = u, u
	}
	return s
}

func (s *userStore) GetUserByID(id string) *storage.User { return toStorageUser(s.byID[id]) }

func (s *userStore) GetUserByUsername(name string) *storage.User {
	return toStorageUser(s.byName[name])
}

func (s *userStore) ExampleClientID() string { return "service" }

func toStorageUser(u User) *storage.User {
	if u.ID == "" {
		return nil
	}
	return &storage.User{
		ID: u.ID, Username: u.Username, Password: u.Password, FirstName: u.FirstName, LastName: u.LastName,
		Email: u.Email, EmailVerified: true, PreferredLanguage: language.English,
	}
}
