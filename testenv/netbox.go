// Package testenv starts a NetBox stand-in for tests: a small Django project
// (testenv/netbox) that mirrors what a session-guarding gateway can observe of
// NetBox 4.x (or, switched per test, 3.x) — login page, session and CSRF cookies, login redirects, CSRF
// failures, remote-user authentication, the REST API's 403s and the Hedgehog
// plugin's fabric page and sync endpoint.
//
// The stand-in runs on Debian's Django (python3-django, python3-djangorestframework)
// with /usr/bin/python3 (override with HHGATE_PYTHON), and serves the htmx.org
// build installed by testenv/netbox/setup.sh. `make test` installs both.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultPython is the interpreter that can import Debian's Django packages.
const DefaultPython = "/usr/bin/python3"

// readyTimeout bounds start-up: migrations plus the first answer of /login/.
const readyTimeout = 20 * time.Second

// NetBoxOptions configures one stand-in instance.
type NetBoxOptions struct {
	// Env holds extra environment variables with NetBox configuration names,
	// e.g. "LOGIN_TIMEOUT": "3600", "REMOTE_AUTH_ENABLED": "1", "BASE_PATH": "netbox".
	Env map[string]string
	// Demo seeds user admin/admin (superuser) and fabric 1 "demo-fabric" (connected).
	Demo bool
	// Addr is the listen address; empty means a free port on 127.0.0.1.
	Addr string

	// Version is the NetBox the pages and login enforcement look like:
	// NetBox4 (the default) or NetBox3 (NetBox 3.1: LoginRequiredMiddleware
	// before CSRF, no window.CSRF_TOKEN, a readable csrftoken cookie, a
	// navigation menu of 120 KB+ before the first form token).
	Version NetBoxVersion
	// Gunicorn makes Django not serve /static/, as NetBox under gunicorn:
	// the files must come from StaticRoot through a proxy.
	Gunicorn bool
	// StaticRoot, if set, is a directory the stand-in fills with its static
	// files before it serves (what collectstatic does for STATIC_ROOT).
	StaticRoot string
	// KeepAlive, if set, closes a keep-alive connection that has waited that
	// long for its next request, as gunicorn's --keep-alive (default 2s).
	KeepAlive time.Duration
	// Workers, if above 1, serves the stand-in from that many processes,
	// as gunicorn's --workers does in front of NetBox: requests run Python
	// side by side. Request counts are shared; injected faults are refused
	// (they live in one process). For benchmarks; 0 or 1 is one process.
	Workers int
}

// NetBoxVersion selects how the stand-in behaves: like NetBox 3.x or 4.x.
type NetBoxVersion string

// The NetBox versions the stand-in can be.
const (
	NetBox3 NetBoxVersion = "3"
	NetBox4 NetBoxVersion = "4"
)

// env is the stand-in's environment for o's switches.
func (o NetBoxOptions) env() ([]string, error) {
	var env []string
	switch o.Version {
	case "", NetBox4, NetBox3:
		if o.Version != "" {
			env = append(env, "STANDIN_NETBOX_VERSION="+string(o.Version))
		}
	default:
		return nil, fmt.Errorf("NetBoxOptions.Version %q: want %q or %q", o.Version, NetBox3, NetBox4)
	}
	if o.Gunicorn {
		env = append(env, "STANDIN_GUNICORN=1")
	}
	if o.StaticRoot != "" {
		env = append(env, "STANDIN_STATIC_ROOT="+o.StaticRoot)
	}
	if o.KeepAlive < 0 {
		return nil, fmt.Errorf("NetBoxOptions.KeepAlive %s is negative", o.KeepAlive)
	}
	if o.KeepAlive > 0 {
		env = append(env, fmt.Sprintf("STANDIN_KEEPALIVE=%g", o.KeepAlive.Seconds()))
	}
	if o.Workers < 0 || o.Workers > 16 {
		return nil, fmt.Errorf("NetBoxOptions.Workers %d: want 1 to 16 processes (0 for one)", o.Workers)
	}
	if o.Workers > 1 {
		env = append(env, fmt.Sprintf("STANDIN_WORKERS=%d", o.Workers))
	}
	return env, nil
}

