//go:build e2e

package testenv

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// csrfCookieLine is the Set-Cookie line of the csrftoken cookie in resp.
func csrfCookieLine(resp *http.Response) string {
	for _, line := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "csrftoken=") {
			return line
		}
	}
	return ""
}

// TestStandInNetBox3Mode: STANDIN_NETBOX_VERSION=3 answers like NetBox 3.1
// (reference netbox.md §12). Real part: the Django stand-in.
func TestStandInNetBox3Mode(t *testing.T) {
	nb := StartNetBox(t, NetBoxOptions{Version: NetBox3})
	nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true})
	fab := nb.CreateFabric(t, map[string]any{"name": "fab3", "connection_status": "connected"})
	fabPath := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", fab)

	anon := NewSession(nb.BaseURL)
	for _, tt := range []struct {
		name, method, path string
		header             http.Header
		wantStatus         int
		wantLocation       string
		wantBody           string
	}{
		{"anonymous POST without CSRF: login redirect before CSRF", "POST", fabPath + "sync/", nil, 302,
			"/login/?next=" + fabPath + "sync/", ""},
		{"anonymous page", "GET", "/plugins/hedgehog/fabrics/?q=1", nil, 302, "/login/?next=/plugins/hedgehog/fabrics/%3Fq%3D1", ""},
		{"media failure page needs a login", "GET", "/media-failure/?filename=netbox.css", nil, 302, "/login/?next=/media-failure/%3Ffilename%3Dnetbox.css", ""},
		{"the API is exempt: DRF's 403", "GET", "/api/users/config/", nil, 403, "", "Authentication credentials were not provided."},
		{"GraphQL for a script", "POST", "/graphql/", http.Header{"Accept": {"application/json"}}, 403, "", "No credentials provided."},
		{"the login page is exempt", "GET", "/login/", nil, 200, "", `name="csrfmiddlewaretoken"`},
		{"static files are exempt while Django serves them", "GET", "/static/netbox.css", nil, 200, "", ".toast-container"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := anon.Do(t, tt.method, tt.path, tt.header, nil)
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Location") != tt.wantLocation || !bytes.Contains(body, []byte(tt.wantBody)) {
				t.Fatalf("%s %s: %s Location %q: %.200s", tt.method, tt.path, resp.Status, resp.Header.Get("Location"), body)
			}
			if tt.path == "/graphql/" && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("GraphQL refusal Content-Type %q, want text/html", resp.Header.Get("Content-Type"))
			}
		})
	}

	s := Login(t, nb.BaseURL, "admin", "admin-pw")
	t.Run("pages: no window.CSRF_TOKEN, the form token after a 120 KB menu", func(t *testing.T) {
		resp, body := s.Get(t, "/plugins/hedgehog/fabrics/")
		wantStatus(t, resp, body, http.StatusOK)
		if bytes.Contains(body, []byte("window.CSRF_TOKEN")) {
			t.Error("a 3.x page sets window.CSRF_TOKEN")
		}
		i := bytes.Index(body, []byte(`name="csrfmiddlewaretoken"`))
		if i < 120_000 {
			t.Errorf("first csrfmiddlewaretoken at byte %d, want 120 KB or more in", i)
		}
		for _, want := range []string{`onerror="window.location='/media-failure/?filename=netbox.css'"`, `id="django-messages"`, `id="table-config-save"`} {
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("page lacks %s", want)
			}
		}
		_, home := s.Get(t, "/")
		if bytes.Contains(home, []byte("csrfmiddlewaretoken")) {
			t.Error("the home page has a form token (NetBox 3.1's has none)")
		}
	})
	t.Run("the csrftoken cookie is readable and accepted as X-CSRFToken", func(t *testing.T) {
		resp, _ := NewSession(nb.BaseURL).Get(t, "/login/")
		if line := csrfCookieLine(resp); line == "" || strings.Contains(strings.ToLower(line), "httponly") {
			t.Errorf("csrftoken Set-Cookie %q, want one without HttpOnly", line)
		}
		patch := func(token string) (*http.Response, []byte) {
			return s.Do(t, "PATCH", "/api/users/config/", http.Header{"X-Csrftoken": {token}, "Content-Type": {"application/json"}},
				strings.NewReader(`{"tables": {"SiteTable": {"columns": ["name"]}}}`))
		}
		if resp, body := patch("wrong"); resp.StatusCode != 403 || !bytes.Contains(body, []byte("CSRF Failed")) {
			t.Errorf("PATCH with a wrong token: %s %s", resp.Status, body)
		}
		resp, body := patch(s.Cookie("csrftoken"))
		wantStatus(t, resp, body, http.StatusOK)
		if !bytes.Contains(body, []byte(`"SiteTable":{"columns":["name"]}`)) {
			t.Errorf("config %s", body)
		}
	})
}

