// Command hhgate-demo runs the whole mission on one machine (`make demo`):
//
//	go run ./testenv/cmd/hhgate-demo -hhgate bin/hhgate
//
// It starts a real kube-apiserver + etcd with the project's VLAB-like
// wiring fixture (built once by scripts/build-envtest-bins.sh, cached in
// ~/.cache/hhgate), the NetBox stand-in (user admin/admin, fabric 1
// "demo-fabric" pointing at that API server, sync_enabled with a
// sync_interval), one Hedgehog Agent per switch (one of them silent, so
// that its heartbeat is stale), the gateway with the repository's drop-in
// Caddyfile, its native sync (HHGATE_SYNC=on) and the fabric controller
// (scheduled and change-driven syncs) on -listen, and a small demo endpoint on -control that expires the session
// or changes a custom resource, so that the walk-through needs no kubectl.
// It prints the walk-through and stops everything on Ctrl-C.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "where the gateway listens")
	netboxAddr := flag.String("netbox", "127.0.0.1:8001", "where the NetBox stand-in listens")
	control := flag.String("control", "127.0.0.1:8090", "where the demo endpoint (expire the session, change a CR) listens")
	hhgate := flag.String("hhgate", "bin/hhgate", "the hhgate binary")
	caddyfile := flag.String("caddyfile", "Caddyfile", "the gateway configuration")
	loginTimeout := flag.Duration("login-timeout", 10*time.Minute, "NetBox's session lifetime (LOGIN_TIMEOUT); more than the banner's 2m warning")
	verbose := flag.Bool("v", false, "show the stand-in's request log")
	flag.Parse()
	if err := run(*listen, *netboxAddr, *control, *hhgate, *caddyfile, *loginTimeout, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "hhgate-demo:", err)
		os.Exit(1)
	}
}

// The demo fabric's schedule and the controller's debounce: long enough
// to look at the drift line and the preview after POST /change-cr before
// the change-driven sync applies it.
const (
	syncInterval = 300 * time.Second
	debounce     = 15 * time.Second
)

func run(listen, netboxAddr, control, hhgate, caddyfile string, loginTimeout time.Duration, verbose bool) error {
	// The drop-in Caddyfile warns 2 minutes before the session ends: a
	// shorter session would show the banner from the first second.
	if loginTimeout <= 2*time.Minute+30*time.Second {
		return fmt.Errorf("-login-timeout: %s must be more than 2m30s (the expiry banner shows 2m before the end)", loginTimeout)
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen: %w", err)
	}
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute) // a first run builds kube-apiserver
	defer cancel()
	fmt.Fprintln(os.Stderr, "hhgate-demo: starting kube-apiserver + etcd with the VLAB fixture…")
	cluster, kubeToken, err := startCluster(ctx)
	if err != nil {
		return fmt.Errorf("kube-apiserver: %w", err)
	}
	defer cluster.Stop()
	if err := startAgents(ctx, cluster); err != nil {
		return fmt.Errorf("kube-apiserver: %w", err)
	}

	nb, stopNetBox, err := startNetBox(ctx, netboxAddr, loginTimeout, verbose)
	if err != nil {
		return fmt.Errorf("NetBox stand-in: %w", err)
	}
	defer func() { _ = stopNetBox() }()
	serviceToken, err := setUpNetBox(nb, cluster, kubeToken)
	if err != nil {
		return fmt.Errorf("NetBox stand-in: %w", err)
	}

	// Storage of its own: the last sync results, journal keys and the
	// controller's lease of an earlier demo (another NetBox) stay out.
	storage, err := os.MkdirTemp("", "hhgate-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(storage)
	gw, err := testenv.StartGatewayProcess(hhgate, caddyfile, []string{
		"HHGATE_LISTEN=:" + port, "HHGATE_BIND=" + host, "HHGATE_ADMIN=off", "NETBOX_UPSTREAM=" + nb.Addr,
		"NETBOX_STATIC_ROOT=off", "HHGATE_SYNC=on", "HHGATE_SYNC_DEBOUNCE=" + debounce.String(),
		"HHGATE_NETBOX_TOKEN=" + serviceToken, "XDG_DATA_HOME=" + storage}, os.Stderr)
	if err != nil {
		return err
	}
	srv, err := serveDemoEndpoint(control, nb, cluster)
	if err != nil {
		gw.Stop()
		return err
	}
	defer srv.Close()
	printWalkthrough("http://"+listen, nb.URL, "http://"+control, loginTimeout, time.Since(started))
	return gw.WaitForSignal()
}

