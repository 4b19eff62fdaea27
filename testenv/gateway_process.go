package testenv

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// gatewayStopTimeout bounds a graceful stop before the process is killed.
const gatewayStopTimeout = 10 * time.Second

// GatewayProcess is a running hhgate process (tests and demos).
type GatewayProcess struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
	err  error         // its exit status, valid after done
}

// StartGatewayProcess runs `bin run --config caddyfile` with the current
// environment plus env ("KEY=value"), its output to out. The caller's own
// HHGATE_* and NETBOX_* variables (the test harness's HHGATE_BIN …) are
// not passed on: the gateway sees exactly the settings in env.
func StartGatewayProcess(bin, caddyfile string, env []string, out io.Writer) (*GatewayProcess, error) {
	cmd := exec.Command(bin, "run", "--config", caddyfile, "--adapter", "caddyfile")
	cmd.Env = append(InheritedEnv(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &GatewayProcess{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// InheritedEnv is the current environment without HHGATE_* and NETBOX_*,
// the base of a gateway process's environment.
func InheritedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HHGATE_") && !strings.HasPrefix(kv, "NETBOX_") {
			env = append(env, kv)
		}
	}
	return env
}

// PID is the process id.
func (p *GatewayProcess) PID() int { return p.cmd.Process.Pid }

// Stop interrupts the gateway and waits for it, killing it if it has not
// stopped within gatewayStopTimeout.
func (p *GatewayProcess) Stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(gatewayStopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// WaitForSignal returns nil after SIGINT or SIGTERM, once the gateway has
// stopped, or an error if the gateway exits on its own first.
func (p *GatewayProcess) WaitForSignal() error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-sig:
		p.Stop()
		return nil
	case <-p.done:
		return fmt.Errorf("hhgate exited: %v", p.err)
	}
}
