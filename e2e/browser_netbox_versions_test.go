//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hhgate/hhgate/e2e/browser"
	"github.com/hhgate/hhgate/testenv"
)

// startVersionStack is startBrowserStack with the stand-in's NetBox
// version, gunicorn and static-root switches, and extra gateway
// environment (NETBOX_STATIC_ROOT…). Session-aware pages are on.
func startVersionStack(t *testing.T, opts testenv.NetBoxOptions, gatewayEnv map[string]string) *browserStack {
	t.Helper()
	if _, err := browser.Chromium(); err != nil {
		t.Fatal(err)
	}
	nb := testenv.StartNetBox(t, opts)
	nb.CreateUser(t, testenv.User{Username: user, Password: password, Superuser: true})
	id := nb.CreateFabric(t, map[string]any{"name": "fab-versions", "connection_status": "connected", "sync_status": "never_synced"})
	env := map[string]string{"HHGATE_INJECT_SCRIPT": "on"}
	for k, v := range gatewayEnv {
		env[k] = v
	}
	gw := testenv.StartGateway(t, testenv.GatewayOptions{Upstream: nb.Addr, Env: env})
	return &browserStack{netbox: nb, gateway: gw, browser: browser.Start(t), fabricID: id}
}

// countLoads makes the tab count its page loads in sessionStorage.
const (
	countLoads = `sessionStorage.setItem('hhgateTestLoads', String(Number(sessionStorage.getItem('hhgateTestLoads') || 0) + 1))`
	pageLoads  = `Number(sessionStorage.getItem('hhgateTestLoads') || 0)`
	// The stand-in's stylesheet gives the body this background.
	styled = `getComputedStyle(document.body).backgroundColor === 'rgb(245, 247, 251)'`
	// Every stylesheet and script of the page arrived with 200.
	assetsLoaded = `(() => { const r = performance.getEntriesByType('resource').filter(e => /\/static\//.test(e.name));
		return r.length >= 3 && r.every(e => e.responseStatus === 200); })()`
)

// TestBrowserStaticRootServedByGateway: NetBox under gunicorn does not serve
// /static/ and its base template sends a page whose stylesheet or script
// fails to /media-failure/, which needs a login. With NETBOX_STATIC_ROOT the
// gateway serves the files (before the guard): the login page and NetBox's
// pages load once each, styled. With it off (the bug), the login page
// reloads itself over and over.
// Real parts: Django stand-in (3.x, gunicorn mode, collected static root),
// hhgate binary (drop-in Caddyfile), Chromium.
func TestBrowserStaticRootServedByGateway(t *testing.T) {
	for _, tt := range []struct {
		name     string
		served   bool
		wantLoop bool
	}{
		{name: "served", served: true},
		{name: "off reproduces the reload loop", served: false, wantLoop: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "static")
			staticEnv := "off"
			if tt.served {
				staticEnv = root
			}
			s := startVersionStack(t, testenv.NetBoxOptions{Version: testenv.NetBox3, Gunicorn: true, StaticRoot: root},
				map[string]string{"NETBOX_STATIC_ROOT": staticEnv})
			tab := s.browser.NewTab(t, "static")
			tab.OnNewDocument(countLoads)
			if tt.wantLoop {
				// Not tab.Navigate: a page that keeps leaving never reaches its load event.
				browser.Eval[bool](tab, fmt.Sprintf(`(location.href = %q, true)`, s.gateway.URL+"/login/?next=/plugins/hedgehog/fabrics/"))
				tab.WaitFor("the login page to reload itself at least 5 times", pageLoads+` >= 5`)
				return
			}
			for _, f := range []struct{ path, contentType string }{
				{"/static/netbox.css", "text/css"}, {"/static/netbox.js", "javascript"}, {"/static/htmx.min.js", "javascript"},
			} {
				resp, err := http.Get(s.gateway.URL + f.path) // no session
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), f.contentType) || len(body) == 0 {
					t.Errorf("anonymous GET %s: %s, Content-Type %q, %d bytes", f.path, resp.Status, resp.Header.Get("Content-Type"), len(body))
				}
				if resp.Header.Get("Cache-Control") == "" {
					t.Errorf("GET %s: no Cache-Control", f.path)
				}
			}

			tab.Navigate(s.gateway.URL + "/login/?next=/plugins/hedgehog/fabrics/")
			tab.WaitFor("the styled login page with all its assets", styled+` && `+assetsLoaded)
			fillLoginForm(tab)
			tab.WaitFor("the fabric list, styled, with all its assets",
				`location.pathname === '/plugins/hedgehog/fabrics/' && document.readyState === 'complete' && `+styled+` && `+assetsLoaded)
			if n := browser.Eval[int](tab, pageLoads); n != 2 {
				t.Errorf("%d page loads for the login page and the fabric list, want 2 (a media-failure loop?)", n)
			}
			if browser.Eval[bool](tab, `typeof window.hhgate !== 'object'`) {
				t.Error("the shim did not load on the page")
			}
		})
	}
}

