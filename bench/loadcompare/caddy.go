package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// caddyStartDeadline bounds the wait for both sites to answer.
const caddyStartDeadline = 15 * time.Second

// caddyStopDeadline bounds the graceful stop (grace_period is 1s) before the
// process is killed.
const caddyStopDeadline = 5 * time.Second

// caddyfileTemplate has two sites that differ only in netbox_guard, so the
// ratio of their throughputs is the guard's cost, a third that adds
// inject_script to the guard, for the cost of session-aware pages, and a
// fourth with netbox_oidc in front of the guard, for the cost of an
// authenticated SSO request (its IdP is a closed port: the seeded session
// is served from the storage without one), and two with the drop-in file's
// encode: the guard with inject_script against plain reverse_proxy, both
// compressing.
// default_bind keeps them on loopback (a bare ":port" site would listen on
// all interfaces); admin off and auto_https off keep Caddy from opening
// other listeners; ERROR logging keeps access and info logs out of the
// measurement.
const caddyfileTemplate = `{
	admin off
	auto_https off
	default_bind 127.0.0.1
	grace_period 1s
	storage file_system %[5]s
	log default {
		level ERROR
	}
}

http://:%[1]d {
	route {
		netbox_guard
		reverse_proxy %[3]s
	}
}

http://:%[2]d {
	route {
		reverse_proxy %[3]s
	}
}

http://:%[4]d {
	route {
		netbox_guard {
			inject_script
		}
		reverse_proxy %[3]s
	}
}

http://:%[9]d {
	route {
		encode zstd gzip {
			minimum_length 1
		}
		netbox_guard {
			inject_script
		}
		reverse_proxy %[3]s
	}
}

http://:%[10]d {
	route {
		encode zstd gzip {
			minimum_length 1
		}
		reverse_proxy %[3]s
	}
}

http://:%[6]d {
	route {
		netbox_oidc {
			issuer http://127.0.0.1:%[7]d
			client_id bench
			client_secret bench-secret
			session_key %[8]s
		}
		netbox_guard
		reverse_proxy %[3]s
	}
}
`

// caddy is a running hhgate process with the guarded and the plain site.
type caddy struct {
	cmd        *exec.Cmd
	guardPort  int
	plainPort  int
	injectPort int // the guard with inject_script
	ssoPort    int // netbox_oidc in front of the guard
	// encodeInjectPort and encodePlainPort compress (encode zstd gzip):
	// the guard with inject_script, and plain reverse_proxy.
	encodeInjectPort, encodePlainPort int
	ssoCookie                         string
	output                            *tailBuffer
	exited                            chan struct{} // closed once cmd.Wait returned
	waitErr                           error
	dir                               string // temp dir holding the Caddyfile
	stopCancel                        context.CancelFunc
}

// startCaddy writes the Caddyfile, starts hhgate and waits until both sites
// answer. On error nothing is left running.
func startCaddy(ctx context.Context, hhgate, upstreamAddr string) (*caddy, error) {
	ports, err := freePorts(7) // six sites and the closed IdP port
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "loadcompare-")
	if err != nil {
		return nil, err
	}
	storage := filepath.Join(dir, "storage")
	session, err := seedSSOSession(ctx, storage)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("seeding the SSO session: %w", err)
	}
	config := filepath.Join(dir, "Caddyfile")
	content := fmt.Sprintf(caddyfileTemplate, ports[0], ports[1], upstreamAddr, ports[2], storage, ports[3], ports[4], session.Key, ports[5], ports[6])
	if err := os.WriteFile(config, []byte(content), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}

	// The process gets its own context so that it is stopped by stop(), not
	// by the caller's cancellation racing with our own graceful stop.
	procCtx, procCancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(procCtx, hhgate, "run", "--config", config, "--adapter", "caddyfile")
	// SIGTERM lets Caddy close its listeners; WaitDelay kills it if it has
	// not exited by then.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = caddyStopDeadline
	out := &tailBuffer{limit: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		procCancel()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", hhgate, err)
	}
	c := &caddy{
		cmd: cmd, guardPort: ports[0], plainPort: ports[1], injectPort: ports[2], ssoPort: ports[3], ssoCookie: session.Cookie,
		encodeInjectPort: ports[5], encodePlainPort: ports[6],
		output: out, exited: make(chan struct{}), dir: dir, stopCancel: procCancel,
	}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()

	if err := c.waitReady(ctx); err != nil {
		c.stop()
		return nil, fmt.Errorf("%w\n--- hhgate output ---\n%s", err, c.output.String())
	}
	return c, nil
}

// waitReady polls every site until each gives any HTTP answer.
func (c *caddy) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(caddyStartDeadline)
	for _, port := range []int{c.guardPort, c.plainPort, c.injectPort, c.ssoPort, c.encodeInjectPort, c.encodePlainPort} {
		url := fmt.Sprintf("http://127.0.0.1:%d/", port)
		for {
			if answers(ctx, client, url) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("hhgate: %s not answering after %s", url, caddyStartDeadline)
			}
			select {
			case <-c.exited:
				return fmt.Errorf("hhgate exited before serving: %v", c.waitErr)
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

func answers(ctx context.Context, client *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// stop asks hhgate to exit, kills it after caddyStopDeadline and waits for
// the exit in any case. It is safe to call more than once.
func (c *caddy) stop() {
	c.stopCancel()
	select {
	case <-c.exited:
	case <-time.After(2 * caddyStopDeadline):
		// WaitDelay should have killed it already; do not hang regardless.
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	os.RemoveAll(c.dir)
}

// freePorts returns n distinct loopback ports that were free a moment ago.
// Caddy binds them shortly after; a collision shows up as a start error.
func freePorts(n int) ([]int, error) {
	var listeners []net.Listener
	defer func() {
		for _, ln := range listeners {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find free port: %w", err)
		}
		listeners = append(listeners, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tailBuffer keeps the last limit bytes written to it, so a chatty process
// cannot grow our memory without bound.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.limit; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

var errNotRunning = errors.New("hhgate is not running")

// alive reports an error if hhgate has exited on its own.
func (c *caddy) alive() error {
	select {
	case <-c.exited:
		return fmt.Errorf("%w (%v)\n--- hhgate output ---\n%s", errNotRunning, c.waitErr, c.output.String())
	default:
		return nil
	}
}