func startNetBox(ctx context.Context, addr string, loginTimeout time.Duration, verbose bool) (*testenv.NetBox, func() error, error) {
	var standinLog io.Writer = io.Discard
	if verbose {
		standinLog = os.Stderr
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return testenv.RunNetBox(ctx, testenv.NetBoxOptions{
		Demo: true,
		Addr: addr,
		Env:  map[string]string{"LOGIN_TIMEOUT": strconv.Itoa(int(loginTimeout.Seconds())), "STANDIN_SPEC_BLANK_OK": "1"},
	}, standinLog)
}

// setUpNetBox points fabric 1 at the cluster and creates the gateway's
// service user; it returns that user's API token (never printed).
func setUpNetBox(nb *testenv.NetBox, c *kube.Cluster, kubeToken string) (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b)
	if err := nb.Control(http.MethodPost, "users/", map[string]any{"username": "hhgate-sync", "password": hex.EncodeToString(b[:8]),
		"superuser": true, "token": token}, nil); err != nil {
		return "", fmt.Errorf("service user: %w", err)
	}
	err := nb.Control(http.MethodPost, "fabrics/1/", map[string]any{
		"kubernetes_server": c.Server, "kubernetes_token": kubeToken, "kubernetes_ca_cert": string(c.CACert),
		"kubernetes_namespace": demoNamespace, "connection_status": "connected",
		"sync_enabled": true, "sync_interval": int(syncInterval.Seconds())}, nil)
	if err != nil {
		return "", fmt.Errorf("fabric 1: %w", err)
	}
	return token, nil
}

// serveDemoEndpoint answers POST /expire-session and POST /change-cr.
func serveDemoEndpoint(addr string, nb *testenv.NetBox, c *kube.Cluster) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-control: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /expire-session", func(w http.ResponseWriter, _ *http.Request) {
		if err := nb.Control(http.MethodPost, "expire-sessions/", map[string]any{"username": "admin"}, nil); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, "admin's NetBox session has expired: press Sync Now on the fabric page.")
	})
	mux.HandleFunc("POST /change-cr", func(w http.ResponseWriter, r *http.Request) {
		name, err := changeVPC(r.Context(), c)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "VPC %s/%s got a new label in the cluster: the fabric page shows the drift line and the preview now; the controller syncs it in %s.\n",
			demoNamespace, name, debounce)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}

func printWalkthrough(url, netboxURL, control string, loginTimeout, took time.Duration) {
	fmt.Printf(`
hhgate demo (started in %[5]s)
  NetBox (through hhgate): %[1]s/            user: admin   password: admin
  fabric page:             %[1]s/plugins/hedgehog/fabrics/1/
  NetBox directly:         %[2]s/   (compare: the same clicks without the gateway)
  Kubernetes:              a real kube-apiserver with the VLAB fixture (namespace %[6]s)

Try:
  1. Sign in and open the fabric page. The panel "Sync from Kubernetes" shows
     the switches' readiness, "Switches ready 6/7 · 1 stale heartbeat" (the demo
     beats for six switch agents; leaf-05's is silent), and the preview of the
     next sync per kind. The gateway's controller imports the fabric by itself
     within %[7]s of the start (its first scheduled sync: the fabric is
     sync_enabled with sync_interval %[8]s and was never synced); press "Sync
     Now" to sync at once. The panel shows the sync running (kinds read, changes
     written), then its counts; the page's own Sync Status badge and Last Sync
     change without a reload, and "Last syncs" lists it from the journal.
  2. The expired-session click: expire the session, then press "Sync Now" again:
       curl -X POST %[3]s/expire-session
     A dialog says the session has expired; "Sign in again" opens the login in a
     popup, and the click completes after it. (Sessions last %[4]s here; the
     expiry banner shows in the last 2 minutes.)
  3. A change in the cluster, without kubectl:
       curl -X POST %[3]s/change-cr
     The panel shows "1 change in the cluster since the last sync" by itself,
     and the preview lists the VPC as updated (~1; expand it for its name and
     changed fields). %[9]s after the change the controller syncs it: the panel
     says "1 updated", the drift line clears and "Last syncs" lists a
     "Change-driven sync from Kubernetes". Or press "Sync now" beside the preview.
Ctrl-C stops everything.

`, url, netboxURL, control, loginTimeout, took.Round(100*time.Millisecond), demoNamespace,
		syncInterval/10, syncInterval, debounce)
}
