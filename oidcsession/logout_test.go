package oidcsession

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/hhgate/hhgate/testenv/oidcop"
)

// TestLogoutEndsBothSessions: NetBox's /logout/ and /.hhgate/logout end the
// gateway session (its record and cookie), let NetBox end its own without
// an identity that would log the user straight back in, and send the
// browser to the IdP's end_session_endpoint, which ends the IdP session:
// the refresh token is dead afterwards.
// Real parts: zitadel example OP.
func TestLogoutEndsBothSessions(t *testing.T) {
	for _, path := range []string{"/logout/", LogoutPath} {
		t.Run(path, func(t *testing.T) {
			ev := &events{}
			s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{configure: func(c *Config) {
				c.PostLogoutRedirectURL = "/"
				c.OnEvent = ev.record
			}})
			b := newBrowser(t)
			b.login(t, s.gw, "/", alice)
			id := b.sessionID(s.gw)
			rec := s.gw.record(t, b)
			gw, _ := url.Parse(s.gw.URL)
			b.client.Jar.SetCookies(gw, []*http.Cookie{{Name: "sessionid", Value: "netbox-session", Path: "/"}})

			resp, _ := b.get(t, s.gw.URL+path, navigation)
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d, want a redirect to the IdP's logout", resp.StatusCode)
			}
			end, _ := url.Parse(resp.Header.Get("Location"))
			q := end.Query()
			if !strings.HasPrefix(end.String(), s.op.Issuer+"/end_session") || q.Get("id_token_hint") != rec.IDToken ||
				q.Get("client_id") != testClientID || q.Get("post_logout_redirect_uri") != s.gw.URL+"/" {
				t.Fatalf("logout redirect %s", end)
			}
			if b.sessionID(s.gw) != "" || b.cookie(s.gw.URL, "sessionid") != "" {
				t.Fatalf("cookies left: gateway %q, NetBox %q", b.sessionID(s.gw), b.cookie(s.gw.URL, "sessionid"))
			}
			reqs := s.gw.upstream.requests()
			last := reqs[len(reqs)-1]
			if last.Path != "/logout/" || last.Method != http.MethodGet || last.header("Remote-User") != "" ||
				last.header("Cookie") != "sessionid=netbox-session" {
				t.Fatalf("NetBox's logout got %+v", last)
			}
			if _, err := s.gw.h.store.Reload(t.Context(), id); err == nil {
				t.Fatal("the session record survived the logout")
			}

			// The IdP ends its session and comes back.
			resp, _ = b.get(t, end.String(), navigation)
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != s.gw.URL+"/" {
				t.Fatalf("end_session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			oauth := oauth2.Config{ClientID: testClientID, ClientSecret: testClientSecret,
				Endpoint: oauth2.Endpoint{TokenURL: s.op.Issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
			_, err := oauth.TokenSource(t.Context(), &oauth2.Token{RefreshToken: rec.RefreshToken}).Token()
			var re *oauth2.RetrieveError
			if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("refresh after logout: %v, want invalid_grant", err)
			}

			resp, body := b.get(t, s.gw.URL+StatusPath, fetch)
			if string(body) != `{"authenticated":false}` {
				t.Fatalf("status after logout: %d %s", resp.StatusCode, body)
			}
			if ev.count("logout/success") != 1 {
				t.Errorf("events %v", ev.got)
			}
		})
	}
}

// TestLogoutWithoutEndSessionShowsSignedOut: with no end_session_endpoint
// and no post_logout_redirect_url the gateway shows its own page, whose
// link starts a fresh login rather than re-entering NetBox.
// Real parts: mockoidc (no end_session_endpoint).
func TestLogoutWithoutEndSessionShowsSignedOut(t *testing.T) {
	m := oidcop.StartMock(t, oidcop.MockOptions{})
	gw := startGateway(t, gatewayOptions{issuer: m.Issuer(), clock: oidcop.MockClock().Now, configure: mockClient(m)})
	b := newBrowser(t)
	b.finishLogin(t, b.toIdP(t, gw.URL+"/"), alice)
	resp, body := b.get(t, gw.URL+LogoutPath, navigation)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Signed out") || !strings.Contains(string(body), `href="/.hhgate/oidc/login?rd=`) {
		t.Fatalf("%d: %.500s", resp.StatusCode, body)
	}
	if b.sessionID(gw) != "" {
		t.Fatal("session cookie left")
	}
}

// TestSessionStatus: the status endpoint says who is logged in and until
// when, never a token; without a session it answers 200 unauthenticated.
// Real parts: zitadel example OP.
func TestSessionStatus(t *testing.T) {
	s := startZitadelStack(t, oidcop.ZitadelOptions{}, gatewayOptions{})
	b := newBrowser(t)
	resp, body := b.get(t, s.gw.URL+StatusPath, fetch)
	if resp.StatusCode != http.StatusOK || string(body) != `{"authenticated":false}` || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("anonymous: %d %s", resp.StatusCode, body)
	}

	b.login(t, s.gw, "/", alice)
	rec := s.gw.record(t, b)
	resp, body = b.get(t, s.gw.URL+StatusPath, fetch)
	var got struct {
		Authenticated bool     `json:"authenticated"`
		User          string   `json:"user"`
		Email         string   `json:"email"`
		Groups        []string `json:"groups"`
		ExpiresAt     float64  `json:"expires_at"`
		ServerTime    float64  `json:"server_time"`
		Source        string   `json:"source"`
	}
	if err := json.Unmarshal(body, &got); err != nil || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%v: %s", err, body)
	}
	if !got.Authenticated || got.User != "alice" || got.Email != "alice@example.com" || strings.Join(got.Groups, ",") != "netbox-admins,noc" ||
		int64(got.ExpiresAt) != rec.ExpiresAt.Unix() || got.Source != "oidc" || got.ServerTime < float64(s.clock.Now().Unix()-5) {
		t.Fatalf("status %s", body)
	}
	for _, secret := range []string{rec.AccessToken, rec.RefreshToken, rec.IDToken, b.sessionID(s.gw)} {
		if strings.Contains(string(body), secret) {
			t.Fatal("the status answer carries a token or the session id")
		}
	}
	if resp, _ := b.do(t, http.MethodPost, s.gw.URL+StatusPath, fetch); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
}

func asRetrieveError(err error, target **oauth2.RetrieveError) bool {
	re, ok := err.(*oauth2.RetrieveError)
	if ok {
		*target = re
	}
	return ok
}
