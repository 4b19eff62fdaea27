package sessionguard

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testNow is the fixed clock of the expiry tests.
var testNow = time.Date(2025, 11, 25, 21, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

func TestParseSessionSetCookie(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		ok     bool
		want   sessionExpiry
		wantIn time.Duration // e.at - testNow
	}{
		{name: "Django login", line: "sessionid=abc; expires=Tue, 25 Nov 2025 21:02:00 GMT; HttpOnly; Max-Age=120; Path=/; SameSite=Lax",
			ok: true, want: sessionExpiry{maxAge: 120}, wantIn: 2 * time.Minute},
		{name: "Max-Age wins over Expires", line: "sessionid=abc; expires=Tue, 25 Nov 2025 23:00:00 GMT; Max-Age=60",
			ok: true, want: sessionExpiry{maxAge: 60}, wantIn: time.Minute},
		{name: "Expires only", line: "sessionid=abc; expires=Tue, 25 Nov 2025 21:30:00 GMT",
			ok: true, want: sessionExpiry{maxAge: 1800}, wantIn: 30 * time.Minute},
		{name: "Django delete_cookie", line: `sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/`,
			ok: true, want: sessionExpiry{deleted: true}},
		{name: "empty value", line: "sessionid=; Path=/", ok: true, want: sessionExpiry{deleted: true}},
		{name: "Expires in the past", line: "sessionid=abc; expires=Tue, 25 Nov 2025 20:00:00 GMT",
			ok: true, want: sessionExpiry{deleted: true}},
		{name: "until the browser closes", line: "sessionid=abc; Path=/; HttpOnly", ok: true, want: sessionExpiry{}},
		{name: "Secure kept", line: "sessionid=abc; Max-Age=10; Secure", ok: true, want: sessionExpiry{maxAge: 10, secure: true}, wantIn: 10 * time.Second},
		{name: "another cookie", line: "sessionidx=abc; Max-Age=10", ok: false},
		{name: "garbage", line: "=;;", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseSessionSetCookie(tt.line, "sessionid", testNow)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if got.deleted != tt.want.deleted || got.maxAge != tt.want.maxAge || got.secure != tt.want.secure {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if tt.wantIn != 0 && got.at.Sub(testNow) != tt.wantIn {
				t.Errorf("expires in %v, want %v", got.at.Sub(testNow), tt.wantIn)
			}
			if tt.wantIn == 0 && !got.at.IsZero() {
				t.Errorf("expiry %v, want none", got.at)
			}
		})
	}
}