// NetBox is a running stand-in.
type NetBox struct {
	// URL is the server root, e.g. http://127.0.0.1:41234 (no trailing slash).
	URL string
	// Addr is host:port, e.g. 127.0.0.1:41234.
	Addr string
	// BasePath is NetBox's BASE_PATH as a URL prefix: "" or e.g. "/netbox".
	BasePath string
	// BaseURL is URL+BasePath: where NetBox's pages live (pass it to Login).
	BaseURL string

	controlToken string
	client       *http.Client
	pid          int // the stand-in's first process, leader of its process group
}

// StartNetBox starts a stand-in with a fresh database on a free port, waits
// until it answers, and stops it when the test ends. It fails the test (never
// skips) when Django or the htmx assets are missing.
func StartNetBox(t testing.TB, opts NetBoxOptions) *NetBox {
	t.Helper()
	logs := &syncBuffer{}
	var w io.Writer = logs
	if os.Getenv("HHGATE_STANDIN_LOG") != "" {
		w = io.MultiWriter(logs, os.Stderr)
	}
	n, stop, err := RunNetBox(context.Background(), opts, w)
	if err != nil {
		t.Fatalf("NetBox stand-in: %v", err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping NetBox stand-in: %v", err)
		}
		if t.Failed() && logs.Len() > 0 {
			t.Logf("NetBox stand-in output:\n%s", logs.String())
		}
	})
	return n
}

// RunNetBox is StartNetBox without testing.TB (for `make demo`). ctx bounds the
// start-up only; the returned stop function ends the server and removes its
// database. The server's output goes to stderr (nil discards it).
func RunNetBox(ctx context.Context, opts NetBoxOptions, stderr io.Writer) (*NetBox, func() error, error) {
	if stderr == nil {
		stderr = io.Discard
	}
	dir, err := NetBoxDir()
	if err != nil {
		return nil, nil, err
	}
	python := Python()
	if err := checkPrerequisites(ctx, python, dir); err != nil {
		return nil, nil, err
	}
	switches, err := opts.env()
	if err != nil {
		return nil, nil, err
	}

	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	// The socket is handed to Django (fd 3), so no other process can grab the port in between.
	lnFile, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("listener file: %w", err)
	}
	defer lnFile.Close()
	hostport := ln.Addr().String()

	tmp, err := os.MkdirTemp("", "hhgate-netbox-")
	if err != nil {
		return nil, nil, err
	}
	token := randomHex(16)

	env := standinEnv(os.Environ())
	env = append(env,
		"DJANGO_SETTINGS_MODULE=standin.settings",
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONUNBUFFERED=1",
		"STANDIN_DB="+filepath.Join(tmp, "netbox.sqlite3"),
		"STANDIN_CONTROL_TOKEN="+token,
		"STANDIN_SECRET_KEY="+randomHex(32),
	)
	if opts.Demo {
		env = append(env, "STANDIN_DEMO=1")
	}
	env = append(env, switches...)
	for k, v := range opts.Env {
		env = append(env, k+"="+v)
	}

	cmd := exec.Command(python, "manage.py", "serve_standin", "--fd", "3")
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	cmd.ExtraFiles = []*os.File{lnFile}
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, nil, fmt.Errorf("start %s: %w", python, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()

	var stopOnce sync.Once
	var stopErr error
	stop := func() error {
		stopOnce.Do(func() {
			stopErr = terminate(cmd, exited)
			if err := os.RemoveAll(tmp); err != nil && stopErr == nil {
				stopErr = err
			}
		})
		return stopErr
	}

	basePath := strings.Trim(opts.Env["BASE_PATH"], "/")
	if basePath != "" {
		basePath = "/" + basePath
	}
	n := &NetBox{
		URL:          "http://" + hostport,
		Addr:         hostport,
		BasePath:     basePath,
		BaseURL:      "http://" + hostport + basePath,
		controlToken: token,
		pid:          cmd.Process.Pid,
		client: &http.Client{
			Timeout:       15 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	if err := n.waitReady(ctx, exited, func() error { return waitErr }); err != nil {
		stop()
		return nil, nil, err
	}
	return n, stop, nil
}

// waitReady polls GET <BaseURL>/login/ until it answers 200, the process
// exits, ctx ends or readyTimeout passes.
func (n *NetBox) waitReady(ctx context.Context, exited <-chan struct{}, waitErr func() error) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	url := n.BaseURL + "/login/"
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := n.client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("GET %s: %s", url, resp.Status)
		} else {
			last = err
		}
		select {
		case <-exited:
			return fmt.Errorf("stand-in exited before it was ready: %v", waitErr())
		case <-ctx.Done():
			return fmt.Errorf("stand-in not ready after %s: %v", readyTimeout, last)
		case <-tick.C:
		}
	}
}

