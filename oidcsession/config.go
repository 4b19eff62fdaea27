package oidcsession

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"

	"github.com/hhgate/hhgate/netboxhttp"
	"github.com/hhgate/hhgate/oidcstore"
)

// Defaults of the optional settings.
const (
	DefaultSessionTTL     = 12 * time.Hour
	DefaultRefreshMargin  = time.Minute
	DefaultCookieName     = "hhgate_session"
	DefaultGroupSeparator = "|"
)

// Token endpoint client authentication methods (TokenAuthMethod).
const (
	AuthMethodBasic = "client_secret_basic"
	AuthMethodPost  = "client_secret_post"
)

// DefaultScopes are requested when none are configured, plus
// ScopeOfflineAccess when the IdP offers it (see scopesFor).
var DefaultScopes = []string{"openid", "profile", "email"}

// ScopeOfflineAccess asks for a refresh token, which most IdPs only issue
// with it; those that do not know it refuse the login (invalid_scope).
const ScopeOfflineAccess = "offline_access"

// MaxSessionCacheTTL bounds SessionCacheTTL: a logout must reach every
// gateway sharing the storage in reasonable time.
const MaxSessionCacheTTL = time.Minute

// ClaimNames name the ID token / userinfo claims the identity is read from.
type ClaimNames struct {
	User      string // default preferred_username
	Email     string // default email
	FirstName string // default given_name
	LastName  string // default family_name
	Groups    string // default groups
}

// DefaultClaims are the standard OIDC claim names (groups is a common extension).
var DefaultClaims = ClaimNames{
	User: "preferred_username", Email: "email", FirstName: "given_name", LastName: "family_name", Groups: "groups",
}

// HeaderNames name the request headers that tell NetBox who the user is.
// NetBox reads them as REMOTE_AUTH_HEADER etc. (HTTP_REMOTE_USER for
// Remote-User): use dashes, since many servers drop underscore names.
type HeaderNames struct {
	User      string // default Remote-User
	Email     string // default Remote-User-Email
	FirstName string // default Remote-User-First-Name
	LastName  string // default Remote-User-Last-Name
	Groups    string // default Remote-User-Group
}

// DefaultHeaders are NetBox's default REMOTE_AUTH_* header names.
var DefaultHeaders = HeaderNames{
	User: "Remote-User", Email: "Remote-User-Email", FirstName: "Remote-User-First-Name",
	LastName: "Remote-User-Last-Name", Groups: "Remote-User-Group",
}

// Config configures a Handler. Errors from New name the setting as the
// Caddy configuration spells it.
type Config struct {
	// Issuer is the IdP's issuer URL (discovery: <issuer>/.well-known/openid-configuration).
	Issuer string
	// ClientID and ClientSecret identify the gateway at the IdP (a confidential client).
	ClientID     string
	ClientSecret string
	// TokenAuthMethod is how the client secret is sent to the token
	// endpoint: AuthMethodBasic or AuthMethodPost, and nothing else is
	// tried. Empty: detected (see tokenAuth): the style the IdP's discovery
	// document suggests first, the other one if the IdP refuses the client,
	// then whichever worked.
	TokenAuthMethod string
	// Scopes are requested as given. Empty: DefaultScopes, plus
	// offline_access when the IdP's discovery document lists it in
	// scopes_supported or lists no scopes at all.
	Scopes []string
	// RedirectURL is the absolute callback URL registered at the IdP. Empty:
	// derived from each request (scheme and Host) + CallbackPath.
	RedirectURL string
	// PostLogoutRedirectURL is where the IdP sends the browser after logout
	// (post_logout_redirect_uri; must be registered at the IdP). A path is
	// made absolute with the request's scheme and Host. Empty: the IdP's own
	// page.
	PostLogoutRedirectURL string

	// SessionKeys are 32-byte keys (hex or base64); the first seals, all open.
	SessionKeys []string
	// SessionTTL caps a session's life (default DefaultSessionTTL).
	SessionTTL time.Duration
	// RefreshMargin is how long before the tokens expire they are renewed
	// (default DefaultRefreshMargin; at most half the token lifetime).
	RefreshMargin time.Duration
	// SessionCacheTTL is how long a gateway serves a session from memory
	// before it reads the record from the storage again: a logout on
	// another gateway sharing the storage takes effect here within it
	// (default oidcstore.DefaultRevalidateAfter, at most MaxSessionCacheTTL).
	SessionCacheTTL time.Duration

	// PublicPaths pass without a session and without identity (default
	// BasePath+"static/*" and "/favicon.ico"). See netboxhttp.PathPattern.
	PublicPaths []string

	// Claims and Headers default field by field to DefaultClaims and DefaultHeaders.
	Claims  ClaimNames
	Headers HeaderNames
	// GroupSeparator joins the groups in the group header (NetBox's
	// REMOTE_AUTH_GROUP_SEPARATOR; default "|").
	GroupSeparator string

	// BasePath, LoginPath, APIPrefixes and AJAXPaths locate NetBox's login
	// page and tell programmatic requests from navigations, as for every
	// module (netboxhttp.Config); Message is the text of the 401 a script
	// gets without a session.
	BasePath    string
	LoginPath   string
	APIPrefixes []string
	AJAXPaths   []string
	Message     string
	// LogoutPath is NetBox's logout page (default BasePath+"logout/").
	LogoutPath string

	// CookieName is the session cookie's name (default DefaultCookieName).
	CookieName string

	// Storage holds the sessions (Caddy's configured storage). Required.
	Storage certmagic.Storage
	// Logger defaults to a no-op logger. Tokens, cookies and session ids are
	// never logged.
	Logger *zap.Logger
	// Now is the clock (default time.Now). Tests move it instead of sleeping.
	Now func() time.Time
	// HTTPClient talks to the IdP (default: 15 s timeout).
	HTTPClient *http.Client
	// IsTLS reports whether the browser reached the gateway over TLS, which
	// makes the cookies Secure (default: r.TLS != nil).
	IsTLS func(*http.Request) bool
	// OnEvent, if set, is told about logins, refreshes and logouts and their
	// result, for metrics.
	OnEvent func(kind EventKind, result string)

	// DiscoveryRetryMin and DiscoveryRetryMax bound the back-off between
	// discovery attempts while the IdP cannot be reached (default 1 s and 1 min).
	DiscoveryRetryMin time.Duration
	DiscoveryRetryMax time.Duration
}