// TestStandInNetBox4ModeDefaults: the default stand-in keeps NetBox 4.x's
// behaviour: CSRF before login, window.CSRF_TOKEN, HttpOnly cookie.
// Real part: the Django stand-in.
func TestStandInNetBox4ModeDefaults(t *testing.T) {
	nb := StartNetBox(t, NetBoxOptions{})
	fab := nb.CreateFabric(t, map[string]any{"name": "fab4", "connection_status": "connected"})
	anon := NewSession(nb.BaseURL)
	resp, body := anon.Do(t, "POST", fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync/", fab), nil, nil)
	if resp.StatusCode != 403 || !bytes.Contains(body, []byte("CSRF verification failed")) {
		t.Errorf("anonymous POST without CSRF: %s %.200s, want the CSRF 403", resp.Status, body)
	}
	resp, _ = anon.Get(t, "/login/")
	if line := csrfCookieLine(resp); !strings.Contains(strings.ToLower(line), "httponly") {
		t.Errorf("csrftoken Set-Cookie %q, want HttpOnly", line)
	}
	resp, body = anon.Get(t, "/media-failure/")
	if resp.StatusCode != 302 {
		t.Errorf("anonymous media failure page: %s %.100s", resp.Status, body)
	}
	nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true})
	s := Login(t, nb.BaseURL, "admin", "admin-pw")
	s.CSRFToken = s.PageCSRFToken(t, "/")
	resp, body = s.Do(t, "PATCH", "/api/users/config/", http.Header{"X-Csrftoken": {s.CSRFToken}, "Content-Type": {"application/json"}},
		strings.NewReader(`{"a": {"b": 1}}`))
	wantStatus(t, resp, body, http.StatusOK)
}

// TestStandInGunicornStaticRoot: in gunicorn mode Django does not serve
// /static/ (logged in a 404 page; on 3.x anonymous gets the login redirect),
// and StaticRoot receives the files a proxy is to serve.
// Real part: the Django stand-in.
func TestStandInGunicornStaticRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "static")
	nb := StartNetBox(t, NetBoxOptions{Version: NetBox3, Gunicorn: true, StaticRoot: root})
	nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true})

	resp, _ := NewSession(nb.BaseURL).Get(t, "/static/netbox.css")
	if resp.StatusCode != 302 || !strings.HasPrefix(resp.Header.Get("Location"), "/login/?next=/static/netbox.css") {
		t.Errorf("anonymous static: %s Location %q", resp.Status, resp.Header.Get("Location"))
	}
	s := Login(t, nb.BaseURL, "admin", "admin-pw")
	resp, body := s.Get(t, "/static/netbox.css")
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("logged-in static: %s %s %.100s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	dir, err := NetBoxDir()
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"netbox.css":  filepath.Join(dir, "standin", "static", "netbox.css"),
		"netbox.js":   filepath.Join(dir, "standin", "static", "netbox.js"),
		"htmx.min.js": filepath.Join(dir, "node_modules", "htmx.org", "dist", "htmx.min.js"),
	} {
		got, err := os.ReadFile(filepath.Join(root, name))
		want, err2 := os.ReadFile(src)
		if err != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Errorf("static root %s: %v %v (%d bytes, want %d)", name, err, err2, len(got), len(want))
		}
	}
}

// TestStandInKeepAlive: with KeepAlive the stand-in keeps a connection open
// for several requests and closes it once it has been idle that long, as
// gunicorn's --keep-alive. Real part: the Django stand-in.
func TestStandInKeepAlive(t *testing.T) {
	const keepAlive = 700 * time.Millisecond
	nb := StartNetBox(t, NetBoxOptions{KeepAlive: keepAlive})
	conn, err := net.Dial("tcp", nb.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for i := range 3 {
		fmt.Fprintf(conn, "GET /login/ HTTP/1.1\r\nHost: %s\r\n\r\n", nb.Addr)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d on the same connection: %v", i+1, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("request %d: %s, close=%v", i+1, resp.Status, resp.Close)
		}
	}
	idleSince := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * keepAlive))
	n, err := br.Read(make([]byte, 1))
	idle := time.Since(idleSince)
	if err != io.EOF || n != 0 {
		t.Fatalf("idle connection: read %d bytes, %v; want EOF (closed by the server)", n, err)
	}
	if idle < keepAlive*9/10 || idle > 5*keepAlive {
		t.Errorf("closed after %s idle, want about %s", idle, keepAlive)
	}
	t.Logf("closed after %s idle (keep-alive %s)", idle, keepAlive)
}
