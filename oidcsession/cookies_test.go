package oidcsession

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestTakeSessionCookie(t *testing.T) {
	tests := []struct {
		name      string
		cookies   []string
		wantValue string
		wantFound bool
		wantLeft  []string
	}{
		{"no cookies", nil, "", false, nil},
		{"only NetBox's cookies, untouched", []string{"sessionid=abc;csrftoken=x"}, "", false, []string{"sessionid=abc;csrftoken=x"}},
		{"session cookie removed, others kept",
			[]string{"csrftoken=x; hhgate_session=ID1; sessionid=abc"}, "ID1", true, []string{"csrftoken=x; sessionid=abc"}},
		{"pending-login cookies removed too",
			[]string{"hhgate_login_0a1b=zzz; sessionid=abc", "hhgate_session=ID2"}, "ID2", true, []string{"sessionid=abc"}},
		{"only gateway cookies: header dropped", []string{"hhgate_session=ID3; hhgate_login_ff=1"}, "ID3", true, nil},
		{"quoted value", []string{`hhgate_session="ID4"`}, "ID4", true, nil},
		{"look-alike names stay", []string{"my_hhgate_session=1; hhgate_sessionx=2"}, "", false, []string{"my_hhgate_session=1; hhgate_sessionx=2"}},
		{"empty value still counts as found", []string{"hhgate_session=; a=b"}, "", true, []string{"a=b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.cookies != nil {
				h["Cookie"] = slices.Clone(tt.cookies)
			}
			value, found := takeSessionCookie(h, DefaultCookieName)
			if value != tt.wantValue || found != tt.wantFound {
				t.Errorf("value %q found %v, want %q %v", value, found, tt.wantValue, tt.wantFound)
			}
			if !slices.Equal(h["Cookie"], tt.wantLeft) {
				t.Errorf("Cookie headers left %q, want %q", h["Cookie"], tt.wantLeft)
			}
		})
	}
}

// TestCookiesAreSecureUnderTLS: the same cookie is Secure when the browser
// came over TLS, and never readable by scripts or sent on cross-site posts.
func TestCookiesAreSecureUnderTLS(t *testing.T) {
	h, err := New(validConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url        string
		wantSecure bool
	}{{"https://netbox.example.com/", true}, {"http://netbox.example.com/", false}} {
		w := httptest.NewRecorder()
		h.setCookie(w, httptest.NewRequest(http.MethodGet, tt.url, nil), DefaultCookieName, "v", "/", time.Hour)
		c := w.Result().Cookies()[0]
		if c.Secure != tt.wantSecure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 3600 {
			t.Errorf("%s: cookie %+v", tt.url, c)
		}
	}
}