// EventKind is what OnEvent reports.
type EventKind string

// Events and their results.
const (
	// EventLogin results: "success", "prompt_none_fallback", "failed".
	EventLogin EventKind = "login"
	// EventRefresh results: "success", "reused" (another request or
	// instance had just refreshed), "ended" (the IdP refused the refresh
	// token), "failed" (network or server error; retried).
	EventRefresh EventKind = "refresh"
	// EventLogout result: "success".
	EventLogout EventKind = "logout"
)

// settings is a checked Config with defaults applied.
type settings struct {
	Config
	keys [][]byte
	// publicExact and publicPatterns are public_path split into plain paths
	// (compared as strings: this runs on every request) and patterns.
	publicExact    []string
	publicPatterns []netboxhttp.PathPattern
	site           *netboxhttp.Site
	identity       identityHeaders
	// statusUnderBase is StatusPath under NetBox's BASE_PATH, where
	// netbox_guard's page script asks (it equals StatusPath without one).
	statusUnderBase string
}

// Validate checks the configuration without changing it and without any
// I/O; the error names the setting.
func (c Config) Validate() error {
	_, err := c.check()
	return err
}

// check applies defaults and validates; errors start with the setting's
// name. It does no I/O.
func (c Config) check() (*settings, error) {
	s := &settings{Config: c}
	for _, section := range []func(*settings) error{
		checkNetBox, checkIdP, checkSession, checkPublicPaths, checkIdentity, checkRuntime,
	} {
		if err := section(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// checkNetBox: the NetBox paths, as every module reads them.
func checkNetBox(s *settings) error {
	var err error
	if s.site, err = netboxhttp.New(netboxhttp.Config{
		BasePath: s.BasePath, LoginPath: s.LoginPath, APIPrefixes: s.APIPrefixes, AJAXPaths: s.AJAXPaths,
		Texts: netboxhttp.Texts{Message: s.Message},
	}); err != nil {
		return err
	}
	s.BasePath, s.LoginPath = s.site.BasePath(), s.site.LoginPath()
	s.statusUnderBase = s.BasePath + strings.TrimPrefix(StatusPath, "/")
	if s.LogoutPath == "" {
		s.LogoutPath = s.BasePath + "logout/"
	}
	if err := netboxhttp.CheckPath(s.LogoutPath); err != nil {
		return fmt.Errorf("logout_path: %w", err)
	}
	return nil
}

// checkIdP: the IdP and the client registered there.
func checkIdP(s *settings) error {
	if err := checkURL(s.Issuer); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if strings.TrimSpace(s.ClientID) == "" {
		return errors.New("client_id: required")
	}
	if s.ClientSecret == "" {
		return errors.New("client_secret: required (the gateway is a confidential client)")
	}
	if m := s.TokenAuthMethod; m != "" && m != AuthMethodBasic && m != AuthMethodPost {
		return fmt.Errorf("token_auth_method: %q is neither %s nor %s", m, AuthMethodBasic, AuthMethodPost)
	}
	if len(s.Scopes) > 0 && !slices.Contains(s.Scopes, "openid") {
		return errors.New(`scopes: must include "openid"`)
	}
	if s.RedirectURL != "" {
		if err := checkURL(s.RedirectURL); err != nil {
			return fmt.Errorf("redirect_url: %w", err)
		}
		if u, _ := url.Parse(s.RedirectURL); u.Path != CallbackPath || u.RawQuery != "" {
			return fmt.Errorf("redirect_url: path must be %s (no query)", CallbackPath)
		}
	}
	if p := s.PostLogoutRedirectURL; p != "" && !strings.HasPrefix(p, "/") {
		if err := checkURL(p); err != nil {
			return fmt.Errorf("post_logout_redirect_url: %w", err)
		}
	} else if strings.HasPrefix(p, "//") {
		return errors.New("post_logout_redirect_url: a path must not start with //")
	}
	return nil
}

// checkSession: the keys and lifetimes of the gateway sessions.
func checkSession(s *settings) error {
	if len(s.SessionKeys) == 0 {
		return errors.New("session_key: required (32 bytes, hex or base64; generate with: openssl rand -base64 32)")
	}
	for i, k := range s.SessionKeys {
		key, err := oidcstore.ParseKey(k)
		if err != nil {
			return fmt.Errorf("session_key[%d]: %w", i, err)
		}
		s.keys = append(s.keys, key)
	}
	if s.SessionTTL == 0 {
		s.SessionTTL = DefaultSessionTTL
	}
	if s.SessionTTL < time.Minute {
		return fmt.Errorf("session_ttl: %s is too short (at least 1m)", s.SessionTTL)
	}
	if s.RefreshMargin == 0 {
		s.RefreshMargin = DefaultRefreshMargin
	}
	if s.RefreshMargin < 0 || s.RefreshMargin >= s.SessionTTL {
		return fmt.Errorf("refresh_margin: %s must be positive and shorter than session_ttl", s.RefreshMargin)
	}
	if s.SessionCacheTTL == 0 {
		s.SessionCacheTTL = oidcstore.DefaultRevalidateAfter
	}
	if s.SessionCacheTTL < 0 || s.SessionCacheTTL > MaxSessionCacheTTL {
		return fmt.Errorf("session_cache_ttl: %s must be positive and at most %s", s.SessionCacheTTL, MaxSessionCacheTTL)
	}
	if s.CookieName == "" {
		s.CookieName = DefaultCookieName
	}
	if !netboxhttp.IsCookieName(s.CookieName) || strings.HasPrefix(s.CookieName, pendingCookiePrefix) {
		return fmt.Errorf("cookie_name: %q is not a usable cookie name", s.CookieName)
	}
	if s.Storage == nil {
		return errors.New("storage: required")
	}
	return nil
}

// checkPublicPaths splits public_path into plain paths and patterns.
func checkPublicPaths(s *settings) error {
	publicPaths := s.PublicPaths
	if len(publicPaths) == 0 {
		publicPaths = []string{s.BasePath + "static/*", "/favicon.ico"}
	}
	for i, p := range publicPaths {
		pp, err := netboxhttp.ParsePathPattern(p)
		if err != nil {
			return fmt.Errorf("public_path[%d]: %w", i, err)
		}
		if strings.ContainsAny(p, `*?[\`) {
			s.publicPatterns = append(s.publicPatterns, pp)
		} else {
			s.publicExact = append(s.publicExact, p)
		}
	}
	return nil
}

// checkIdentity: the claims read and the headers NetBox gets.
func checkIdentity(s *settings) error {
	s.Claims = withDefaultClaims(s.Claims)
	s.Headers = withDefaultHeaders(s.Headers)
	if s.GroupSeparator == "" {
		s.GroupSeparator = DefaultGroupSeparator
	}
	if netboxhttp.HasControl(s.GroupSeparator) {
		return errors.New("group_separator: must not contain control characters")
	}
	var err error
	s.identity, err = newIdentityHeaders(s.Headers, s.GroupSeparator)
	return err
}

// checkRuntime fills in the collaborators a caller may leave out.
func checkRuntime(s *settings) error {
	if s.Logger == nil {
		s.Logger = zap.NewNop()
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if s.IsTLS == nil {
		s.IsTLS = func(r *http.Request) bool { return r.TLS != nil }
	}
	if s.OnEvent == nil {
		s.OnEvent = func(EventKind, string) {}
	}
	if s.DiscoveryRetryMin <= 0 {
		s.DiscoveryRetryMin = time.Second
	}
	if s.DiscoveryRetryMax < s.DiscoveryRetryMin {
		s.DiscoveryRetryMax = max(time.Minute, s.DiscoveryRetryMin)
	}
	return nil
}

func withDefaultClaims(c ClaimNames) ClaimNames {
	d := DefaultClaims
	return ClaimNames{
		User: cmp.Or(c.User, d.User), Email: cmp.Or(c.Email, d.Email), FirstName: cmp.Or(c.FirstName, d.FirstName),
		LastName: cmp.Or(c.LastName, d.LastName), Groups: cmp.Or(c.Groups, d.Groups),
	}
}

func withDefaultHeaders(h HeaderNames) HeaderNames {
	d := DefaultHeaders
	return HeaderNames{
		User: cmp.Or(h.User, d.User), Email: cmp.Or(h.Email, d.Email), FirstName: cmp.Or(h.FirstName, d.FirstName),
		LastName: cmp.Or(h.LastName, d.LastName), Groups: cmp.Or(h.Groups, d.Groups),
	}
}

// checkURL accepts an absolute http(s) URL with a host and no fragment.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must be an absolute http(s) URL", raw)
	}
	return nil
}
