package oidcsession

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"golang.org/x/oauth2"
)

func retrieveError(status int, code string) error {
	return &oauth2.RetrieveError{Response: &http.Response{StatusCode: status}, ErrorCode: code}
}

func TestPreferredStyle(t *testing.T) {
	tests := []struct {
		name      string
		announced []string
		want      oauth2.AuthStyle
	}{
		{"IdP says nothing: basic (the OIDC default)", nil, oauth2.AuthStyleInHeader},
		{"IdP lists both: basic", []string{AuthMethodPost, AuthMethodBasic}, oauth2.AuthStyleInHeader},
		{"IdP lists only post", []string{AuthMethodPost, "private_key_jwt"}, oauth2.AuthStyleInParams},
		{"IdP lists neither", []string{"private_key_jwt"}, oauth2.AuthStyleInHeader},
	}
	for _, tt := range tests {
		if got := preferredStyle(tt.announced); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestClientAuthRefused(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"invalid_client 401", retrieveError(401, "invalid_client"), true},
		{"invalid_client 400", retrieveError(400, "invalid_client"), true},
		{"invalid_request 400 (a post-only IdP missing client_id)", retrieveError(400, "invalid_request"), true},
		{"bare 401", retrieveError(401, ""), true},
		{"invalid_grant: the grant was looked at", retrieveError(400, "invalid_grant"), false},
		{"unauthorized_client: authenticated, not allowed", retrieveError(400, "unauthorized_client"), false},
		{"invalid_scope", retrieveError(400, "invalid_scope"), false},
		{"bare 400", retrieveError(400, ""), false},
		{"server error", retrieveError(500, "server_error"), false},
		{"unavailable", retrieveError(503, ""), false},
		{"timeout", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		if got := clientAuthRefused(tt.err); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestTokenAuthDetection: which styles a token call presents, in order,
// for what the IdP answers each, and what is kept for the next call.
func TestTokenAuthDetection(t *testing.T) {
	basic, post := oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams
	tests := []struct {
		name       string
		configured string
		announced  []string
		learned    oauth2.AuthStyle
		refresh    bool
		hint       string
		answers    map[oauth2.AuthStyle]error // nil: accepted
		wantTried  []oauth2.AuthStyle
		wantMethod string // "" when the call fails
		wantLearn  oauth2.AuthStyle
	}{
		{name: "basic accepted at once", announced: []string{AuthMethodBasic, AuthMethodPost},
			wantTried: []oauth2.AuthStyle{basic}, wantMethod: AuthMethodBasic, wantLearn: basic},
		{name: "lists basic, accepts only post: falls back on invalid_request",
			announced: []string{AuthMethodBasic, AuthMethodPost},
			answers:   map[oauth2.AuthStyle]error{basic: retrieveError(400, "invalid_request")},
			wantTried: []oauth2.AuthStyle{basic, post}, wantMethod: AuthMethodPost, wantLearn: post},
		{name: "falls back on invalid_client",
			answers:   map[oauth2.AuthStyle]error{basic: retrieveError(401, "invalid_client")},
			wantTried: []oauth2.AuthStyle{basic, post}, wantMethod: AuthMethodPost, wantLearn: post},
		{name: "only post listed: post first", announced: []string{AuthMethodPost},
			wantTried: []oauth2.AuthStyle{post}, wantMethod: AuthMethodPost, wantLearn: post},
		{name: "invalid_grant is never retried: the token was looked at",
			answers:   map[oauth2.AuthStyle]error{basic: retrieveError(400, "invalid_grant")},
			wantTried: []oauth2.AuthStyle{basic}},
		{name: "an IdP that is down is not asked twice",
			answers:   map[oauth2.AuthStyle]error{basic: retrieveError(503, "")},
			wantTried: []oauth2.AuthStyle{basic}},
		{name: "both refused: the second answer is the error",
			answers: map[oauth2.AuthStyle]error{
				basic: retrieveError(401, "invalid_client"), post: retrieveError(401, "invalid_client")},
			wantTried: []oauth2.AuthStyle{basic, post}},
		{name: "refresh: the learned style only, no fallback", learned: post, refresh: true,
			answers:   map[oauth2.AuthStyle]error{post: retrieveError(401, "invalid_request")},
			wantTried: []oauth2.AuthStyle{post}, wantLearn: post},
		{name: "refresh: the session's style only (another gateway's login)", hint: AuthMethodPost, refresh: true,
			answers:   map[oauth2.AuthStyle]error{post: retrieveError(401, "invalid_request")},
			wantTried: []oauth2.AuthStyle{post}},
		{name: "refresh: neither known (an older record): detected", refresh: true,
			answers:   map[oauth2.AuthStyle]error{basic: retrieveError(401, "invalid_client")},
			wantTried: []oauth2.AuthStyle{basic, post}, wantMethod: AuthMethodPost, wantLearn: post},
		{name: "refresh: invalid_grant with neither known is not retried", refresh: true,
			answers:   map[oauth2.AuthStyle]error{basic: retrieveError(400, "invalid_grant")},
			wantTried: []oauth2.AuthStyle{basic}},
		{name: "login: the learned style first, the other if the IdP changed", learned: post,
			answers:   map[oauth2.AuthStyle]error{post: retrieveError(401, "invalid_client")},
			wantTried: []oauth2.AuthStyle{post, basic}, wantMethod: AuthMethodBasic, wantLearn: basic},
		{name: "configured: only that, whatever discovery says", configured: AuthMethodBasic, announced: []string{AuthMethodPost},
			answers:   map[oauth2.AuthStyle]error{basic: retrieveError(401, "invalid_client")},
			wantTried: []oauth2.AuthStyle{basic}},
		{name: "configured beats the session's style", configured: AuthMethodPost, hint: AuthMethodBasic, refresh: true,
			wantTried: []oauth2.AuthStyle{post}, wantMethod: AuthMethodPost, wantLearn: post},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTokenAuth(tt.configured, tt.announced)
			a.learned.Store(int32(tt.learned))
			var tried []oauth2.AuthStyle
			tok, method, err := a.do(!tt.refresh, tt.hint, func(style oauth2.AuthStyle) (*oauth2.Token, error) {
				tried = append(tried, style)
				if err := tt.answers[style]; err != nil {
					return nil, err
				}
				return &oauth2.Token{AccessToken: "at"}, nil
			})
			if !slices.Equal(tried, tt.wantTried) {
				t.Errorf("tried %v, want %v", tried, tt.wantTried)
			}
			if method != tt.wantMethod || (err == nil) != (tt.wantMethod != "") || (tok != nil) != (err == nil) {
				t.Errorf("method %q, err %v; want method %q", method, err, tt.wantMethod)
			}
			if err != nil && !errors.Is(err, tt.answers[tried[len(tried)-1]]) {
				t.Errorf("error %v is not the last answer", err)
			}
			if got := oauth2.AuthStyle(a.learned.Load()); got != tt.wantLearn {
				t.Errorf("learned %v, want %v", got, tt.wantLearn)
			}
		})
	}
}

func TestScopesFor(t *testing.T) {
	tests := []struct {
		name                  string
		configured, supported []string
		want                  []string
	}{
		{"offline_access listed", nil, []string{"openid", "profile", "email", "offline_access"},
			[]string{"openid", "profile", "email", "offline_access"}},
		{"no scope list: offline_access asked", nil, nil, []string{"openid", "profile", "email", "offline_access"}},
		{"offline_access not offered (Google, mockoidc)", nil, []string{"openid", "email", "profile", "groups"},
			[]string{"openid", "profile", "email"}},
		{"configured scopes as given", []string{"openid", "groups", "offline_access"}, []string{"openid"},
			[]string{"openid", "groups", "offline_access"}},
	}
	for _, tt := range tests {
		got := scopesFor(tt.configured, tt.supported)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	// The default list is not shared with a result.
	got := scopesFor(nil, nil)
	got[0] = "changed"
	if DefaultScopes[0] != "openid" {
		t.Fatal("scopesFor handed out DefaultScopes itself")
	}
}
