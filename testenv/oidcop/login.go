package oidcop

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var (
	formRe    = regexp.MustCompile(`<form method="POST" action="([^"]+)"`)
	hiddenIDs = regexp.MustCompile(`<input type="hidden" name="id" value="([^"]*)">`)
)

// maxLoginSteps bounds the redirects of one login.
const maxLoginSteps = 10

// FollowLogin follows the OP's redirects from authURL as a browser would,
// submits the OP's HTML login form with username and password when it is
// shown, and returns the first URL outside the OP: the relying party's
// callback (with code and state, or with an error). client's cookie jar is
// used; its redirect policy is not.
func FollowLogin(client *http.Client, authURL, username, password string) (string, error) {
	start, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	noFollow := &http.Client{
		Jar: client.Jar, Transport: client.Transport, Timeout: client.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	next := start
	method, form := http.MethodGet, url.Values(nil)
	for range maxLoginSteps {
		var resp *http.Response
		if method == http.MethodPost {
			resp, err = noFollow.PostForm(next.String(), form)
		} else {
			resp, err = noFollow.Get(next.String())
		}
		if err != nil {
			return "", err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := next.Parse(resp.Header.Get("Location"))
			if err != nil {
				return "", err
			}
			if loc.Host != start.Host {
				return loc.String(), nil
			}
			next, method = loc, http.MethodGet
		case resp.StatusCode == http.StatusOK && formRe.Match(body):
			if method == http.MethodPost {
				return "", fmt.Errorf("the OP showed its login form again (wrong password?): %s", loginError(body))
			}
			action, err := next.Parse(html.UnescapeString(string(formRe.FindSubmatch(body)[1])))
			if err != nil {
				return "", err
			}
			id := hiddenIDs.FindSubmatch(body)
			if id == nil {
				return "", errors.New("login form without the auth request id")
			}
			next, method = action, http.MethodPost
			form = url.Values{"username": {username}, "password": {password}, "id": {html.UnescapeString(string(id[1]))}}
		default:
			return "", fmt.Errorf("%s %s: %s: %.300s", method, next.Redacted(), resp.Status, body)
		}
	}
	return "", errors.New("too many redirects at the OP")
}

func loginError(body []byte) string {
	s := string(body)
	if i := strings.Index(s, `<p style="color:red`); i >= 0 {
		s = s[i:]
		if j := strings.Index(s, "</p>"); j >= 0 {
			return s[:j]
		}
	}
	return "no error text"
}
