package netboxhttp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewRejectsBadFieldsNamingThem(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{BasePath: "netbox/"}, "base_path:"},
		{Config{BasePath: "/netbox"}, "base_path:"},
		{Config{BasePath: "//netbox/"}, "base_path:"},
		{Config{LoginPath: "/login/?x"}, "login_path:"},
		{Config{APIPrefixes: []string{"/api/", "api/"}}, "api_prefix[1]:"},
		{Config{AJAXPaths: []string{"/a["}}, "ajax_path[0]:"},
		{Config{Texts: Texts{Message: "  "}}, "message:"},
		{Config{Texts: Texts{CSRFMessage: "\t"}}, "csrf_message:"},
		{Config{Texts: Texts{UnavailableMessage: " "}}, "unavailable_message:"},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error starting %q", tt.cfg, err, tt.want)
		}
	}
}

func TestNewDefaultsFollowBasePath(t *testing.T) {
	s, err := New(Config{BasePath: "/netbox/"})
	if err != nil {
		t.Fatal(err)
	}
	if s.BasePath() != "/netbox/" || s.LoginPath() != "/netbox/login/" {
		t.Errorf("paths %q %q", s.BasePath(), s.LoginPath())
	}
	for path, want := range map[string]bool{"/netbox/api/dcim/": true, "/netbox/graphql/": true, "/api/dcim/": false} {
		if got := s.IsProgrammatic(httptest.NewRequest(http.MethodGet, path, nil)); got != want {
			t.Errorf("IsProgrammatic(GET %s) = %v, want %v", path, got, want)
		}
	}
	if s.Texts() != (Texts{DefaultMessage, DefaultCSRFMessage, DefaultUnavailableMessage}) {
		t.Errorf("texts %+v, want the defaults", s.Texts())
	}
}

// TestSiteAnswersUseItsTexts: each refusal is the JSON contract with the
// configured sentence, its code in the marker header, and htmx's header.
func TestSiteAnswersUseItsTexts(t *testing.T) {
	s, err := New(Config{Texts: Texts{Message: "m1", CSRFMessage: "m2", UnavailableMessage: "m3"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		write      func(http.ResponseWriter, *http.Request)
		status     int
		want       Body
		htmxHeader string
	}{
		{"auth", func(w http.ResponseWriter, r *http.Request) { s.WriteAuthRequired(w, r, s.LoginURL("/x/")) },
			401, Body{Error: CodeAuthenticationRequired, Message: "m1", Detail: "m1", Redirect: "/login/?next=/x/"}, HeaderHXRedirect},
		{"csrf", func(w http.ResponseWriter, r *http.Request) { s.WriteCSRFFailed(w, r) },
			403, Body{Error: CodeCSRFFailed, Message: "m2", Detail: "m2", Redirect: "/dcim/"}, HeaderHXRefresh},
		{"unavailable", func(w http.ResponseWriter, _ *http.Request) { s.WriteUnavailable(w, 504) },
			504, Body{Error: CodeUpstreamUnavailable, Message: "m3", Detail: "m3"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://nb.example/api/x/", nil)
			r.Header.Set("Hx-Request", "true")
			r.Header.Set("Referer", "http://nb.example/dcim/")
			w := httptest.NewRecorder()
			tt.write(w, r)
			var got Body
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if w.Code != tt.status || got != tt.want || w.Header().Get(MarkerHeader) != tt.want.Error {
				t.Errorf("%d %+v (marker %q), want %d %+v", w.Code, got, w.Header().Get(MarkerHeader), tt.status, tt.want)
			}
			if tt.htmxHeader != "" && w.Header().Get(tt.htmxHeader) == "" {
				t.Errorf("no %s for an htmx request", tt.htmxHeader)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	w := httptest.NewRecorder()
	WriteJSON(w, http.StatusAccepted, map[string]int{"n": 1})
	if w.Code != 202 || w.Body.String() != `{"n":1}` || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("%d %q %v", w.Code, w.Body, w.Header())
	}
	w = httptest.NewRecorder()
	WriteJSON(w, http.StatusOK, func() {}) // cannot be marshalled
	if w.Code != 500 || !strings.Contains(w.Body.String(), CodeInternal) {
		t.Errorf("unmarshalable value: %d %q", w.Code, w.Body)
	}
}

func TestIsCookieName(t *testing.T) {
	for s, want := range map[string]bool{"sessionid": true, "a.b-c_d!": true, "": false, "a b": false, "a=b": false, "a;": false, "é": false} {
		if got := IsCookieName(s); got != want {
			t.Errorf("IsCookieName(%q) = %v, want %v", s, got, want)
		}
	}
}
