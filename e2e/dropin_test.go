//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/oidcop"
)

// unitExecStart is docs/hhgate.service's ExecStart command line, with the
// installed paths replaced by the binary under test and this checkout's
// drop-in Caddyfile, and the unit's Environment= settings.
func unitExecStart(t *testing.T) (argv []string, env []string) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := testenv.GatewayBinary()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "docs", "hhgate.service"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			argv = strings.Fields(v)
		}
		if v, ok := strings.CutPrefix(line, "Environment="); ok {
			env = append(env, v)
		}
	}
	if len(argv) < 2 || argv[0] != "/usr/local/bin/hhgate" {
		t.Fatalf("unexpected ExecStart %q", argv)
	}
	argv[0] = bin
	for i, a := range argv {
		if a == "/etc/hhgate/Caddyfile" {
			argv[i] = filepath.Join(root, "Caddyfile")
		}
	}
	return argv, env
}

// recordingUpstream is a Go NetBox stand-in that records the headers and
// trailers of every request it gets.
type recordingUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func startRecordingUpstream(t *testing.T) *recordingUpstream {
	u := &recordingUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // fills r.Trailer
		u.mu.Lock()
		u.seen = append(u.seen, r.Clone(context.Background()))
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok": true}`)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *recordingUpstream) last(t *testing.T) *http.Request {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		t.Fatal("the upstream got no request")
	}
	return u.seen[len(u.seen)-1]
}

// TestDropInUnitPrintsNoSecret starts the documented unit's command line
// with every secret set (as variables and as credential files), at debug
// level, sends requests carrying a CSRF token, cookies and an API token —
// one proxied, one failing upstream — and finds none of them in anything
// the process printed.
// Real parts: hhgate binary (docs/hhgate.service's ExecStart, drop-in
// Caddyfile with SSO and sync on), in-process OIDC provider.
func TestDropInUnitPrintsNoSecret(t *testing.T) {
	argv, unitEnv := unitExecStart(t)
	op := oidcop.StartZitadel(t, oidcop.ZitadelOptions{})
	upstream := startRecordingUpstream(t)
	creds := t.TempDir() // stands in for /run/credentials/hhgate.service
	secrets := map[string]string{
		"netbox_token":       "nbtoken-7a1f0c9e5b3d2a8f6e4c",
		"oidc_client_secret": "clientsecret-9d8c7b6a5f4e",
		"session_key":        base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x42}, 32)),
	}
	for name, v := range secrets {
		if err := os.WriteFile(filepath.Join(creds, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	envSecret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x17}, 32)) // the previous key, as a variable
	const csrf, cookie, apiToken = "csrfvalue1c2b3a4d5e6f", "sessioncookie0f9e8d7c", "apitoken5a4b3c2d1e0f"
	op.RegisterClient(oidcop.Client{ID: "netbox", Secret: secrets["oidc_client_secret"], RedirectURIs: []string{"http://127.0.0.1/.hhgate/oidc/callback"}})

	port := freePortT(t)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(testenv.InheritedEnv(), unitEnv...)
	cmd.Env = append(cmd.Env,
		"XDG_DATA_HOME="+t.TempDir(), "HHGATE_ADMIN=off", "HHGATE_LISTEN=127.0.0.1:"+port, "HHGATE_LOG_LEVEL=DEBUG",
		"NETBOX_UPSTREAM="+strings.TrimPrefix(upstream.URL, "http://"), "NETBOX_STATIC_ROOT=off",
		"HHGATE_SYNC=on", "HHGATE_NETBOX_TOKEN_FILE="+filepath.Join(creds, "netbox_token"),
		"HHGATE_SSO=on", "HHGATE_OIDC_ISSUER="+op.Issuer, "HHGATE_OIDC_CLIENT_ID=netbox",
		"HHGATE_OIDC_CLIENT_SECRET_FILE="+filepath.Join(creds, "oidc_client_secret"),
		"HHGATE_SESSION_KEY_FILE="+filepath.Join(creds, "session_key"),
		"HHGATE_SESSION_KEY_PREVIOUS="+envSecret,
	)
	var out syncWriter
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://127.0.0.1:" + port
	waitForHTTP(t, base, &out)

	send := func(path string) int {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(`{}`))
		req.Header.Set("X-CSRFToken", csrf)
		req.Header.Set("Cookie", "csrftoken="+csrf+"; sessionid="+cookie)
		req.Header.Set("Authorization", "Token "+apiToken)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if code := send("/api/dcim/sites/"); code != http.StatusOK {
		t.Fatalf("proxied API request: status %d\n%s", code, out.String())
	}
	if got := upstream.last(t).Header.Get("X-Csrftoken"); got != csrf {
		t.Fatalf("the CSRF token did not reach NetBox (%q): the check below would prove nothing", got)
	}
	upstream.Close() // the next request fails upstream: Caddy's error log
	send("/api/dcim/devices/")
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()

	printed := out.String()
	if !strings.Contains(printed, `"level":"debug"`) || !strings.Contains(printed, "X-Csrftoken") {
		t.Fatalf("no debug log with request headers: the check would prove nothing\n%s", printed)
	}
	for name, v := range secrets {
		if strings.Contains(printed, v) {
			t.Errorf("the %s is printed", name)
		}
	}
	for name, v := range map[string]string{"previous session key": envSecret, "CSRF token": csrf, "session cookie": cookie, "API token": apiToken} {
		if strings.Contains(printed, v) {
			t.Errorf("the %s is printed", name)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", printed)
	}
}