// TestBrowserRetryAfterReloginGetsFreshToken: the session expires, the
// page's own script saves the table configuration (PATCH
// /api/users/config/ with X-CSRFToken read at send time: from the csrftoken
// cookie on NetBox 3.x, from window.CSRF_TOKEN on 4.x); the dialog asks for
// a sign-in, the user signs in in the popup, and the same request is sent
// once more with the token NetBox issued at that sign-in, and succeeds the
// first time (one interception, one retry).
// Real parts: Django stand-in (3.x and 4.x modes), hhgate binary (drop-in Caddyfile), Chromium.
func TestBrowserRetryAfterReloginGetsFreshToken(t *testing.T) {
	for _, tt := range []struct {
		version   testenv.NetBoxVersion
		tokenFrom string // where the page's script reads the token
	}{
		{testenv.NetBox3, `typeof window.CSRF_TOKEN === 'undefined' && document.cookie.includes('csrftoken=')`},
		{testenv.NetBox4, `typeof window.CSRF_TOKEN === 'string' && window.CSRF_TOKEN.length > 0 && !document.cookie.includes('csrftoken=')`},
	} {
		t.Run("NetBox"+string(tt.version), func(t *testing.T) {
			s := startVersionStack(t, testenv.NetBoxOptions{Version: tt.version}, nil)
			tab := s.browser.NewTab(t, "table-config")
			signInAt(tab, s.gateway.URL, "/plugins/hedgehog/fabrics/")
			if !browser.Eval[bool](tab, tt.tokenFrom) {
				t.Fatalf("the page does not keep its token as NetBox %s does", tt.version)
			}
			before := browser.Eval[string](tab, `window.netbox.getCsrfToken()`)

			s.netbox.ExpireSessions(t, user)
			tab.Click("#table-config-save")
			tab.WaitFor("the sign-in dialog", dialogOpen)
			signInInPopup(t, tab, "#hhgate-dialog-primary")
			tab.WaitFor("the retried save", `document.querySelector('#table-config-status').dataset.state === 'saved'`)

			if got := readShimStats(tab); got.Intercepted != 1 || got.Retried != 1 || got.Dialogs != 1 {
				t.Errorf("shim stats %+v, want 1 interception, 1 retry, 1 dialog (the retry's token was refused?)", got)
			}
			if after := browser.Eval[string](tab, `window.netbox.getCsrfToken()`); after == before {
				t.Errorf("the page's token did not change across the sign-in (%d chars)", len(after))
			}
			// The gateway's own answer: a token on either version (NetBox 3.x pages have none).
			answer := browser.Eval[string](tab, `fetch('/.hhgate/csrf').then(r => r.json().then(j => r.status + ' ' + (j.csrf_token ? 'token' : 'none')))`)
			if answer != "200 token" {
				t.Errorf(".hhgate/csrf answers %q, want 200 with a token", answer)
			}
			saved := browser.Eval[string](tab, `fetch('/api/users/config/').then(r => r.text())`)
			if !strings.Contains(saved, `"HedgehogFabricTable":{"columns":["name","status"]}`) {
				t.Errorf("user config after the retry: %s", saved)
			}
			if browser.Eval[bool](tab, `location.pathname !== '/plugins/hedgehog/fabrics/' || performance.getEntriesByType('navigation').length !== 1`) {
				t.Error("the page was left or reloaded")
			}
		})
	}
}

