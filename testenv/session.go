package testenv

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Session is a browser-like client: it keeps cookies, does not follow
// redirects (so tests see every 302), and remembers the CSRF token to send as
// X-CSRFToken.
type Session struct {
	Client    *http.Client
	CSRFToken string
	// BaseURL is where NetBox's pages are, e.g. http://127.0.0.1:8080 or
	// http://gateway/netbox when NetBox runs under a BASE_PATH (no trailing slash).
	BaseURL string
}

var (
	csrfInputRe  = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)
	formActionRe = regexp.MustCompile(`<form action="([^"]*)" method="post"`)
	nextInputRe  = regexp.MustCompile(`<input type="hidden" name="next" value="([^"]*)"`)
	windowCSRFRe = regexp.MustCompile(`window\.CSRF_TOKEN = "([^"]*)"`)
)

// NewSession returns an anonymous session (empty cookie jar, no CSRF token).
func NewSession(baseURL string) *Session {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err)
	}
	return &Session{
		Client: &http.Client{
			Jar:           jar,
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		BaseURL: strings.TrimRight(baseURL, "/"),
	}
}

// Login logs in through baseURL (the stand-in itself or a gateway in front of
// it) with NetBox's form flow: GET /login/, take the csrftoken cookie and the
// csrfmiddlewaretoken input, POST the credentials. The returned session holds
// the sessionid cookie and, in CSRFToken, the token for X-CSRFToken (login
// rotates it).
func Login(t testing.TB, baseURL, username, password string) *Session {
	t.Helper()
	s := NewSession(baseURL)
	if err := s.Login(username, password); err != nil {
		t.Fatalf("login as %q through %s: %v", username, baseURL, err)
	}
	return s
}

// Login performs the form login on this session (see the package-level Login).
func (s *Session) Login(username, password string) error {
	loginURL := s.BaseURL + "/login/"
	resp, body, err := s.do(http.MethodGet, loginURL, nil, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s (Location %q)", loginURL, resp.Status, resp.Header.Get("Location"))
	}
	page := string(body)
	m := csrfInputRe.FindStringSubmatch(page)
	if m == nil {
		return fmt.Errorf("GET %s: no csrfmiddlewaretoken in the page", loginURL)
	}
	form := url.Values{
		"csrfmiddlewaretoken": {html.UnescapeString(m[1])},
		"username":            {username},
		"password":            {password},
	}
	if nm := nextInputRe.FindStringSubmatch(page); nm != nil {
		form.Set("next", html.UnescapeString(nm[1]))
	}
	action := loginURL
	if am := formActionRe.FindStringSubmatch(page); am != nil && am[1] != "" {
		base, _ := url.Parse(loginURL)
		ref, err := url.Parse(html.UnescapeString(am[1]))
		if err != nil {
			return fmt.Errorf("bad form action %q: %w", am[1], err)
		}
		action = base.ResolveReference(ref).String()
	}
	hdr := http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"},
		"Referer":      {loginURL},
	}
	resp, body, err = s.do(http.MethodPost, action, hdr, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("POST %s: %s, want 302 (wrong credentials?): %.300s", action, resp.Status, body)
	}
	if tok := s.Cookie("csrftoken"); tok != "" {
		s.CSRFToken = tok
		return nil
	}
	// The cookie may be invisible to the jar (e.g. a different cookie path); use the page token.
	tok, err := s.pageCSRFToken("/")
	if err != nil {
		return err
	}
	s.CSRFToken = tok
	return nil
}

// PageCSRFToken fetches a page (path relative to BaseURL, e.g. "/plugins/hedgehog/fabrics/1/")
// and returns the window.CSRF_TOKEN it embeds.
func (s *Session) PageCSRFToken(t testing.TB, path string) string {
	t.Helper()
	tok, err := s.pageCSRFToken(path)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (s *Session) pageCSRFToken(path string) (string, error) {
	resp, body, err := s.do(http.MethodGet, s.BaseURL+path, nil, nil)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s (Location %q)", path, resp.Status, resp.Header.Get("Location"))
	}
	m := windowCSRFRe.FindSubmatch(body)
	if m == nil || len(m[1]) == 0 {
		return "", fmt.Errorf("GET %s: no window.CSRF_TOKEN in the page", path)
	}
	return string(m[1]), nil
}

// Cookie returns the value of the named cookie the session would send to BaseURL ("" if none).
func (s *Session) Cookie(name string) string {
	u, err := url.Parse(s.BaseURL + "/")
	if err != nil || s.Client.Jar == nil {
		return ""
	}
	for _, c := range s.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Do sends a request to BaseURL+path with the given extra headers and returns
// the response with its body already read.
func (s *Session) Do(t testing.TB, method, path string, header http.Header, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	resp, data, err := s.do(method, s.BaseURL+path, header, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, data
}

// Get is Do with GET and no extra headers.
func (s *Session) Get(t testing.TB, path string) (*http.Response, []byte) {
	t.Helper()
	return s.Do(t, http.MethodGet, path, nil, nil)
}

// FetchPost POSTs to path the way the Hedgehog plugin's page script does:
// headers X-CSRFToken (the session's token) and Content-Type: application/json
// only, no body.
func (s *Session) FetchPost(t testing.TB, path string) (*http.Response, []byte) {
	t.Helper()
	return s.Do(t, http.MethodPost, path, http.Header{
		"X-Csrftoken":  {s.CSRFToken},
		"Content-Type": {"application/json"},
	}, nil)
}

func (s *Session) do(method, rawURL string, header http.Header, body io.Reader) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		return nil, nil, err
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	return resp, data, nil
}
