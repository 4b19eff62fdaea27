package sessionguard

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ExpiryCookie is the gateway's own cookie recording when NetBox's session
// expires, so that GET /.hhgate/session can answer without asking NetBox and
// without any state in the gateway (several gateways behind one name agree).
// It is HttpOnly: only the gateway reads it.
const ExpiryCookie = "hhgate_nb_expires"

// expiryUnknown is the cookie value for a NetBox session cookie that lives
// until the browser closes: there is a session, its end is not known.
const expiryUnknown = "session"

// sessionExpiry is what one Set-Cookie of NetBox's session cookie says.
type sessionExpiry struct {
	deleted bool      // the session cookie is being removed (logout, flush)
	at      time.Time // when the session ends; zero: when the browser closes
	maxAge  int       // seconds, for our cookie's Max-Age; 0 with a zero at
	secure  bool
}

// parseSessionSetCookie reads a Set-Cookie line of the session cookie.
// Max-Age wins over Expires (RFC 6265 §5.3). ok is false for a line that is
// not the session cookie or cannot be parsed.
func parseSessionSetCookie(line, name string, now time.Time) (sessionExpiry, bool) {
	c, err := http.ParseSetCookie(line)
	if err != nil || c.Name != name {
		return sessionExpiry{}, false
	}
	e := sessionExpiry{secure: c.Secure}
	switch {
	case c.Value == "" || c.MaxAge < 0:
		e.deleted = true // Django's delete_cookie: empty value, Max-Age=0
	case c.MaxAge > 0:
		e.at, e.maxAge = now.Add(time.Duration(c.MaxAge)*time.Second), c.MaxAge
	case !c.Expires.IsZero():
		if !c.Expires.After(now) {
			e.deleted = true
		} else {
			e.at = c.Expires
			e.maxAge = int(c.Expires.Sub(now).Round(time.Second) / time.Second)
		}
	}
	return e, true
}

// trackSessionCookie looks at the Set-Cookie headers of an answer about to
// be sent and, when NetBox sets or deletes its session cookie, adds the
// matching Set-Cookie of ExpiryCookie. It costs a prefix comparison per
// Set-Cookie line otherwise.
func (p *pages) trackSessionCookie(h http.Header, r *http.Request) {
	lines := h["Set-Cookie"]
	var last string
	for _, line := range lines {
		if strings.HasPrefix(line, p.sessionCookiePrefix) {
			last = line // the browser keeps the last one
		}
	}
	if last == "" {
		return
	}
	e, ok := parseSessionSetCookie(last, p.sessionCookie, p.now())
	if !ok {
		return
	}
	h["Set-Cookie"] = append(lines, p.expiryCookieLine(e, r))
}

// expiryCookieLine is the Set-Cookie line of ExpiryCookie for e: the expiry
// in Unix milliseconds (milliseconds, so that a renewal a moment later is
// seen as one), with the same lifetime as the session cookie.
func (p *pages) expiryCookieLine(e sessionExpiry, r *http.Request) string {
	var b strings.Builder
	b.WriteString(ExpiryCookie)
	b.WriteByte('=')
	switch {
	case e.deleted:
		b.WriteString("; Max-Age=0")
	case e.at.IsZero():
		b.WriteString(expiryUnknown)
	default:
		b.WriteString(strconv.FormatInt(e.at.UnixMilli(), 10))
		b.WriteString("; Max-Age=")
		b.WriteString(strconv.Itoa(e.maxAge))
	}
	b.WriteString("; Path=")
	b.WriteString(p.cookiePath)
	b.WriteString("; HttpOnly; SameSite=Lax")
	if e.secure || r.TLS != nil {
		b.WriteString("; Secure")
	}
	return b.String()
}

// sessionState is what the gateway knows of the NetBox session of a
// request, from its cookies alone.
type sessionState struct {
	authenticated bool
	expiresAt     time.Time // zero: unknown
}

// sessionOf reads the request's cookies. The expiry cookie mirrors the
// session cookie's lifetime, so it answers even where the browser does not
// send the session cookie (its Path is NetBox's BASE_PATH); a session cookie
// without an expiry cookie (a login from before the gateway recorded it)
// counts as a session of unknown length.
func (p *pages) sessionOf(r *http.Request) sessionState {
	now := p.now()
	if c, err := r.Cookie(ExpiryCookie); err == nil && c.Value != "" {
		if c.Value == expiryUnknown {
			return sessionState{authenticated: true}
		}
		if ms, err := strconv.ParseInt(c.Value, 10, 64); err == nil {
			at := time.UnixMilli(ms)
			return sessionState{authenticated: at.After(now), expiresAt: at}
		}
	}
	if _, err := r.Cookie(p.sessionCookie); err == nil {
		return sessionState{authenticated: true}
	}
	return sessionState{}
}
