package oidcop

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sync"
)

// TokenCalls counts the calls of an OP's token endpoint by grant type, and
// how many of them the OP refused.
type TokenCalls struct {
	mu      sync.Mutex
	byGrant map[string]int
	refused map[string]int
}

// Refreshes is the number of refresh_token grants.
func (c *TokenCalls) Refreshes() int { return c.count("refresh_token", false) }

// Codes is the number of authorization_code grants.
func (c *TokenCalls) Codes() int { return c.count("authorization_code", false) }

// RefusedCodes is the number of authorization_code grants answered with an error.
func (c *TokenCalls) RefusedCodes() int { return c.count("authorization_code", true) }

// RefusedRefreshes is the number of refresh_token grants answered with an error.
func (c *TokenCalls) RefusedRefreshes() int { return c.count("refresh_token", true) }

func (c *TokenCalls) count(grant string, refused bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if refused {
		return c.refused[grant]
	}
	return c.byGrant[grant]
}

// middleware counts the requests to tokenPath, reading the grant type from
// the form without consuming the body the OP still has to read.
func (c *TokenCalls) middleware(tokenPath string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != tokenPath || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		grant := form.Get("grant_type")
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.byGrant == nil {
			c.byGrant, c.refused = map[string]int{}, map[string]int{}
		}
		c.byGrant[grant]++
		if sw.status >= 400 {
			c.refused[grant]++
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