// TestDropInListenIP: an IP address in HHGATE_LISTEN serves plain HTTP on
// exactly that address and opens nothing on :80 or :443; a bare port is a
// port.
// Real parts: hhgate binary (drop-in Caddyfile).
func TestDropInListenIP(t *testing.T) {
	upstream := startRecordingUpstream(t)
	for _, form := range []string{"127.0.0.1:%s", "%s"} {
		t.Run(form, func(t *testing.T) {
			before80, before443 := listening("127.0.0.1:80"), listening("127.0.0.1:443")
			port := freePortT(t)
			listen := fmt.Sprintf(form, port)
			env := []string{"HHGATE_LISTEN=" + listen, "HHGATE_ADMIN=off", "NETBOX_STATIC_ROOT=off",
				"NETBOX_UPSTREAM=" + strings.TrimPrefix(upstream.URL, "http://"), "XDG_DATA_HOME=" + t.TempDir()}
			if form == "%s" {
				env = append(env, "HHGATE_BIND=127.0.0.1")
			}
			gw := startDropIn(t, env)
			res, err := http.Get("http://127.0.0.1:" + port + "/api/status/")
			if err != nil {
				t.Fatalf("plain HTTP on %s: %v\n%s", listen, err, gw.String())
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("plain HTTP on %s: status %d", listen, res.StatusCode)
			}
			if !before80 && listening("127.0.0.1:80") || !before443 && listening("127.0.0.1:443") {
				t.Fatalf("HHGATE_LISTEN=%s opened :80 or :443\n%s", listen, gw.String())
			}
			if strings.Contains(gw.String(), "certificate") && strings.Contains(gw.String(), "obtain") {
				t.Errorf("TLS machinery started:\n%s", gw.String())
			}
		})
	}
}

// TestDropInBadEnvironmentNamesTheVariable: the binary refuses a bad value
// or a misspelt variable before Caddy starts and names the variable.
// Real parts: hhgate binary (drop-in Caddyfile).
func TestDropInBadEnvironmentNamesTheVariable(t *testing.T) {
	tests := []struct{ env, want string }{
		{"HHGATE_LISTNE=:8080", "HHGATE_LISTNE: unknown variable; did you mean HHGATE_LISTEN?"},
		{"NETBOX_STATIC_ROOT=/nonexistent/static", "NETBOX_STATIC_ROOT: \"/nonexistent/static\": no such file or directory"},
		{"NETBOX_UPSTREAM=http://127.0.0.1:8001/netbox/", "NETBOX_UPSTREAM:"},
		{"HHGATE_LISTEN=http://:8080", "HHGATE_LISTEN:"},
		{"HHGATE_SYNC=on", "HHGATE_NETBOX_TOKEN: required with HHGATE_SYNC=on"},
		{"HHGATE_SYNC_MAX_PRUNE=150%", `HHGATE_SYNC_MAX_PRUNE: "150%" is not a whole percentage`},
	}
	argv, _ := unitExecStart(t)
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
			cmd.Env = append(testenv.InheritedEnv(), "HHGATE_ADMIN=off", "XDG_DATA_HOME="+t.TempDir(), tt.env)
			if !strings.HasPrefix(tt.env, "NETBOX_STATIC_ROOT") {
				cmd.Env = append(cmd.Env, "NETBOX_STATIC_ROOT=off")
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("hhgate started with %s:\n%s", tt.env, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Fatalf("output does not say %q:\n%s", tt.want, out)
			}
		})
	}
}

