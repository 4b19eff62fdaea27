// Command netbox-standin runs the NetBox stand-in of package testenv on its
// own, e.g. for a demo in front of which the gateway is started:
//
//	go run ./testenv/cmd/netbox-standin -addr 127.0.0.1:8001
//	go run ./testenv/cmd/netbox-standin -env REMOTE_AUTH_ENABLED=1 -env REMOTE_AUTH_AUTO_CREATE_USER=1
//
// With -demo (the default) it seeds user admin/admin and fabric 1
// "demo-fabric" (connected, so Sync Now succeeds). The database is temporary;
// the server stops on SIGINT/SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hhgate/hhgate/testenv"
)

type envFlag map[string]string

func (e envFlag) String() string { return fmt.Sprint(map[string]string(e)) }

func (e envFlag) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", kv)
	}
	e[k] = v
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8001", "listen address")
	demo := flag.Bool("demo", true, "seed admin/admin and demo-fabric")
	quiet := flag.Bool("quiet", false, "discard the server's log output")
	env := envFlag{}
	flag.Var(env, "env", "NetBox setting as KEY=VALUE (repeatable), e.g. LOGIN_TIMEOUT=300")
	flag.Parse()

	var logs io.Writer = os.Stderr
	if *quiet {
		logs = io.Discard
	}
	if os.Getenv("STANDIN_VERBOSE") != "" {
		env["STANDIN_VERBOSE"] = os.Getenv("STANDIN_VERBOSE")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	nb, stop, err := testenv.RunNetBox(ctx, testenv.NetBoxOptions{Env: env, Demo: *demo, Addr: *addr}, logs)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "netbox-standin:", err)
		os.Exit(1)
	}
	fmt.Printf("NetBox stand-in at %s/", nb.BaseURL)
	if *demo {
		fmt.Printf(" (login admin/admin, fabric page %s/plugins/hedgehog/fabrics/1/)", nb.BaseURL)
	}
	fmt.Println()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "netbox-standin:", err)
		os.Exit(1)
	}
}