// TestExpiryCookieFollowsSessionCookie: whenever NetBox sets or deletes its
// session cookie — on a navigation (login), a programmatic request (a
// sliding session), or a guard answer (a logout seen by fetch) — the answer
// also carries the gateway's expiry cookie.
func TestExpiryCookieFollowsSessionCookie(t *testing.T) {
	expires := strconv.FormatInt(testNow.Add(2*time.Minute).UnixMilli(), 10)
	loginRedirect := func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Add("Set-Cookie", "csrftoken=new; Path=/")
		w.Header().Add("Set-Cookie", "sessionid=abc; Max-Age=120; Path=/; HttpOnly")
		w.Header().Set("Location", "/")
		w.WriteHeader(http.StatusFound)
		return nil
	}
	slidingJSON := func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("Set-Cookie", "nbsession=abc; Max-Age=120; Path=/netbox; Secure")
		_, err := w.Write([]byte(`{}`))
		return err
	}
	logoutToLogin := func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Add("Set-Cookie", `sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/`)
		w.Header().Set("Location", "/login/?next=/x/")
		w.WriteHeader(http.StatusFound)
		return nil
	}
	noCookie := func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Add("Set-Cookie", "csrftoken=x; Path=/")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	fetch := func(target string) *http.Request {
		r := httptest.NewRequest("POST", "http://netbox.example.org"+target, nil)
		r.Header.Set("Sec-Fetch-Mode", "cors")
		return r
	}
	tlsNavigation := navigation("GET", "/netbox/x/")
	tlsNavigation.TLS = &tls.ConnectionState{}
	tests := []struct {
		name     string
		cfg      Config
		request  *http.Request
		upstream func(http.ResponseWriter, *http.Request) error
		want     string // the expiry Set-Cookie line; "" = none
	}{
		{"login redirect (navigation)", Config{}, navigation("POST", "/login/"), loginRedirect,
			"hhgate_nb_expires=" + expires + "; Max-Age=120; Path=/; HttpOnly; SameSite=Lax"},
		{"sliding session on fetch, BASE_PATH and cookie name", Config{BasePath: "/netbox/", SessionCookie: "nbsession"}, fetch("/netbox/api/x/"), slidingJSON,
			"hhgate_nb_expires=" + expires + "; Max-Age=120; Path=/netbox; HttpOnly; SameSite=Lax; Secure"},
		{"session cookie deleted under a guard answer", Config{}, fetch("/x/"), logoutToLogin,
			"hhgate_nb_expires=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"},
		{"no session cookie, no expiry cookie", Config{}, navigation("GET", "/"), noCookie, ""},
		{"Secure on TLS", Config{BasePath: "/netbox/"}, tlsNavigation, loginRedirect,
			"hhgate_nb_expires=" + expires + "; Max-Age=120; Path=/netbox; HttpOnly; SameSite=Lax; Secure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Now = fixedClock
			g := newPagesGuard(t, tt.cfg)
			rec := httptest.NewRecorder()
			if err := g.Serve(rec, tt.request, tt.upstream); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range rec.Header()["Set-Cookie"] {
				if strings.HasPrefix(line, ExpiryCookie+"=") {
					got = append(got, line)
				}
			}
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("unexpected expiry cookie %q", got)
			case tt.want != "" && (len(got) != 1 || got[0] != tt.want):
				t.Errorf("expiry cookie %q, want %q", got, tt.want)
			}
			if len(rec.Header()["Set-Cookie"]) < 1 {
				t.Errorf("NetBox's own Set-Cookie lines were lost")
			}
		})
	}
}

func TestSessionEndpoint(t *testing.T) {
	g := newPagesGuard(t, Config{Now: fixedClock, WarnBefore: 90 * time.Second})
	future := strconv.FormatInt(testNow.Add(100*time.Second+250*time.Millisecond).UnixMilli(), 10)
	past := strconv.FormatInt(testNow.Add(-time.Second).UnixMilli(), 10)
	nowSeconds := float64(testNow.UnixMilli()) / 1000
	tests := []struct {
		name      string
		cookies   string
		wantAuth  bool
		wantAfter *float64 // expires_at - server_time
	}{
		{"no cookies", "", false, nil},
		{"expiry in the future", "hhgate_nb_expires=" + future, true, ptr(100.25)},
		{"expiry passed", "hhgate_nb_expires=" + past + "; sessionid=abc", false, ptr(-1.0)},
		{"session until the browser closes", "hhgate_nb_expires=session; sessionid=abc", true, nil},
		{"session cookie without a recorded expiry", "sessionid=abc", true, nil},
		{"garbage expiry, no session", "hhgate_nb_expires=soon", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://netbox.example.org/.hhgate/session", nil)
			if tt.cookies != "" {
				r.Header.Set("Cookie", tt.cookies)
			}
			rec := httptest.NewRecorder()
			if err := g.Serve(rec, r, mustNotReachNetBox(t)); err != nil {
				t.Fatal(err)
			}
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("%d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
			}
			var got SessionAnswer
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Authenticated != tt.wantAuth || got.ServerTime != nowSeconds || got.WarnBeforeSeconds != 90 || got.Source != "netbox" {
				t.Errorf("answer %s", rec.Body)
			}
			switch {
			case tt.wantAfter == nil && got.ExpiresAt != nil:
				t.Errorf("expires_at %v, want null", *got.ExpiresAt)
			case tt.wantAfter != nil && (got.ExpiresAt == nil || *got.ExpiresAt-got.ServerTime != *tt.wantAfter):
				t.Errorf("expires_at %v, want server_time + %v", got.ExpiresAt, *tt.wantAfter)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func mustNotReachNetBox(t *testing.T) func(http.ResponseWriter, *http.Request) error {
	return func(http.ResponseWriter, *http.Request) error {
		t.Errorf("the request reached NetBox")
		return nil
	}
}