// TestDropInForgedHeadersNeverReachUpstream: forged X-Real-IP,
// X-Forwarded-*, identity headers and trailers do not reach NetBox; NetBox
// gets the client address the gateway saw.
// Real parts: hhgate binary (drop-in Caddyfile); a Go upstream recording
// headers and trailers.
func TestDropInForgedHeadersNeverReachUpstream(t *testing.T) {
	upstream := startRecordingUpstream(t)
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Upstream: strings.TrimPrefix(upstream.URL, "http://")})

	forged := http.Header{
		"X-Real-Ip": {"203.0.113.66"}, "X-Forwarded-For": {"203.0.113.66"}, "X-Forwarded-Host": {"evil.example"},
		"X-Forwarded-Prefix": {"/evil"}, "Forwarded": {"for=203.0.113.66"}, "X-Forwarded-User": {"mallory"},
		"X-Forwarded-Email": {"m@evil.example"}, "X-Forwarded-Preferred-Username": {"mallory"},
		"X-Remote-User": {"mallory"}, "X-Auth-Request-User": {"mallory"}, "Remote-User": {"mallory"},
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/api/dcim/sites/", pr)
	req.Header = forged.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Trailer = http.Header{"Remote-User": nil, "X-Real-Ip": nil}
	go func() {
		_, _ = io.WriteString(pw, `{"name": "x"}`)
		req.Trailer.Set("Remote-User", "mallory")
		req.Trailer.Set("X-Real-Ip", "203.0.113.66")
		pw.Close()
	}()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", res.StatusCode, gw.Log())
	}
	got := upstream.last(t)
	for name := range forged {
		for _, v := range got.Header.Values(name) {
			if strings.Contains(v, "203.0.113.66") || strings.Contains(v, "mallory") || strings.Contains(v, "evil") {
				t.Errorf("forged %s reached the upstream: %q", name, v)
			}
		}
	}
	if ip := got.Header.Get("X-Real-Ip"); ip != "127.0.0.1" {
		t.Errorf("X-Real-IP = %q, want the client's address 127.0.0.1", ip)
	}
	if xff := got.Header.Get("X-Forwarded-For"); xff != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want 127.0.0.1", xff)
	}
	if len(got.Trailer) != 0 {
		t.Errorf("trailers reached the upstream: %v", got.Trailer)
	}
}

// TestDropInForgedIdentityNamesDjango: NetBox configured to believe
// X-Forwarded-User (a common proxy set-up) logs nobody in from a
// client-sent one through the gateway; directly, Django does (the control).
// Real parts: Django stand-in in remote-auth mode, hhgate binary.
func TestDropInForgedIdentityNamesDjango(t *testing.T) {
	nb := testenv.StartNetBox(t, testenv.NetBoxOptions{Env: map[string]string{
		"REMOTE_AUTH_ENABLED": "1", "REMOTE_AUTH_AUTO_CREATE_USER": "1", "REMOTE_AUTH_HEADER": "HTTP_X_FORWARDED_USER",
	}})
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Upstream: nb.Addr})
	forged := http.Header{"X-Forwarded-User": {"mallory"}, "Sec-Fetch-Mode": {"navigate"}}
	res, _ := testenv.NewSession(nb.URL).Do(t, http.MethodGet, "/", forged, nil)
	if res.Header.Get("X-Standin-User") != "mallory" {
		t.Fatalf("control: Django did not log mallory in from X-Forwarded-User (%q)", res.Header.Get("X-Standin-User"))
	}
	res, _ = testenv.NewSession(gw.URL).Do(t, http.MethodGet, "/", forged, nil)
	if who := res.Header.Get("X-Standin-User"); who != "" {
		t.Fatalf("X-Forwarded-User reached NetBox: user %q", who)
	}
}

// TestDropInCompressedPage: a NetBox page through the drop-in with
// Accept-Encoding: gzip is compressed and still carries the page script;
// NetBox's static files are served from NETBOX_STATIC_ROOT before login,
// compressed and with long cache headers.
// Real parts: Django stand-in, hhgate binary (drop-in Caddyfile).
func TestDropInCompressedPage(t *testing.T) {
	nb := testenv.StartNetBox(t, testenv.NetBoxOptions{})
	nb.CreateUser(t, testenv.User{Username: user, Password: password})
	static := t.TempDir()
	css := strings.Repeat("body { color: #123456; }\n", 200)
	if err := os.WriteFile(filepath.Join(static, "netbox.css"), []byte(css), 0o644); err != nil {
		t.Fatal(err)
	}
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Upstream: nb.Addr, Env: map[string]string{"NETBOX_STATIC_ROOT": static}})
	sess := testenv.Login(t, gw.URL, user, password)

	req, _ := http.NewRequest(http.MethodGet, gw.URL+"/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Cookie", "sessionid="+sess.Cookie("sessionid"))
	page := getGzip(t, req)
	if !strings.Contains(page, `/.hhgate/shim.js`) {
		t.Fatalf("the compressed page has no page script:\n%.500s", page)
	}

	req, _ = http.NewRequest(http.MethodGet, gw.URL+"/static/netbox.css", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("/static/netbox.css: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.Contains(res.Header.Get("Cache-Control"), "max-age=") || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("/static/: Cache-Control %q, Content-Encoding %q", res.Header.Get("Cache-Control"), res.Header.Get("Content-Encoding"))
	}
}

