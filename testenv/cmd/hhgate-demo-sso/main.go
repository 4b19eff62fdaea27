// Command hhgate-demo-sso runs the gateway as an OIDC relying party in
// front of the NetBox stand-in, with an in-process OpenID provider, for
// trying single sign-on on a fresh machine (`make demo-sso`):
//
//	go run ./testenv/cmd/hhgate-demo-sso -hhgate bin/hhgate
//
// It starts the zitadel example OP (user alice) on -idp, the stand-in in
// remote-auth mode (REMOTE_AUTH_ENABLED, users and groups created from the
// gateway's headers, group netbox-admins made superuser) on -netbox, and
// the gateway with the drop-in Caddyfile and HHGATE_SSO=on on -listen; it prints where to go and
// stops everything on Ctrl-C. NetBox's sessions last -login-timeout and
// the IdP's access tokens -access-ttl, so the silent NetBox re-login and
// the silent token refresh can both be watched.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/oidcop"
)

const (
	clientID     = "hhgate-demo"
	clientSecret = "hhgate-demo-secret"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "where the gateway listens")
	netboxAddr := flag.String("netbox", "127.0.0.1:8001", "where the NetBox stand-in listens")
	idpAddr := flag.String("idp", "127.0.0.1:9998", "where the OpenID provider listens")
	hhgate := flag.String("hhgate", "bin/hhgate", "the hhgate binary")
	caddyfile := flag.String("caddyfile", "Caddyfile", "the gateway configuration")
	loginTimeout := flag.Duration("login-timeout", 2*time.Minute, "NetBox's session lifetime (LOGIN_TIMEOUT)")
	accessTTL := flag.Duration("access-ttl", 3*time.Minute, "the IdP's access token lifetime")
	verbose := flag.Bool("v", false, "show the stand-in's request log")
	flag.Parse()
	if err := run(*listen, *netboxAddr, *idpAddr, *hhgate, *caddyfile, *loginTimeout, *accessTTL, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "hhgate-demo-sso:", err)
		os.Exit(1)
	}
}

func run(listen, netboxAddr, idpAddr, hhgate, caddyfile string, loginTimeout, accessTTL time.Duration, verbose bool) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen: %w", err)
	}
	site := "http://" + listen

	op, err := oidcop.RunZitadel(oidcop.ZitadelOptions{Addr: idpAddr, AccessTTL: accessTTL})
	if err != nil {
		return fmt.Errorf("OpenID provider: %w", err)
	}
	defer op.Close()
	op.RegisterClient(oidcop.Client{
		ID: clientID, Secret: clientSecret,
		RedirectURIs:           []string{site + "/.hhgate/oidc/callback"},
		PostLogoutRedirectURIs: []string{site + "/"},
	})

	var standinLog io.Writer = io.Discard
	if verbose {
		standinLog = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	nb, stopNetBox, err := testenv.RunNetBox(ctx, testenv.NetBoxOptions{
		Demo: true,
		Addr: netboxAddr,
		Env: map[string]string{
			"LOGIN_TIMEOUT":                  strconv.Itoa(int(loginTimeout.Seconds())),
			"REMOTE_AUTH_ENABLED":            "1",
			"REMOTE_AUTH_AUTO_CREATE_USER":   "1",
			"REMOTE_AUTH_GROUP_SYNC_ENABLED": "1",
			"REMOTE_AUTH_AUTO_CREATE_GROUPS": "1",
			"REMOTE_AUTH_SUPERUSER_GROUPS":   "netbox-admins",
		},
	}, standinLog)
	cancel()
	if err != nil {
		return fmt.Errorf("NetBox stand-in: %w", err)
	}
	defer func() { _ = stopNetBox() }()

	data, err := os.MkdirTemp("", "hhgate-demo-sso-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	gw, err := testenv.StartGatewayProcess(hhgate, caddyfile, []string{
		"HHGATE_LISTEN=:" + port, "HHGATE_BIND=" + host, "HHGATE_ADMIN=off", "NETBOX_UPSTREAM=" + nb.Addr,
		"HHGATE_SSO=on", "NETBOX_STATIC_ROOT=off",
		"HHGATE_OIDC_ISSUER=" + op.Issuer, "HHGATE_OIDC_CLIENT_ID=" + clientID, "HHGATE_OIDC_CLIENT_SECRET=" + clientSecret,
		"HHGATE_SESSION_KEY=" + base64.StdEncoding.EncodeToString(key),
		"HHGATE_OIDC_POST_LOGOUT_URL=/",
		"XDG_DATA_HOME=" + data, // the gateway's session storage, removed on exit
	}, os.Stderr)
	if err != nil {
		return err
	}

	user := oidcop.DefaultUser
	fmt.Printf(`
hhgate single sign-on demo
  NetBox (through hhgate): %[1]s/
  sign in at the IdP as:   %[2]s   password: %[3]s
  fabric page:             %[1]s/plugins/hedgehog/fabrics/1/
  who am I:                %[1]s/.hhgate/session
  sign out:                %[1]s/logout/
  OpenID provider:         %[4]s
  NetBox directly:         %[5]s/   (local user admin/admin)

NetBox sessions last %[6]s and access tokens %[7]s here. Open the fabric page,
wait longer than both, then press "Sync Now": the gateway renews the tokens
with the refresh token on that request and NetBox logs %[2]s back in from the
gateway's headers, so the sync just works. Ctrl-C stops everything.

`, site, user.Username, user.Password, op.Issuer, nb.URL, loginTimeout, accessTTL)

	return gw.WaitForSignal()
}