// terminate ends the process group: SIGTERM, then SIGKILL after 5 s.
func terminate(cmd *exec.Cmd, exited <-chan struct{}) error {
	select {
	case <-exited:
		return nil
	default:
	}
	signalGroup(cmd, false)
	select {
	case <-exited:
		return nil
	case <-time.After(5 * time.Second):
	}
	signalGroup(cmd, true)
	select {
	case <-exited:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("stand-in did not exit after SIGKILL")
	}
}

// Python returns the interpreter for the stand-in: $HHGATE_PYTHON or /usr/bin/python3.
func Python() string {
	if p := os.Getenv("HHGATE_PYTHON"); p != "" {
		return p
	}
	return DefaultPython
}

// NetBoxDir returns the directory of the Django project ($HHGATE_NETBOX_DIR,
// else testenv/netbox next to this source file, else found upwards from the
// working directory).
func NetBoxDir() (string, error) {
	if d := os.Getenv("HHGATE_NETBOX_DIR"); d != "" {
		return d, nil
	}
	var candidates []string
	if _, file, _, ok := runtime.Caller(0); ok {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "netbox"))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			candidates = append(candidates, filepath.Join(d, "testenv", "netbox"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(c, "manage.py")); err == nil {
			return c, nil
		}
	}
	return "", errors.New("cannot find testenv/netbox/manage.py (set HHGATE_NETBOX_DIR)")
}

var prereqCache sync.Map // python+dir -> error

func checkPrerequisites(ctx context.Context, python, dir string) error {
	key := python + "\x00" + dir
	if v, ok := prereqCache.Load(key); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	var err error
	out, runErr := exec.CommandContext(ctx, python, "-c", "import django, rest_framework").CombinedOutput()
	if runErr != nil {
		err = fmt.Errorf("%s cannot import Django and Django REST framework (%v: %s); "+
			"run `make test`, which installs python3-django and python3-djangorestframework "+
			"(or: apt-get update && apt-get install -y python3-django python3-djangorestframework)",
			python, runErr, strings.TrimSpace(string(out)))
	} else if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "htmx.org", "dist", "htmx.min.js")); statErr != nil {
		err = fmt.Errorf("htmx.org is not installed in %s/node_modules; run `make test` "+
			"(or testenv/netbox/setup.sh, which runs npm ci)", dir)
	} else if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "@tabler", "core", "dist", "css", "tabler.min.css")); statErr != nil {
		err = fmt.Errorf("@tabler/core is not installed in %s/node_modules; run `make test` "+
			"(or testenv/netbox/setup.sh, which runs npm ci)", dir)
	}
	if err == nil {
		prereqCache.Store(key, nil)
	} else {
		prereqCache.Store(key, err)
	}
	return err
}

// standinEnv drops inherited variables that would change the stand-in's
// configuration (NetBox setting names, STANDIN_*) or break Debian's Python.
func standinEnv(environ []string) []string {
	drop := map[string]bool{
		"BASE_PATH": true, "LOGIN_REQUIRED": true, "LOGIN_TIMEOUT": true, "LOGIN_PERSISTENCE": true,
		"CSRF_TRUSTED_ORIGINS": true, "DJANGO_SETTINGS_MODULE": true,
		"PYTHONPATH": true, "PYTHONHOME": true, "PYTHONSTARTUP": true,
	}
	var env []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if drop[name] || strings.HasPrefix(name, "REMOTE_AUTH_") || strings.HasPrefix(name, "STANDIN_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// syncBuffer collects the server's output for failure reports.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
