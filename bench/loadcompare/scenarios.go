package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// scenario is one kind of request measured against both sites.
type scenario struct {
	Name   string
	Path   string
	Header string // "Name: value", sent by wrk with -H
	// Body is what the upstream answers, so the preflight can check that
	// both sites pass it through unchanged.
	Body []byte
	// Inject compares the site with inject_script (in the "guard" columns)
	// to the guard without it (in the "plain" columns) instead of the guard
	// to plain reverse_proxy: the cost of session-aware pages on top of the
	// guard. The measured site then answers Body with the script added.
	Inject bool
	// Encode compares, both compressing with encode zstd gzip as the
	// drop-in file does, the guard with inject_script (the "guard"
	// columns) to plain reverse_proxy (the "plain" columns); the request
	// accepts gzip.
	Encode bool
	// SSO compares netbox_oidc + guard with an authenticated session (in the
	// "guard" columns) to the guard alone (in the "plain" columns).
	SSO bool
}

// sites returns the ports of the measured site and of its baseline.
func (sc scenario) sites(c *caddy) (measured, baseline int) {
	if sc.Encode {
		return c.encodeInjectPort, c.encodePlainPort
	}
	if sc.Inject {
		return c.injectPort, c.guardPort
	}
	if sc.SSO {
		return c.ssoPort, c.guardPort
	}
	return c.guardPort, c.plainPort
}

// scenarios cover the guard's three paths through a request: wrapped but
// streaming, not wrapped at all, and wrapped with the body held back; and
// the HTML navigation that inject_script adds the shim script to.
var scenarios = []scenario{
	{Name: "programmatic JSON passthrough", Path: "/api/dcim/devices/", Header: "Sec-Fetch-Mode: cors", Body: apiBody},
	{Name: "navigation", Path: "/dcim/devices/", Header: "Sec-Fetch-Mode: navigate", Body: apiBody},
	{Name: "programmatic HTML (peeked)", Path: pathPage, Header: "HX-Request: true", Body: pageBody},
	{Name: "HTML navigation, inject_script on/off", Path: pathPage, Header: "Sec-Fetch-Mode: navigate", Body: pageBody, Inject: true},
	{Name: "HTML navigation with encode, guard+inject vs reverse_proxy", Path: pathPage, Header: "Sec-Fetch-Mode: navigate", Body: pageBody, Inject: true, Encode: true},
	{Name: "authenticated SSO API fetch, oidc+guard vs guard", Path: "/api/dcim/devices/", Header: "Sec-Fetch-Mode: cors", Body: apiBody, SSO: true},
}

// headers are the scenario's request headers on a site: the SSO site also
// gets the session cookie (the guard-only site ignores it).
func (sc scenario) headers(c *caddy) []string {
	if sc.SSO {
		return []string{sc.Header, c.ssoCookie}
	}
	if sc.Encode {
		return []string{sc.Header, "Accept-Encoding: gzip"}
	}
	return []string{sc.Header}
}

// preflight checks, before any load, that both sites pass every scenario's
// answer through unchanged (so wrk counts the same 200s on both) — or, for
// an injection scenario, that the measured site adds the script and the
// baseline does not — and that the guard is on the guarded site only (so
// the ports are not mixed up).
func preflight(ctx context.Context, c *caddy) error {
	client := &http.Client{
		Timeout: 5 * time.Second,
		// The login redirect must be seen, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, sc := range scenarios {
		measured, baseline := sc.sites(c)
		for _, port := range []int{measured, baseline} {
			status, body, err := get(ctx, client, port, sc.Path, sc.headers(c)...)
			if err != nil {
				return fmt.Errorf("preflight %s: %w", sc.Name, err)
			}
			want := bytes.Equal(body, sc.Body)
			if sc.Inject && port == measured {
				want = bytes.Contains(body, shimScript) && bytes.Equal(bytes.Replace(body, scriptElement(body), nil, 1), sc.Body)
			}
			if status != http.StatusOK || !want {
				return fmt.Errorf("preflight %s on port %d: status %d, %d-byte body; want 200 and the upstream's %d bytes (with the script: %v)",
					sc.Name, port, status, len(body), len(sc.Body), sc.Inject && port == measured)
			}
		}
	}
	const cors = "Sec-Fetch-Mode: cors"
	guarded, _, err := get(ctx, client, c.guardPort, pathLoginRedirect, cors)
	if err != nil {
		return fmt.Errorf("preflight guard check: %w", err)
	}
	plain, _, err := get(ctx, client, c.plainPort, pathLoginRedirect, cors)
	if err != nil {
		return fmt.Errorf("preflight guard check: %w", err)
	}
	if guarded != http.StatusUnauthorized || plain != http.StatusFound {
		return fmt.Errorf("preflight guard check: login redirect gave %d on the guarded site (want 401) and %d on the plain one (want 302)",
			guarded, plain)
	}
	return nil
}

func get(ctx context.Context, client *http.Client, port int, path string, headers ...string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, siteURL(port, path), nil)
	if err != nil {
		return 0, nil, err
	}
	for _, header := range headers {
		name, value, _ := strings.Cut(header, ":")
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" { // asked for: check what the browser would see
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return 0, nil, err
		}
		r = zr
	} else if req.Header.Get("Accept-Encoding") != "" {
		return 0, nil, fmt.Errorf("port %d: %s not compressed", port, path)
	}
	body, err := io.ReadAll(io.LimitReader(r, 1<<20))
	return resp.StatusCode, body, err
}

func siteURL(port int, path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
}

// shimScript is how the injected element starts.
var shimScript = []byte(`<script src="/.hhgate/shim.js?`)

// scriptElement is the injected <script …></script> in body, or nil.
func scriptElement(body []byte) []byte {
	start := bytes.Index(body, shimScript)
	if start < 0 {
		return nil
	}
	end := bytes.Index(body[start:], []byte("</script>"))
	if end < 0 {
		return nil
	}
	return body[start : start+end+len("</script>")]
}
