package sessionguard

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Where a CSRF token comes from. NetBox gives its scripts the token in one
// of three places, depending on its version:
//
//   - window.CSRF_TOKEN = "…" in an inline script of the page head
//     (NetBox 3.3.10 / 3.4.0 and later, whose csrftoken cookie is HttpOnly);
//   - the csrftoken cookie itself (NetBox 3.x scripts read it at send time,
//     project-static/src/util.ts getCsrfToken; CSRF_COOKIE_HTTPONLY is off);
//   - a csrfmiddlewaretoken input of a form, which on NetBox 3.x sits after
//     a navigation menu of 120 KB or more.
//
// Django accepts any of them as X-CSRFToken: a form or page token is the
// cookie's secret masked, and the cookie value itself is accepted as is.

// csrfScanMaxToken bounds the tokenizer's buffer: the longest single token
// (a text run, an inline script, a tag) it holds. A page with a longer one
// is read no further.
const csrfScanMaxToken = 256 << 10

// errScanDone tells the page's writer that the scanner has what it needs.
var errScanDone = errors.New("csrf scan done")

// scanCSRFToken reads an HTML page as a stream of tokens and returns the
// first token it gives its scripts: window.CSRF_TOKEN in an inline script
// or a csrfmiddlewaretoken input. With stopAtBody it gives up where the
// body starts (the caller has a token from the cookie): NetBox sets
// window.CSRF_TOKEN in the head. It never holds more than one HTML token.
func scanCSRFToken(r io.Reader, stopAtBody bool) string {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(csrfScanMaxToken)
	inScript := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch atom.Lookup(name) {
			case atom.Script:
				inScript = true
			case atom.Body:
				if stopAtBody {
					return ""
				}
			case atom.Input:
				if tok := inputToken(z, hasAttr); tok != "" {
					return tok
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Script:
				inScript = false
			case atom.Head:
				if stopAtBody {
					return ""
				}
			}
		case html.TextToken:
			if inScript {
				if tok := valueAfter(z.Text(), []byte("window.CSRF_TOKEN"), '='); tok != "" {
					return tok
				}
			}
		}
	}
}

// inputToken is the value of an <input name="csrfmiddlewaretoken">, if it
// looks like a token.
func inputToken(z *html.Tokenizer, hasAttr bool) string {
	var isToken bool
	var value []byte
	for hasAttr {
		var key, val []byte
		key, val, hasAttr = z.TagAttr()
		switch string(key) {
		case "name":
			isToken = string(val) == "csrfmiddlewaretoken"
		case "value":
			value = val
		}
	}
	if !isToken || !isTokenValue(value) {
		return ""
	}
	return string(value)
}

// isTokenValue reports a plausible CSRF token: 1 to 256 characters of
// letters, digits, "-" and "_" (Django's are 32 or 64 alphanumerics).
func isTokenValue(tok []byte) bool {
	if len(tok) == 0 || len(tok) > 256 {
		return false
	}
	for _, c := range tok {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// valueAfter finds marker, then sep, then a quoted value, skipping spaces.
// It answers only values that look like a token.
func valueAfter(text, marker []byte, sep byte) string {
	i := bytes.Index(text, marker)
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(text[i+len(marker):], " \t\r\n")
	if len(rest) == 0 || rest[0] != sep {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	end := bytes.IndexByte(rest[1:], rest[0])
	if end < 0 || !isTokenValue(rest[1:1+end]) {
		return ""
	}
	return string(rest[1 : 1+end])
}

// csrfCookieToken is the CSRF cookie a response sets (its last Set-Cookie
// line for the name, as the browser keeps the last). set reports whether
// the response sets or deletes the cookie at all; token is "" for a
// deletion or a value that is not a token.
func csrfCookieToken(setCookie []string, name string) (token string, set bool) {
	prefix := name + "="
	var last string
	for _, line := range setCookie {
		if strings.HasPrefix(line, prefix) {
			last = line
		}
	}
	if last == "" {
		return "", false
	}
	c, err := http.ParseSetCookie(last)
	if err != nil || c.MaxAge < 0 || !isTokenValue([]byte(c.Value)) {
		return "", true
	}
	return c.Value, true
}

// requestCSRFCookie is the CSRF cookie the browser sent. With several of
// that name (cookies of different paths) Django reads the last one, so
// this does too.
func requestCSRFCookie(r *http.Request, name string) string {
	var token string
	for _, c := range r.CookiesNamed(name) {
		token = c.Value
	}
	if !isTokenValue([]byte(token)) {
		return ""
	}
	return token
}
