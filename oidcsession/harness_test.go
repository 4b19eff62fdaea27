package oidcsession

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap/zaptest"

	"github.com/hhgate/hhgate/oidcstore"
	"github.com/hhgate/hhgate/testenv/oidcop"
)

const (
	testClientID     = "hhgate-test"
	testClientSecret = "hhgate-test-secret"
)

var testSessionKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x42}, 32))

// seen is what the upstream (NetBox) received for one request.
type seen struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Headers map[string][]string `json:"headers"`
}

// upstream stands in for NetBox: it answers every request with what it saw.
type upstream struct {
	mu   sync.Mutex
	reqs []seen
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) error {
	s := seen{Method: r.Method, Path: r.URL.Path, Headers: r.Header.Clone()}
	u.mu.Lock()
	u.reqs = append(u.reqs, s)
	u.mu.Unlock()
	if r.URL.Path == "/logout/" {
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "", Path: "/", MaxAge: -1})
		http.Redirect(w, r, "/login/", http.StatusFound)
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(s)
}

func (u *upstream) requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.reqs...)
}

// testGateway is a Handler behind an httptest server, in front of upstream.
type testGateway struct {
	*httptest.Server
	h          *Handler
	upstream   *upstream
	storageDir string
}

type gatewayOptions struct {
	issuer     string
	storageDir string
	clock      func() time.Time
	keys       []string
	configure  func(*Config)
}

func startGateway(t *testing.T, opts gatewayOptions) *testGateway {
	t.Helper()
	if opts.storageDir == "" {
		opts.storageDir = t.TempDir()
	}
	if len(opts.keys) == 0 {
		opts.keys = []string{testSessionKey}
	}
	cfg := Config{
		Issuer:            opts.issuer,
		ClientID:          testClientID,
		ClientSecret:      testClientSecret,
		SessionKeys:       opts.keys,
		Storage:           &certmagic.FileStorage{Path: opts.storageDir},
		Logger:            zaptest.NewLogger(t),
		Now:               opts.clock,
		DiscoveryRetryMin: 10 * time.Millisecond,
		DiscoveryRetryMax: 50 * time.Millisecond,
	}
	if opts.configure != nil {
		opts.configure(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Start(t.Context())
	up := &upstream{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h.Serve(w, r, up.serve); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
	}))
	t.Cleanup(srv.Close)
	return &testGateway{Server: srv, h: h, upstream: up, storageDir: opts.storageDir}
}

// register makes the gateways one client of the OP.
func register(op *oidcop.Zitadel, gateways ...*testGateway) {
	c := oidcop.Client{ID: testClientID, Secret: testClientSecret}
	for _, g := range gateways {
		c.RedirectURIs = append(c.RedirectURIs, g.URL+CallbackPath)
		c.PostLogoutRedirectURIs = append(c.PostLogoutRedirectURIs, g.URL+"/")
	}
	op.RegisterClient(c)
}

