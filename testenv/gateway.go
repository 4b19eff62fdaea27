package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// gatewayReadyTimeout bounds the gateway's start-up (≈0.1 s in practice).
const gatewayReadyTimeout = 15 * time.Second

// GatewayOptions configures one hhgate process.
type GatewayOptions struct {
	// Caddyfile is the configuration file; empty means the repository's
	// drop-in Caddyfile.
	Caddyfile string
	// Upstream is NetBox's address (host:port), given to the Caddyfile as
	// NETBOX_UPSTREAM.
	Upstream string
	// Env holds extra environment variables for the Caddyfile.
	Env map[string]string
}

// Gateway is a running hhgate process.
type Gateway struct {
	// URL is the gateway's root, e.g. http://127.0.0.1:41235.
	URL string
	// Addr is host:port.
	Addr string

	logs *syncBuffer
	pid  int
}

// PID is the gateway process's id (for memory measurements).
func (g *Gateway) PID() int { return g.pid }

// Log returns what the gateway printed so far.
func (g *Gateway) Log() string { return g.logs.String() }

// StartGateway runs the built hhgate binary (see GatewayBinary) on a free
// port on 127.0.0.1 with admin off, waits until it accepts connections and
// stops it when the test ends. Its log is printed when the test fails.
func StartGateway(t testing.TB, opts GatewayOptions) *Gateway {
	t.Helper()
	bin, err := GatewayBinary()
	if err != nil {
		t.Fatalf("hhgate binary: %v", err)
	}
	config := opts.Caddyfile
	if config == "" {
		root, err := RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		config = filepath.Join(root, "Caddyfile")
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env := []string{
		fmt.Sprintf("HHGATE_LISTEN=:%d", port), "HHGATE_BIND=127.0.0.1", "HHGATE_ADMIN=off",
		"NETBOX_UPSTREAM=" + opts.Upstream,
		// The stand-in serves its own static files; a test that wants the
		// gateway to serve them sets a directory.
		"NETBOX_STATIC_ROOT=off",
	}
	for k, v := range opts.Env { // later entries win
		env = append(env, k+"="+v)
	}
	logs := &syncBuffer{}
	var out io.Writer = logs
	if os.Getenv("HHGATE_GATEWAY_LOG") != "" {
		out = io.MultiWriter(logs, os.Stderr)
	}
	proc, err := StartGatewayProcess(bin, config, env, out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		proc.Stop()
		if t.Failed() {
			t.Logf("hhgate log:\n%s", logs.String())
		}
	})
	if err := waitListening(addr, proc); err != nil {
		t.Fatalf("hhgate did not start: %v\n%s", err, logs.String())
	}
	return &Gateway{URL: "http://" + addr, Addr: addr, logs: logs, pid: proc.PID()}
}

// waitListening polls until addr accepts a TCP connection, the process
// exits, or the deadline passes.
func waitListening(addr string, proc *GatewayProcess) error {
	ctx, cancel := context.WithTimeout(context.Background(), gatewayReadyTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-proc.done:
			return fmt.Errorf("exited: %v", proc.err)
		case <-ctx.Done():
			return fmt.Errorf("not listening on %s after %s", addr, gatewayReadyTimeout)
		case <-tick.C:
		}
	}
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// GatewayBinary returns the hhgate binary under test: $HHGATE_BIN (what
// `make test` builds once per run), else a binary built once per test
// process from this checkout.
func GatewayBinary() (string, error) {
	if bin := os.Getenv("HHGATE_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("HHGATE_BIN: %w", err)
		}
		return bin, nil
	}
	buildOnce.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "hhgate-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "hhgate")
		cmd := exec.Command("go", "build", "-o", builtBin, "./cmd/hhgate")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/hhgate: %v\n%s", err, out)
		}
	})
	return builtBin, buildErr
}

// RepoRoot is the directory holding go.mod and the drop-in Caddyfile.
func RepoRoot() (string, error) {
	dir, err := NetBoxDir()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(filepath.Dir(dir))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", errors.New("cannot find the repository root (go.mod) from " + dir)
	}
	return root, nil
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process
// could take it before the gateway binds it; the gateway then fails to start
// and says so, which is rare enough for tests.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ClosedAddr returns a 127.0.0.1 address nothing listens on, for
// upstream-down tests.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}