func getGzip(t *testing.T, req *http.Request) string {
	t.Helper()
	res, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("%s: status %d, Content-Encoding %q, headers %v, %d bytes", req.URL.Path, res.StatusCode, res.Header.Get("Content-Encoding"), res.Header, len(b))
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startDropIn runs the documented command line with env and stops it when
// the test ends; it waits until HHGATE_LISTEN's port answers.
func startDropIn(t *testing.T, env []string) *syncWriter {
	t.Helper()
	argv, unitEnv := unitExecStart(t)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(testenv.InheritedEnv(), unitEnv...), env...)
	out := &syncWriter{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	var port string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HHGATE_LISTEN="); ok {
			port = v[strings.LastIndex(v, ":")+1:]
		}
	}
	waitForHTTP(t, "http://127.0.0.1:"+port, out)
	return out
}

// waitForHTTP polls base until it answers HTTP, with a bound.
func waitForHTTP(t *testing.T, base string, out *syncWriter) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/.hhgate/shim.js")
		if err == nil {
			res.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s does not answer:\n%s", base, out.String())
}

func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func freePortT(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// syncWriter collects a process's output.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestDropInTrustedProxy: from a proxy listed in HHGATE_TRUSTED_PROXIES
// the forwarded client address is believed — NetBox's X-Real-IP is the
// client behind the proxy — while identity headers are still removed.
// Real parts: hhgate binary (drop-in Caddyfile); a Go upstream.
func TestDropInTrustedProxy(t *testing.T) {
	upstream := startRecordingUpstream(t)
	gw := testenv.StartGateway(t, testenv.GatewayOptions{
		Upstream: strings.TrimPrefix(upstream.URL, "http://"),
		Env:      map[string]string{"HHGATE_TRUSTED_PROXIES": "127.0.0.1/32"},
	})
	req, _ := http.NewRequest(http.MethodGet, gw.URL+"/api/status/", nil)
	req.Header.Set("X-Forwarded-For", "198.51.100.9")
	req.Header.Set("X-Forwarded-User", "mallory")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	got := upstream.last(t)
	if ip := got.Header.Get("X-Real-Ip"); ip != "198.51.100.9" {
		t.Errorf("X-Real-IP = %q, want the address the trusted proxy forwarded", ip)
	}
	if xff := got.Header.Get("X-Forwarded-For"); xff != "198.51.100.9, 127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want the proxy's chain extended", xff)
	}
	if u := got.Header.Get("X-Forwarded-User"); u != "" {
		t.Errorf("X-Forwarded-User from a trusted proxy reached NetBox: %q", u)
	}
}

// TestDropInUpstreamKeepAliveShorterThanGunicorns: an upstream that closes
// idle connections after 2 s, as gunicorn does by default, gets POSTs
// 1.9–2.1 s apart through the drop-in file and none fails: the gateway
// never reuses a connection that idled long enough to be closed.
// Real parts: hhgate binary (drop-in Caddyfile); a Go upstream with
// gunicorn's keep-alive.
func TestDropInUpstreamKeepAliveShorterThanGunicorns(t *testing.T) {
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok": true}`)
	}))
	up.Config.IdleTimeout = 2 * time.Second // gunicorn --keep-alive 2
	up.Start()
	t.Cleanup(up.Close)
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Upstream: strings.TrimPrefix(up.URL, "http://")})
	client := &http.Client{Timeout: 10 * time.Second}
	post := func() int {
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/api/dcim/sites/", strings.NewReader(`{"name": "x"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if code := post(); code != http.StatusOK {
		t.Fatalf("first POST: %d", code)
	}
	for _, gap := range []time.Duration{1900, 1950, 2000, 2050, 2100, 1900, 2000, 2100} {
		<-time.After(gap * time.Millisecond) // the pacing under test, not a wait for a condition
		if code := post(); code != http.StatusOK {
			t.Fatalf("POST %v after the previous one: status %d\n%s", gap*time.Millisecond, code, gw.Log())
		}
	}
}
