package oidcsession

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// takeSessionCookie returns the session cookie's value and removes the
// gateway's cookies (the session and pending-login cookies) from the Cookie
// headers, so that they never reach NetBox. Other cookies are kept byte for
// byte. found reports a session cookie even when its value is empty. It
// runs on every request: a Cookie line without gateway cookies costs no
// allocation, one with them a single new string.
func takeSessionCookie(h http.Header, name string) (value string, found bool) {
	lines := h["Cookie"]
	emptied := false
	for i, line := range lines {
		if !strings.Contains(line, name) && !strings.Contains(line, pendingCookiePrefix) {
			continue
		}
		var kept strings.Builder
		kept.Grow(len(line))
		for part := range strings.SplitSeq(line, ";") {
			pair := strings.TrimSpace(part)
			if pair == "" {
				continue
			}
			k, v, _ := strings.Cut(pair, "=")
			switch {
			case k == name:
				if !found {
					value, found = strings.Trim(v, `"`), true
				}
			case strings.HasPrefix(k, pendingCookiePrefix):
			default:
				if kept.Len() > 0 {
					kept.WriteString("; ")
				}
				kept.WriteString(pair)
			}
		}
		lines[i] = kept.String()
		emptied = emptied || lines[i] == ""
	}
	if emptied {
		lines = slices.DeleteFunc(lines, func(l string) bool { return l == "" })
		if len(lines) == 0 {
			delete(h, "Cookie")
		} else {
			h["Cookie"] = lines
		}
	}
	return value, found
}

// cookieValue reads a cookie without changing the request.
func cookieValue(r *http.Request, name string) (string, bool) {
	c, err := r.Cookie(name)
	if err != nil {
		return "", false
	}
	return c.Value, true
}

// setCookie writes one of the gateway's cookies: HttpOnly, SameSite=Lax
// (sent on the IdP's top-level redirect back), Secure under TLS. maxAge < 0
// deletes it.
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge time.Duration) {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     path,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   h.cfg.IsTLS(r),
	}
	if maxAge < 0 {
		c.MaxAge = -1
		c.Value = ""
	} else {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}
