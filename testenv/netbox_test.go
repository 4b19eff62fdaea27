//go:build e2e

package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// These tests check that the stand-in answers like NetBox 4.x (netbox.md) and the
// Hedgehog plugin's main branch (hedgehog-plugin.md §2–4), talking to Django directly.

const (
	adminToken  = "0123456789abcdef0123456789abcdef01234567"
	readerToken = "abcdefabcdefabcdefabcdefabcdefabcdefabcd"
	nobodyToken = "1111111111222222222233333333334444444444"
)

func wantStatus(t *testing.T, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; Location %q; body %.400s",
			resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, resp.Header.Get("Location"), body)
	}
}

func wantRedirect(t *testing.T, resp *http.Response, body []byte, location string) {
	t.Helper()
	wantStatus(t, resp, body, http.StatusFound)
	if got := resp.Header.Get("Location"); got != location {
		t.Fatalf("%s %s: Location %q, want %q", resp.Request.Method, resp.Request.URL.Path, got, location)
	}
}

func decodeJSON(t *testing.T, resp *http.Response, body []byte) map[string]any {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json; body %.300s", ct, body)
	}
	out := map[string]any{}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return out
}

func cookieFrom(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// anonymousWithCSRF returns an anonymous session that holds a csrftoken cookie
// (from the login page) and uses it as its X-CSRFToken.
func anonymousWithCSRF(t *testing.T, baseURL string) *Session {
	t.Helper()
	s := NewSession(baseURL)
	resp, body := s.Get(t, "/login/")
	wantStatus(t, resp, body, http.StatusOK)
	s.CSRFToken = s.Cookie("csrftoken")
	if s.CSRFToken == "" {
		t.Fatal("login page set no csrftoken cookie")
	}
	return s
}

func TestStandIn(t *testing.T) {
	t.Parallel()
	nb := StartNetBox(t, NetBoxOptions{})
	nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true, Token: adminToken})
	nb.CreateUser(t, User{Username: "reader", Password: "reader-pw", Token: readerToken,
		Permissions: []string{"netbox_hedgehog.view_hedgehogfabric"}})
	nb.CreateUser(t, User{Username: "nobody", Password: "nobody-pw", Token: nobodyToken})
	fab := nb.CreateFabric(t, map[string]any{"name": "fab-a", "kubernetes_server": "https://10.0.0.1:6443"})
	fabPath := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", fab)

	t.Run("unauthenticated UI requests redirect to login", func(t *testing.T) {
		cases := []struct {
			name, path, location string
			header               http.Header
		}{
			{"home has no next", "/", "/login/", nil},
			{"fabric page", fabPath, "/login/?next=" + fabPath, nil},
			{"fabric list keeps the query", "/plugins/hedgehog/fabrics/?q=a&b=1",
				"/login/?next=/plugins/hedgehog/fabrics/%3Fq%3Da%26b%3D1", nil},
			{"htmx partial", fabPath + "status/", "/login/?next=" + fabPath + "status/", nil},
			{"htmx partial with HX-Request", fabPath + "status/", "/login/?next=" + fabPath + "status/",
				http.Header{"Hx-Request": {"true"}, "Hx-Target": {"fabric-status"}}},
			{"graphql for a browser", "/graphql/", "/login/?next=/graphql/", nil},
			{"Remote-User ignored when remote auth is off", "/", "/login/", http.Header{"Remote-User": {"admin"}}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := NewSession(nb.BaseURL)
				resp, body := s.Do(t, http.MethodGet, tc.path, tc.header, nil)
				wantRedirect(t, resp, body, tc.location)
				if u := resp.Header.Get("X-Standin-User"); u != "" {
					t.Errorf("X-Standin-User %q, want anonymous", u)
				}
			})
		}
	})

	t.Run("login page", func(t *testing.T) {
		s := NewSession(nb.BaseURL)
		resp, body := s.Get(t, "/login/?next=/plugins/hedgehog/fabrics/")
		wantStatus(t, resp, body, http.StatusOK)
		page := string(body)
		for _, want := range []string{
			`<form action="/login/" method="post">`,
			`<input type="hidden" name="next" value="/plugins/hedgehog/fabrics/" />`,
			`id="id_username"`, `id="id_password"`, `name="csrfmiddlewaretoken"`, `window.CSRF_TOKEN = "`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("login page lacks %q", want)
			}
		}
		c := cookieFrom(resp, "csrftoken")
		if c == nil || !c.HttpOnly || c.Path != "/" {
			t.Fatalf("csrftoken cookie %v, want HttpOnly with Path=/", c)
		}
	})

	t.Run("login follows next and sets a 14-day session", func(t *testing.T) {
		s := anonymousWithCSRF(t, nb.BaseURL)
		oldCSRF := s.CSRFToken
		_, page := s.Get(t, "/login/")
		token := csrfInputRe.FindStringSubmatch(string(page))[1]
		form := url.Values{"csrfmiddlewaretoken": {token}, "username": {"admin"}, "password": {"admin-pw"},
			"next": {fabPath}}
		resp, body := s.Do(t, http.MethodPost, "/login/",
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
		wantRedirect(t, resp, body, fabPath)
		sid := cookieFrom(resp, "sessionid")
		if sid == nil || sid.MaxAge != 1209600 || !sid.HttpOnly || sid.Path != "/" {
			t.Fatalf("sessionid cookie %+v, want Max-Age=1209600 HttpOnly Path=/", sid)
		}
		if c := cookieFrom(resp, "csrftoken"); c == nil || c.Value == oldCSRF {
			t.Fatalf("login did not rotate csrftoken (%v)", c)
		}
		if u := resp.Header.Get("X-Standin-User"); u != "admin" {
			t.Fatalf("X-Standin-User %q, want admin", u)
		}
		// An authenticated GET of the login page goes to next.
		resp, body = s.Get(t, "/login/?next=/plugins/hedgehog/fabrics/")
		wantRedirect(t, resp, body, "/plugins/hedgehog/fabrics/")
		// An unsafe next is replaced by home.
		resp, body = s.Get(t, "/login/?next=https://evil.example/")
		wantRedirect(t, resp, body, "/")
	})

	t.Run("wrong password re-renders the form", func(t *testing.T) {
		s := NewSession(nb.BaseURL)
		err := s.Login("admin", "wrong")
		if err == nil || !strings.Contains(err.Error(), "200") {
			t.Fatalf("Login with a wrong password: %v, want a 200 error", err)
		}
		if s.Cookie("sessionid") != "" {
			t.Fatal("failed login set a session cookie")
		}
	})

	t.Run("pages embed window.CSRF_TOKEN usable as X-CSRFToken", func(t *testing.T) {
		s := Login(t, nb.BaseURL, "admin", "admin-pw")
		resp, body := s.Get(t, fabPath)
		wantStatus(t, resp, body, http.StatusOK)
		page := string(body)
		for _, want := range []string{
			`id="sync-now-btn" data-fabric-id="` + fmt.Sprint(fab) + `"`, "Sync Now", `id="sync-status"`,
			`id="test-connection-btn"`, `name="csrfmiddlewaretoken"`,
			"fetch(`/plugins/hedgehog/fabrics/${fabricId}/sync/`",
			"'X-CSRFToken': csrfToken", "'Content-Type': 'application/json'", "credentials: 'same-origin'",
			".then(response => response.json())", "alert('Sync completed successfully!')",
			"alert('Sync failed: ' + (data.error || 'Unknown error'))", "alert('Sync failed: ' + error.message)",
			`hx-get="` + fabPath + `status/"`, `hx-trigger="load, click from:#refresh-status"`, `id="refresh-status"`,
			`<script type="text/javascript" src="/static/htmx.min.js"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("fabric page lacks %q", want)
			}
		}
		for _, unwanted := range []string{"X-Requested-With", "Accept"} {
			if strings.Contains(page, unwanted) {
				t.Errorf("fabric page script mentions %q; the plugin's fetch does not send it", unwanted)
			}
		}
		s.CSRFToken = s.PageCSRFToken(t, fabPath)
		resp, body = s.FetchPost(t, fabPath+"test-connection/")
		wantStatus(t, resp, body, http.StatusOK)
		if got := decodeJSON(t, resp, body); got["success"] != true {
			t.Fatalf("test-connection with the page token: %v", got)
		}
	})

	t.Run("sync endpoint contract", func(t *testing.T) {
		id := nb.CreateFabric(t, map[string]any{"name": "fab-sync"})
		path := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id)
		s := Login(t, nb.BaseURL, "nobody", "nobody-pw") // main's sync view checks no permission

		resp, body := s.FetchPost(t, path+"sync/")
		wantStatus(t, resp, body, http.StatusOK)
		got := decodeJSON(t, resp, body)
		if got["success"] != false ||
			got["error"] != "Cannot sync: Connection test required first. Please test connection before syncing." {
			t.Fatalf("sync of an untested fabric: %v", got)
		}
		if f := nb.Fabric(t, id); f["sync_status"] != "error" || f["sync_error"] != "No active connection" {
			t.Fatalf("fabric after refused sync: %v", f)
		}

		resp, body = s.FetchPost(t, path+"test-connection/")
		wantStatus(t, resp, body, http.StatusOK)
		got = decodeJSON(t, resp, body)
		if got["success"] != true || got["message"] != "Connection test successful!" || got["details"] == nil {
			t.Fatalf("test-connection: %v", got)
		}
		if f := nb.Fabric(t, id); f["connection_status"] != "connected" {
			t.Fatalf("fabric after test-connection: %v", f)
		}

		resp, body = s.FetchPost(t, path+"sync/")
		wantStatus(t, resp, body, http.StatusOK)
		if u := resp.Header.Get("X-Standin-User"); u != "nobody" {
			t.Errorf("X-Standin-User %q, want nobody", u)
		}
		got = decodeJSON(t, resp, body)
		wantStats := map[string]any{"total_crds": 0.0, "created": 0.0, "updated": 0.0, "errors": 0.0,
			"status": "in_sync", "details": "0 created, 0 updated"}
		if got["success"] != true || got["message"] != `Sync completed successfully! Fabric "fab-sync" is now synchronized.` ||
			fmt.Sprint(got["stats"]) != fmt.Sprint(wantStats) || len(got) != 3 {
			t.Fatalf("sync: %s", body)
		}
		f := nb.Fabric(t, id)
		if f["sync_status"] != "in_sync" || f["last_sync"] == nil || f["sync_error"] != "" {
			t.Fatalf("fabric after sync: %v", f)
		}

		resp, body = s.Get(t, path+"sync/")
		wantStatus(t, resp, body, http.StatusMethodNotAllowed)
		resp, body = s.FetchPost(t, "/plugins/hedgehog/fabrics/999999/sync/")
		wantStatus(t, resp, body, http.StatusNotFound)
	})

	t.Run("CSRF is checked before login", func(t *testing.T) {
		syncPath := fabPath + "sync/"
		cases := []struct {
			name    string
			session func(t *testing.T) *Session
			header  func(s *Session) http.Header
			status  int
			want    string
		}{
			{"anonymous, no CSRF", func(t *testing.T) *Session { return NewSession(nb.BaseURL) },
				func(*Session) http.Header { return http.Header{"Content-Type": {"application/json"}} },
				http.StatusForbidden, "CSRF verification failed. Request aborted."},
			{"anonymous with csrftoken cookie and header", func(t *testing.T) *Session { return anonymousWithCSRF(t, nb.BaseURL) },
				func(s *Session) http.Header {
					return http.Header{"X-Csrftoken": {s.CSRFToken}, "Content-Type": {"application/json"}}
				},
				http.StatusFound, "/login/?next=" + syncPath},
			{"logged in, no CSRF header", func(t *testing.T) *Session { return Login(t, nb.BaseURL, "admin", "admin-pw") },
				func(*Session) http.Header { return http.Header{"Content-Type": {"application/json"}} },
				http.StatusForbidden, "CSRF verification failed. Request aborted."},
			{"logged in, wrong CSRF header", func(t *testing.T) *Session { return Login(t, nb.BaseURL, "admin", "admin-pw") },
				func(*Session) http.Header { return http.Header{"X-Csrftoken": {strings.Repeat("x", 64)}} },
				http.StatusForbidden, "CSRF verification failed. Request aborted."},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := tc.session(t)
				resp, body := s.Do(t, http.MethodPost, syncPath, tc.header(s), nil)
				wantStatus(t, resp, body, tc.status)
				if tc.status == http.StatusFound {
					wantRedirect(t, resp, body, tc.want)
					return
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("CSRF failure Content-Type %q, want text/html", ct)
				}
				if !strings.Contains(string(body), tc.want) || !strings.Contains(string(body), "Forbidden") {
					t.Errorf("CSRF failure body lacks %q: %.300s", tc.want, body)
				}
			})
		}
	})

	t.Run("expired session", func(t *testing.T) {
		nb.CreateUser(t, User{Username: "expiring", Password: "pw", Superuser: true})
		s := Login(t, nb.BaseURL, "expiring", "pw")
		other := Login(t, nb.BaseURL, "admin", "admin-pw")
		resp, body := s.Get(t, fabPath)
		wantStatus(t, resp, body, http.StatusOK)
		before := nb.SessionCount(t)

		nb.ExpireSessions(t, "expiring")
		if after := nb.SessionCount(t); after != before-1 {
			t.Fatalf("SessionCount %d after expiring one of %d", after, before)
		}
		resp, body = s.Get(t, fabPath)
		wantRedirect(t, resp, body, "/login/?next="+fabPath)
		resp, body = s.FetchPost(t, fabPath+"sync/")
		wantRedirect(t, resp, body, "/login/?next="+fabPath+"sync/")
		resp, body = s.Get(t, "/")
		wantRedirect(t, resp, body, "/login/")
		resp, body = s.Do(t, http.MethodGet, "/api/authentication-check/", nil, nil)
		wantStatus(t, resp, body, http.StatusForbidden)

		// Other users' sessions are untouched.
		resp, body = other.Get(t, fabPath)
		wantStatus(t, resp, body, http.StatusOK)
	})

	t.Run("logout", func(t *testing.T) {
		s := Login(t, nb.BaseURL, "admin", "admin-pw")
		resp, body := s.Do(t, http.MethodPost, "/logout/", http.Header{"X-Csrftoken": {s.CSRFToken}}, nil)
		wantStatus(t, resp, body, http.StatusMethodNotAllowed) // NetBox's LogoutView is GET-only
		resp, body = s.Get(t, "/logout/")
		wantRedirect(t, resp, body, "/")
		resp, body = s.Get(t, "/")
		wantRedirect(t, resp, body, "/login/")
	})

	t.Run("authenticated htmx partial", func(t *testing.T) {
		s := Login(t, nb.BaseURL, "reader", "reader-pw")
		resp, body := s.Do(t, http.MethodGet, fabPath+"status/", http.Header{"Hx-Request": {"true"}}, nil)
		wantStatus(t, resp, body, http.StatusOK)
		if !strings.Contains(string(body), `<span class="status" data-sync-status="`) ||
			strings.Contains(string(body), "<html") {
			t.Fatalf("partial: %s", body)
		}
		if v := resp.Header.Get("Vary"); !strings.Contains(v, "HX-Request") {
			t.Errorf("Vary %q lacks HX-Request", v)
		}
	})

	t.Run("view permission", func(t *testing.T) {
		s := Login(t, nb.BaseURL, "nobody", "nobody-pw")
		resp, body := s.Get(t, fabPath)
		wantStatus(t, resp, body, http.StatusForbidden)
		s = Login(t, nb.BaseURL, "reader", "reader-pw")
		resp, body = s.Get(t, fabPath)
		wantStatus(t, resp, body, http.StatusOK)
	})

	t.Run("htmx.org 2.x is served", func(t *testing.T) {
		resp, body := NewSession(nb.BaseURL).Get(t, "/static/htmx.min.js")
		wantStatus(t, resp, body, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
			t.Errorf("Content-Type %q", ct)
		}
		if !strings.Contains(string(body), `version:"2.0.`) || len(body) < 30000 {
			t.Fatalf("not htmx 2.0.x (%d bytes): %.100s", len(body), body)
		}
	})

	t.Run("common headers", func(t *testing.T) {
		s := NewSession(nb.BaseURL)
		resp, _ := s.Get(t, "/login/")
		if resp.Header.Get("X-Request-ID") == "" || !strings.HasPrefix(resp.Header.Get("Vary"), "HX-Request") {
			t.Errorf("UI headers: %v", resp.Header)
		}
		if resp.Header.Get("API-Version") != "" {
			t.Errorf("API-Version on a UI page")
		}
		resp, _ = s.Get(t, "/api/")
		if resp.Header.Get("API-Version") == "" {
			t.Errorf("no API-Version on /api/")
		}
	})

	t.Run("REST API authentication", func(t *testing.T) {
		const (
			noCreds      = `{"detail":"Authentication credentials were not provided."}`
			invalidToken = `{"detail":"Invalid token."}`
			noPermission = `{"detail":"You do not have permission to perform this action."}`
		)
		list := "/api/plugins/hedgehog/fabrics/"
		cases := []struct {
			name, path, auth string
			status           int
			body             string // exact body, or "" to check pagination
		}{
			{"no credentials", list, "", http.StatusForbidden, noCreds},
			{"bad token", list, "Token nope", http.StatusForbidden, invalidToken},
			{"bad bearer", list, "Bearer nope", http.StatusForbidden, invalidToken},
			{"unknown scheme is ignored", list, "Basic YWRtaW46YWRtaW4=", http.StatusForbidden, noCreds},
			{"token", list, "Token " + adminToken, http.StatusOK, ""},
			{"bearer", list, "Bearer " + adminToken, http.StatusOK, ""},
			{"token with view permission", list, "Token " + readerToken, http.StatusOK, ""},
			{"token without view permission", list, "Token " + nobodyToken, http.StatusForbidden, noPermission},
			{"authentication check, anonymous", "/api/authentication-check/", "", http.StatusForbidden, noCreds},
			{"status needs login (LOGIN_REQUIRED)", "/api/status/", "", http.StatusForbidden, noCreds},
			{"api root needs login", "/api/", "", http.StatusForbidden, noCreds},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var h http.Header
				if tc.auth != "" {
					h = http.Header{"Authorization": {tc.auth}}
				}
				resp, body := NewSession(nb.BaseURL).Do(t, http.MethodGet, tc.path, h, nil)
				wantStatus(t, resp, body, tc.status)
				if resp.Header.Get("WWW-Authenticate") != "" {
					t.Errorf("WWW-Authenticate %q: NetBox answers 403 without it", resp.Header.Get("WWW-Authenticate"))
				}
				if tc.body != "" {
					if string(body) != tc.body {
						t.Fatalf("body %s, want %s", body, tc.body)
					}
					return
				}
				page := decodeJSON(t, resp, body)
				for _, k := range []string{"count", "next", "previous", "results"} {
					if _, ok := page[k]; !ok {
						t.Fatalf("paginated answer lacks %q: %s", k, body)
					}
				}
				if len(page) != 4 {
					t.Fatalf("paginated answer has extra keys: %s", body)
				}
			})
		}
	})

	t.Run("REST API pagination", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			nb.CreateFabric(t, map[string]any{"name": fmt.Sprintf("page-%d", i)})
		}
		h := http.Header{"Authorization": {"Token " + adminToken}}
		s := NewSession(nb.BaseURL)
		resp, body := s.Do(t, http.MethodGet, "/api/plugins/hedgehog/fabrics/?limit=2", h, nil)
		wantStatus(t, resp, body, http.StatusOK)
		page := decodeJSON(t, resp, body)
		total := int(page["count"].(float64))
		if total < 4 || len(page["results"].([]any)) != 2 || page["previous"] != nil {
			t.Fatalf("first page: %s", body)
		}
		next, _ := page["next"].(string)
		if !strings.Contains(next, "limit=2") || !strings.Contains(next, "offset=2") {
			t.Fatalf("next %q", next)
		}
		resp, body = s.Do(t, http.MethodGet, fmt.Sprintf("/api/plugins/hedgehog/fabrics/?limit=2&offset=%d", total-1), h, nil)
		page = decodeJSON(t, resp, body)
		if len(page["results"].([]any)) != 1 || page["next"] != nil || page["previous"] == nil {
			t.Fatalf("last page: %s", body)
		}
		resp, body = s.Do(t, http.MethodGet, "/api/plugins/hedgehog/fabrics/?name=fab-a", h, nil)
		page = decodeJSON(t, resp, body)
		if int(page["count"].(float64)) != total {
			t.Fatalf("?name= filtered (the plugin has no filtersets): %s", body)
		}
		resp, body = s.Do(t, http.MethodGet, fmt.Sprintf("/api/plugins/hedgehog/fabrics/%d/", fab), h, nil)
		obj := decodeJSON(t, resp, body)
		if obj["name"] != "fab-a" || obj["kubernetes_token"] == nil || obj["sync_interval"] != 300.0 {
			t.Fatalf("fabric detail: %s", body)
		}
	})

	t.Run("REST API with a session enforces CSRF", func(t *testing.T) {
		s := Login(t, nb.BaseURL, "admin", "admin-pw")
		resp, body := s.Get(t, "/api/authentication-check/")
		wantStatus(t, resp, body, http.StatusOK)
		if me := decodeJSON(t, resp, body); me["username"] != "admin" || me["id"] == nil {
			t.Fatalf("authentication-check: %s", body)
		}
		create := `{"name": "via-api"}`
		resp, body = s.Do(t, http.MethodPost, "/api/plugins/hedgehog/fabrics/",
			http.Header{"Content-Type": {"application/json"}}, strings.NewReader(create))
		wantStatus(t, resp, body, http.StatusForbidden)
		if detail, _ := decodeJSON(t, resp, body)["detail"].(string); !strings.HasPrefix(detail, "CSRF Failed: ") {
			t.Fatalf("detail %q, want CSRF Failed: …", detail)
		}
		resp, body = s.Do(t, http.MethodPost, "/api/plugins/hedgehog/fabrics/",
			http.Header{"Content-Type": {"application/json"}, "X-Csrftoken": {s.CSRFToken}}, strings.NewReader(create))
		wantStatus(t, resp, body, http.StatusCreated)
		// Token requests are not subject to CSRF.
		resp, body = NewSession(nb.BaseURL).Do(t, http.MethodPost, "/api/plugins/hedgehog/fabrics/",
			http.Header{"Content-Type": {"application/json"}, "Authorization": {"Token " + adminToken}},
			strings.NewReader(`{"name": "via-token"}`))
		wantStatus(t, resp, body, http.StatusCreated)
		// A read-only user cannot write.
		resp, body = NewSession(nb.BaseURL).Do(t, http.MethodPost, "/api/plugins/hedgehog/fabrics/",
			http.Header{"Content-Type": {"application/json"}, "Authorization": {"Token " + readerToken}},
			strings.NewReader(`{"name": "denied"}`))
		wantStatus(t, resp, body, http.StatusForbidden)
	})

	t.Run("graphql", func(t *testing.T) {
		s := NewSession(nb.BaseURL)
		resp, body := s.Do(t, http.MethodPost, "/graphql/", http.Header{"Accept": {"application/json"}}, nil)
		wantStatus(t, resp, body, http.StatusForbidden)
		if string(body) != "No credentials provided." {
			t.Fatalf("body %q", body)
		}
		resp, body = s.Do(t, http.MethodPost, "/graphql/",
			http.Header{"Accept": {"application/json"}, "Authorization": {"Token bad"}}, nil)
		wantStatus(t, resp, body, http.StatusForbidden)
		resp, body = s.Do(t, http.MethodPost, "/graphql/",
			http.Header{"Accept": {"application/json"}, "Authorization": {"Token " + adminToken},
				"Content-Type": {"application/json"}}, strings.NewReader(`{"query": "{__typename}"}`))
		wantStatus(t, resp, body, http.StatusOK)
		if got := decodeJSON(t, resp, body); fmt.Sprint(got) != "map[data:map[]]" {
			t.Fatalf("graphql: %s", body)
		}
	})

	t.Run("chunked request bodies on a keep-alive connection", func(t *testing.T) {
		s := NewSession(nb.BaseURL)
		h := http.Header{"Authorization": {"Token " + adminToken}, "Content-Type": {"application/json"}}
		for i := 0; i < 3; i++ {
			// A MultiReader has no known length, so the body is sent chunked.
			body := io.MultiReader(strings.NewReader(`{"name": "chunked-`), strings.NewReader(fmt.Sprintf(`%d"}`, i)))
			resp, data := s.Do(t, http.MethodPost, "/api/plugins/hedgehog/fabrics/", h, body)
			wantStatus(t, resp, data, http.StatusCreated)
			if got := decodeJSON(t, resp, data); got["name"] != fmt.Sprintf("chunked-%d", i) {
				t.Fatalf("created %v", got)
			}
		}
	})

	t.Run("concurrent requests", func(t *testing.T) {
		s := Login(t, nb.BaseURL, "admin", "admin-pw")
		id := nb.CreateFabric(t, map[string]any{"name": "busy", "connection_status": "connected"})
		path := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/", id)
		const workers, rounds = 12, 4
		errs := make(chan error, workers*rounds*2)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < rounds; r++ {
					resp, _, err := s.do(http.MethodGet, s.BaseURL+path, nil, nil)
					if err != nil || resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("GET page: %v %v", err, resp)
						continue
					}
					resp, body, err := s.do(http.MethodPost, s.BaseURL+path+"sync/",
						http.Header{"X-Csrftoken": {s.CSRFToken}, "Content-Type": {"application/json"}}, nil)
					if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"success": true`) {
						errs <- fmt.Errorf("sync: %v %v %.200s", err, resp, body)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("control endpoints need the token", func(t *testing.T) {
		for _, h := range []http.Header{nil, {"X-Standin-Control": {"wrong"}}} {
			resp, body := NewSession(nb.URL).Do(t, http.MethodGet, "/-/standin/sessions/", h, nil)
			wantStatus(t, resp, body, http.StatusNotFound)
		}
	})
}

func TestStandInLoginTimeoutAndPersistence(t *testing.T) {
	t.Parallel()
	nb := StartNetBox(t, NetBoxOptions{Env: map[string]string{"LOGIN_TIMEOUT": "600", "LOGIN_PERSISTENCE": "yes"}})
	nb.CreateUser(t, User{Username: "u", Password: "pw", Superuser: true})
	s := NewSession(nb.BaseURL)
	if err := s.Login("u", "pw"); err != nil {
		t.Fatal(err)
	}
	// With LOGIN_PERSISTENCE every request re-saves the session and re-sends the cookie.
	resp, body := s.Get(t, "/")
	wantStatus(t, resp, body, http.StatusOK)
	sid := cookieFrom(resp, "sessionid")
	if sid == nil || sid.MaxAge != 600 {
		t.Fatalf("sessionid %+v, want Max-Age=600 re-sent on a plain GET", sid)
	}
}

func TestStandInDefaultSessionNotResent(t *testing.T) {
	t.Parallel()
	nb := StartNetBox(t, NetBoxOptions{Env: map[string]string{"LOGIN_TIMEOUT": "3600"}})
	nb.CreateUser(t, User{Username: "u", Password: "pw", Superuser: true})
	s := anonymousWithCSRF(t, nb.BaseURL)
	_, page := s.Get(t, "/login/")
	form := url.Values{"csrfmiddlewaretoken": {csrfInputRe.FindStringSubmatch(string(page))[1]},
		"username": {"u"}, "password": {"pw"}}
	resp, body := s.Do(t, http.MethodPost, "/login/",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
	wantRedirect(t, resp, body, "/")
	if sid := cookieFrom(resp, "sessionid"); sid == nil || sid.MaxAge != 3600 {
		t.Fatalf("sessionid %+v, want Max-Age=3600", sid)
	}
	resp, body = s.Get(t, "/")
	wantStatus(t, resp, body, http.StatusOK)
	if sid := cookieFrom(resp, "sessionid"); sid != nil {
		t.Fatalf("sessionid re-sent without LOGIN_PERSISTENCE: %+v", sid)
	}
}

func TestStandInRemoteAuth(t *testing.T) {
	t.Parallel()
	nb := StartNetBox(t, NetBoxOptions{Env: map[string]string{
		"REMOTE_AUTH_ENABLED":             "1",
		"REMOTE_AUTH_AUTO_CREATE_USER":    "true",
		"REMOTE_AUTH_DEFAULT_PERMISSIONS": "netbox_hedgehog.view_hedgehogfabric",
	}})
	nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true})
	fab := nb.CreateFabric(t, map[string]any{"name": "ra", "connection_status": "connected"})
	syncPath := fmt.Sprintf("/plugins/hedgehog/fabrics/%d/sync/", fab)
	alice := func(h http.Header) http.Header {
		if h == nil {
			h = http.Header{}
		}
		h.Set("Remote-User", "alice")
		return h
	}

	s := anonymousWithCSRF(t, nb.BaseURL)
	firstCSRF := s.CSRFToken
	resp, body := s.Do(t, http.MethodGet, "/", alice(http.Header{
		"Remote-User-Email": {"alice@example.com"}, "Remote-User-First-Name": {"Alice"}}), nil)
	wantStatus(t, resp, body, http.StatusOK)
	if u := resp.Header.Get("X-Standin-User"); u != "alice" {
		t.Fatalf("X-Standin-User %q, want alice", u)
	}
	if cookieFrom(resp, "sessionid") == nil {
		t.Fatal("remote login set no session cookie")
	}
	if c := cookieFrom(resp, "csrftoken"); c == nil || c.Value == firstCSRF {
		t.Fatalf("remote login did not rotate csrftoken: %v", c)
	}
	resp, body = s.Get(t, "/api/authentication-check/")
	if me := decodeJSON(t, resp, body); me["username"] != "alice" || me["email"] != "alice@example.com" ||
		me["first_name"] != "Alice" {
		t.Fatalf("authentication-check: %s", body)
	}

	t.Run("header missing keeps the session", func(t *testing.T) {
		// The auto-created user got REMOTE_AUTH_DEFAULT_PERMISSIONS, so the fabric page is allowed.
		resp, body := s.Get(t, strings.TrimSuffix(syncPath, "sync/"))
		wantStatus(t, resp, body, http.StatusOK)
		if u := resp.Header.Get("X-Standin-User"); u != "alice" {
			t.Fatalf("X-Standin-User %q", u)
		}
	})

	t.Run("re-login after expiry rotates CSRF: the old page token then fails", func(t *testing.T) {
		pageToken := s.Cookie("csrftoken")
		s.CSRFToken = pageToken
		nb.ExpireSessions(t, "alice")
		// The request that triggers the re-login passes CSRF (Django checks the original cookie).
		resp, body := s.Do(t, http.MethodPost, syncPath, alice(http.Header{"X-Csrftoken": {pageToken}}), nil)
		wantStatus(t, resp, body, http.StatusOK)
		if got := decodeJSON(t, resp, body); got["success"] != true {
			t.Fatalf("sync: %s", body)
		}
		if c := cookieFrom(resp, "csrftoken"); c == nil || c.Value == pageToken {
			t.Fatalf("silent re-login did not rotate csrftoken: %v", c)
		}
		// The still-open page sends its old token with the new cookie: CSRF failure.
		resp, body = s.Do(t, http.MethodPost, syncPath, alice(http.Header{"X-Csrftoken": {pageToken}}), nil)
		wantStatus(t, resp, body, http.StatusForbidden)
		if !strings.Contains(string(body), "CSRF verification failed") {
			t.Fatalf("body %.200s", body)
		}
	})

	t.Run("header names with underscores are dropped", func(t *testing.T) {
		c := NewSession(nb.BaseURL)
		req := http.Header{}
		req["Remote_User"] = []string{"alice"} // would map to HTTP_REMOTE_USER like Remote-User
		resp, body := c.Do(t, http.MethodGet, "/", req, nil)
		wantRedirect(t, resp, body, "/login/")
	})

	t.Run("another user in the header replaces the session", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodGet, "/", http.Header{"Remote-User": {"bob"}}, nil)
		wantStatus(t, resp, body, http.StatusOK)
		if u := resp.Header.Get("X-Standin-User"); u != "bob" {
			t.Fatalf("X-Standin-User %q, want bob", u)
		}
	})

	t.Run("API with a session from the header needs CSRF", func(t *testing.T) {
		c := NewSession(nb.BaseURL)
		resp, body := c.Do(t, http.MethodPost, "/api/plugins/hedgehog/fabrics/",
			http.Header{"Remote-User": {"carol"}, "Content-Type": {"application/json"}}, strings.NewReader(`{"name":"x"}`))
		wantStatus(t, resp, body, http.StatusForbidden)
		if detail, _ := decodeJSON(t, resp, body)["detail"].(string); !strings.HasPrefix(detail, "CSRF Failed: ") {
			t.Fatalf("detail %q", detail)
		}
		if c.Cookie("sessionid") == "" {
			t.Fatal("no session was created by the header")
		}
	})

	t.Run("form login still works", func(t *testing.T) {
		a := Login(t, nb.BaseURL, "admin", "admin-pw")
		resp, body := a.Get(t, "/")
		wantStatus(t, resp, body, http.StatusOK)
		if u := resp.Header.Get("X-Standin-User"); u != "admin" {
			t.Fatalf("X-Standin-User %q", u)
		}
	})
}

func TestStandInRemoteAuthGroupsNoAutoCreate(t *testing.T) {
	t.Parallel()
	nb := StartNetBox(t, NetBoxOptions{Env: map[string]string{
		"REMOTE_AUTH_ENABLED":            "on",
		"REMOTE_AUTH_HEADER":             "HTTP_X_REMOTE_USER",
		"REMOTE_AUTH_GROUP_SYNC_ENABLED": "1",
		"REMOTE_AUTH_GROUP_HEADER":       "HTTP_X_REMOTE_GROUPS",
		"REMOTE_AUTH_AUTO_CREATE_GROUPS": "1",
		"REMOTE_AUTH_SUPERUSER_GROUPS":   "admins",
	}})
	nb.CreateUser(t, User{Username: "carol"})

	resp, body := NewSession(nb.BaseURL).Do(t, http.MethodGet, "/", http.Header{"X-Remote-User": {"dave"}}, nil)
	wantRedirect(t, resp, body, "/login/") // unknown user, no auto-create

	resp, body = NewSession(nb.BaseURL).Do(t, http.MethodGet, "/", http.Header{"Remote-User": {"carol"}}, nil)
	wantRedirect(t, resp, body, "/login/") // the default header name is not the configured one

	s := NewSession(nb.BaseURL)
	resp, body = s.Do(t, http.MethodGet, "/api/authentication-check/",
		http.Header{"X-Remote-User": {"carol"}, "X-Remote-Groups": {"netops|admins"}}, nil)
	wantStatus(t, resp, body, http.StatusOK)
	me := decodeJSON(t, resp, body)
	if me["username"] != "carol" || fmt.Sprint(me["groups"]) != "[map[id:1 name:netops] map[id:2 name:admins]]" {
		t.Fatalf("authentication-check: %s", body)
	}
	// Superuser through REMOTE_AUTH_SUPERUSER_GROUPS: the fabric list is allowed.
	resp, body = s.Get(t, "/plugins/hedgehog/fabrics/")
	wantStatus(t, resp, body, http.StatusOK)
}

func TestStandInBasePath(t *testing.T) {
	t.Parallel()
	nb := StartNetBox(t, NetBoxOptions{Env: map[string]string{"BASE_PATH": "/netbox/"}})
	if nb.BasePath != "/netbox" || nb.BaseURL != nb.URL+"/netbox" {
		t.Fatalf("BasePath %q BaseURL %q", nb.BasePath, nb.BaseURL)
	}
	nb.CreateUser(t, User{Username: "u", Password: "pw", Superuser: true, Token: adminToken})
	fab := nb.CreateFabric(t, map[string]any{"name": "bp"})
	fabPath := fmt.Sprintf("/netbox/plugins/hedgehog/fabrics/%d/", fab)

	anon := NewSession(nb.URL)
	resp, body := anon.Get(t, "/netbox/")
	wantRedirect(t, resp, body, "/netbox/login/")
	resp, body = anon.Get(t, fabPath)
	wantRedirect(t, resp, body, "/netbox/login/?next="+fabPath)
	resp, body = anon.Get(t, "/netbox/login/")
	wantStatus(t, resp, body, http.StatusOK)
	if c := cookieFrom(resp, "csrftoken"); c == nil || c.Path != "/netbox" {
		t.Fatalf("csrftoken cookie %v, want Path=/netbox", c)
	}
	if !strings.Contains(string(body), `<form action="/netbox/login/" method="post">`) {
		t.Fatalf("login form action not under BASE_PATH")
	}

	s := Login(t, nb.BaseURL, "u", "pw")
	resp, body = s.Get(t, strings.TrimPrefix(fabPath, "/netbox"))
	wantStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(string(body), `src="/netbox/static/htmx.min.js"`) {
		t.Error("htmx not under BASE_PATH")
	}
	resp, body = NewSession(nb.BaseURL).Do(t, http.MethodGet, "/api/plugins/hedgehog/fabrics/",
		http.Header{"Authorization": {"Token " + adminToken}}, nil)
	wantStatus(t, resp, body, http.StatusOK)
}

func TestStandInDemo(t *testing.T) {
	t.Parallel()
	nb := StartNetBox(t, NetBoxOptions{Demo: true})
	f := nb.Fabric(t, 1)
	if f["name"] != "demo-fabric" || f["connection_status"] != "connected" {
		t.Fatalf("demo fabric: %v", f)
	}
	s := Login(t, nb.BaseURL, "admin", "admin")
	resp, body := s.FetchPost(t, "/plugins/hedgehog/fabrics/1/sync/")
	wantStatus(t, resp, body, http.StatusOK)
	if got := decodeJSON(t, resp, body); got["success"] != true {
		t.Fatalf("demo sync: %s", body)
	}
}