// browser keeps cookies and does not follow redirects.
type browser struct {
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{client: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Request kinds, by the headers a browser sends.
var (
	navigation = http.Header{"Sec-Fetch-Mode": {"navigate"}, "Sec-Fetch-Dest": {"document"}, "Accept": {"text/html"}}
	fetch      = http.Header{"Sec-Fetch-Mode": {"cors"}, "Sec-Fetch-Dest": {"empty"}, "Accept": {"*/*"}}
)

func (b *browser) do(t *testing.T, method, rawURL string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func (b *browser) get(t *testing.T, rawURL string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	return b.do(t, http.MethodGet, rawURL, header)
}

// cookie is the value the browser holds for name on rawURL ("" if none).
func (b *browser) cookie(rawURL, name string) string {
	u, _ := url.Parse(rawURL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) cookieNames(rawURL, prefix string) []string {
	u, _ := url.Parse(rawURL)
	var names []string
	for _, c := range b.client.Jar.Cookies(u) {
		if strings.HasPrefix(c.Name, prefix) {
			names = append(names, c.Name)
		}
	}
	return names
}

// login navigates to page on the gateway, signs in at the OP through its
// HTML form, comes back through the callback and returns the callback's
// answer (a redirect to page).
func (b *browser) login(t *testing.T, g *testGateway, page string, user oidcop.User) *http.Response {
	t.Helper()
	return b.finishLogin(t, b.toIdP(t, g.URL+page), user)
}

// toIdP navigates to rawURL and follows the gateway's redirects up to the
// IdP's authorization URL, which it returns.
func (b *browser) toIdP(t *testing.T, rawURL string) string {
	t.Helper()
	next, _ := url.Parse(rawURL)
	for range 3 {
		resp, body := b.get(t, next.String(), navigation)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("GET %s: %d, want a redirect towards the IdP: %.300s", next, resp.StatusCode, body)
		}
		loc, err := next.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if loc.Host != next.Host {
			return loc.String()
		}
		next = loc
	}
	t.Fatalf("GET %s: no redirect to the IdP", rawURL)
	return ""
}

// finishLogin follows an IdP authorization URL to the end of the login,
// including the interactive retry after a failed prompt=none.
func (b *browser) finishLogin(t *testing.T, authURL string, user oidcop.User) *http.Response {
	t.Helper()
	for range 3 {
		callback, err := oidcop.FollowLogin(b.client, authURL, user.Username, user.Password)
		if err != nil {
			t.Fatalf("login at the OP: %v", err)
		}
		resp, body := b.get(t, callback, navigation)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("callback: %d: %.500s", resp.StatusCode, body)
		}
		loc := resp.Header.Get("Location")
		if u, _ := url.Parse(loc); u.Host == "" {
			return resp
		}
		authURL = loc // the silent attempt failed: the gateway starts an interactive one
	}
	t.Fatal("login did not end")
	return nil
}

// sessionID is the browser's gateway session id.
func (b *browser) sessionID(g *testGateway) string { return b.cookie(g.URL, DefaultCookieName) }

// record is the gateway's cached record of the browser's session.
func (g *testGateway) record(t *testing.T, b *browser) *oidcstore.Record {
	t.Helper()
	rec := g.h.store.Cached(b.sessionID(g))
	if rec == nil {
		t.Fatal("the gateway holds no session for the browser")
	}
	return rec
}

// reach requests rawURL and returns what NetBox saw of it.
func (b *browser) reach(t *testing.T, rawURL string, header http.Header) seen {
	t.Helper()
	resp, body := b.get(t, rawURL, header)
	return upstreamSaw(t, resp, body)
}

// upstreamSaw decodes the echo of the upstream.
func upstreamSaw(t *testing.T, resp *http.Response, body []byte) seen {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 from the upstream: %.300s", resp.StatusCode, body)
	}
	var s seen
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("not the upstream's echo: %v: %.300s", err, body)
	}
	return s
}

func (s seen) header(name string) string {
	if v := http.Header(s.Headers)[http.CanonicalHeaderKey(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// contract is the guard's JSON answer.
type contract struct {
	Success  *bool  `json:"success"`
	Error    string `json:"error"`
	Message  string `json:"message"`
	Redirect string `json:"redirect"`
}

func decodeContract(t *testing.T, resp *http.Response, body []byte, wantStatus int) contract {
	t.Helper()
	if resp.StatusCode != wantStatus {
		t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, wantStatus, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json: %.300s", ct, body)
	}
	var c contract
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if c.Success == nil || *c.Success || c.Message == "" {
		t.Errorf("contract %+v: want success false and a message", c)
	}
	return c
}

// zitadelStack is the OP, a clock shared by OP and gateway, and one gateway.
type zitadelStack struct {
	op    *oidcop.Zitadel
	clock *oidcop.Clock
	gw    *testGateway
}

func startZitadelStack(t *testing.T, opOpts oidcop.ZitadelOptions, gwOpts gatewayOptions) *zitadelStack {
	t.Helper()
	clock := oidcop.NewClock()
	opOpts.Clock = clock
	op := oidcop.StartZitadel(t, opOpts)
	gwOpts.issuer, gwOpts.clock = op.Issuer, clock.Now
	gw := startGateway(t, gwOpts)
	register(op, gw)
	return &zitadelStack{op: op, clock: clock, gw: gw}
}

var alice = oidcop.DefaultUser

// try is do without testing.TB, for goroutines.
func (b *browser) try(method, rawURL string, header http.Header) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		return nil, nil, err
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// events records what the handler reports for metrics.
type events struct {
	mu  sync.Mutex
	got map[string]int
}

func (e *events) record(kind EventKind, result string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.got == nil {
		e.got = map[string]int{}
	}
	e.got[string(kind)+"/"+result]++
}

func (e *events) count(key string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.got[key]
}
