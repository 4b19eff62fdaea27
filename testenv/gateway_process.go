package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

// GatewayProcess is an hhgate started outside a test (the demos).
type GatewayProcess struct {
	cmd    *exec.Cmd
	exited chan error
}

// StartGatewayProcess runs `bin run --config caddyfile` with the current
// environment plus env ("KEY=value"), its output on stderr.
func StartGatewayProcess(bin, caddyfile string, env []string) (*GatewayProcess, error) {
	cmd := exec.Command(bin, "run", "--config", caddyfile, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &GatewayProcess{cmd: cmd, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	return p, nil
}

// WaitForSignal returns nil after SIGINT or SIGTERM, once the gateway has
// stopped (gracefully, or killed after 10 s), or an error if the gateway
// exits on its own first.
func (p *GatewayProcess) WaitForSignal() error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-sig:
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		return nil
	case err := <-p.exited:
		return fmt.Errorf("hhgate exited: %v", err)
	}
}