// TestBrowserBannerClearOfToasts: with the expiry banner up and NetBox
// toasts on screen (the login's "Logged in as …" and one a script shows),
// no toast and the banner overlap and all are inside the viewport, on the
// NetBox 3.x layout (sidebar menu) and the 4.x one. Screenshots are saved
// under artifacts/.
// Real parts: Django stand-in (3.x and 4.x modes, LOGIN_TIMEOUT), hhgate binary (drop-in Caddyfile), Chromium.
func TestBrowserBannerClearOfToasts(t *testing.T) {
	for _, version := range []testenv.NetBoxVersion{testenv.NetBox3, testenv.NetBox4} {
		t.Run("NetBox"+string(version), func(t *testing.T) {
			s := startVersionStack(t, testenv.NetBoxOptions{Version: version, Env: map[string]string{"LOGIN_TIMEOUT": sessionSeconds}}, nil)
			tab := s.browser.NewTab(t, "banner")
			s.openFabricPage(tab)
			browser.Eval[bool](tab, `(window.netbox.createToast('danger', 'Sync failed', 'The fabric could not be synced: connection refused.'), true)`)
			browser.Eval[bool](tab, letTimePass)
			tab.WaitFor("the expiry banner", bannerShown)

			type rect struct{ Left, Top, Right, Bottom float64 }
			rects := browser.Eval[map[string][]rect](tab, `(() => {
				const r = el => { const b = el.getBoundingClientRect(); return {Left: b.left, Top: b.top, Right: b.right, Bottom: b.bottom}; };
				return {banner: [r(document.querySelector('#hhgate-banner'))], toasts: [...document.querySelectorAll('#django-messages .toast')].map(r),
					viewport: [{Left: 0, Top: 0, Right: innerWidth, Bottom: innerHeight}]};
			})()`)
			shot := tab.Screenshot("NetBox" + string(version))
			t.Logf("screenshot: %s; banner %+v, toasts %+v", shot, rects["banner"], rects["toasts"])
			if len(rects["toasts"]) < 2 {
				t.Fatalf("%d toasts on screen, want the login's and the script's", len(rects["toasts"]))
			}
			view := rects["viewport"][0]
			inside := func(r rect) bool {
				return r.Left >= view.Left && r.Top >= view.Top && r.Right <= view.Right && r.Bottom <= view.Bottom && r.Right > r.Left && r.Bottom > r.Top
			}
			banner := rects["banner"][0]
			if !inside(banner) {
				t.Errorf("banner %+v not fully inside the viewport %+v", banner, view)
			}
			for i, toast := range rects["toasts"] {
				if !inside(toast) {
					t.Errorf("toast %d %+v not fully inside the viewport %+v", i, toast, view)
				}
				if toast.Left < banner.Right && banner.Left < toast.Right && toast.Top < banner.Bottom && banner.Top < toast.Bottom {
					t.Errorf("toast %d %+v and the banner %+v overlap", i, toast, banner)
				}
			}
			// What is on top at each toast's centre is the toast itself.
			covered := browser.Eval[string](tab, `[...document.querySelectorAll('#django-messages .toast')].map(t => { const b = t.getBoundingClientRect();
				const top = document.elementFromPoint((b.left + b.right) / 2, (b.top + b.bottom) / 2); return t.contains(top) ? '' : (top && top.id || top && top.tagName); }).join('')`)
			if covered != "" {
				t.Errorf("a toast is covered by %s", covered)
			}
		})
	}
}
