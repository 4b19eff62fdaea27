// Command hhgate-demo runs the gateway in front of the NetBox stand-in with
// a demo user, for trying hhgate on a fresh machine (`make demo`):
//
//	go run ./testenv/cmd/hhgate-demo -hhgate bin/hhgate
//
// It starts the stand-in (user admin/admin, fabric 1 "demo-fabric") on
// -netbox, the gateway with the repository's drop-in Caddyfile on -listen,
// prints where to go, and stops both on Ctrl-C. The stand-in's session lasts
// -login-timeout, so the expired-session journey can be tried by waiting.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/hhgate/hhgate/testenv"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "where the gateway listens")
	netboxAddr := flag.String("netbox", "127.0.0.1:8001", "where the NetBox stand-in listens")
	hhgate := flag.String("hhgate", "bin/hhgate", "the hhgate binary")
	caddyfile := flag.String("caddyfile", "Caddyfile", "the gateway configuration")
	loginTimeout := flag.Duration("login-timeout", 10*time.Minute, "NetBox's session lifetime (LOGIN_TIMEOUT); more than the banner's 2m warning")
	verbose := flag.Bool("v", false, "show the stand-in's request log")
	flag.Parse()
	if err := run(*listen, *netboxAddr, *hhgate, *caddyfile, *loginTimeout, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "hhgate-demo:", err)
		os.Exit(1)
	}
}

func run(listen, netboxAddr, hhgate, caddyfile string, loginTimeout time.Duration, verbose bool) error {
	// The drop-in Caddyfile warns 2 minutes before the session ends: a
	// shorter session would show the banner from the first second.
	if loginTimeout <= 2*time.Minute+30*time.Second {
		return fmt.Errorf("-login-timeout: %s must be more than 2m30s (the expiry banner shows 2m before the end)", loginTimeout)
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen: %w", err)
	}
	var standinLog io.Writer = io.Discard
	if verbose {
		standinLog = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	nb, stopNetBox, err := testenv.RunNetBox(ctx, testenv.NetBoxOptions{
		Demo: true,
		Addr: netboxAddr,
		Env:  map[string]string{"LOGIN_TIMEOUT": strconv.Itoa(int(loginTimeout.Seconds()))},
	}, standinLog)
	cancel()
	if err != nil {
		return fmt.Errorf("NetBox stand-in: %w", err)
	}
	defer func() { _ = stopNetBox() }()

	gw, err := testenv.StartGatewayProcess(hhgate, caddyfile, []string{
		"HHGATE_LISTEN=:" + port, "HHGATE_BIND=" + host, "HHGATE_ADMIN=off", "NETBOX_UPSTREAM=" + nb.Addr,
		"NETBOX_STATIC_ROOT=off"}, os.Stderr)
	if err != nil {
		return err
	}

	url := "http://" + listen
	fmt.Printf(`
hhgate demo
  NetBox (through hhgate): %[1]s/
  user: admin   password: admin
  fabric page:             %[1]s/plugins/hedgehog/fabrics/1/
  NetBox directly:         %[2]s/   (compare: the same clicks without the gateway)

NetBox sessions last %[3]s here. Log in, open the fabric page, wait that long,
then press "Sync Now": through hhgate the page gets a JSON 401 it can show;
directly against NetBox it gets the login page and fails to parse it.
Ctrl-C stops everything.

`, url, nb.URL, loginTimeout)

	return gw.WaitForSignal()
}
