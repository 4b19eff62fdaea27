package oidcsession

import (
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/oidcstore"
)

// serveLogout is NetBox's logout page and /.hhgate/logout. It ends the
// gateway session, lets NetBox end its own (its answer's cookies are kept,
// its redirect is not: NetBox would send the user to a login page that logs
// them straight back in, NetBox issue #10255), and then sends the browser
// to the IdP's end_session_endpoint (RP-initiated logout) when there is one.
func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request, next Next) error {
	ctx := r.Context()
	id, _ := takeSessionCookie(r.Header, h.cfg.CookieName)
	var idTokenHint string
	if oidcstore.ValidID(id) {
		if rec, err := h.store.Get(ctx, id); err == nil {
			idTokenHint = rec.IDToken
			h.log.Info("signed out", zap.String("user", rec.Identity.User), zap.String("session", oidcstore.Handle(id)))
		}
		if err := h.store.Delete(ctx, id); err != nil {
			h.log.Warn("sign-out: deleting the session", zap.Error(err))
		}
		h.failedRenewal.Delete(id)
	}
	h.endNetBoxSession(w, r, next)
	h.setCookie(w, r, h.cfg.CookieName, "", "/", -1)
	h.event(EventLogout, "success")

	if target := h.endSessionURL(r, idTokenHint); target != "" {
		redirect(w, r, target)
		return nil
	}
	writePage(w, http.StatusOK, page{
		Title:    "Signed out",
		Message:  "You have been signed out of NetBox.",
		Link:     loginURL(h.cfg.BasePath),
		LinkText: "Sign in again",
	})
	return nil
}

// endNetBoxSession sends NetBox a GET of its logout page, without identity
// headers (so NetBox cannot log the user back in on the spot), and keeps the
// Set-Cookie headers of its answer (the deleted session cookie).
func (h *Handler) endNetBoxSession(w http.ResponseWriter, r *http.Request, next Next) {
	out := r.Clone(r.Context())
	out.Method = http.MethodGet
	out.Body = http.NoBody
	out.ContentLength = 0
	out.Header.Del("Content-Type")
	out.URL.Path = h.cfg.LogoutPath
	out.URL.RawPath = ""
	out.URL.RawQuery = ""
	out.RequestURI = out.URL.RequestURI()
	capture := &headerCapture{header: http.Header{}}
	if err := next(capture, out); err != nil {
		h.log.Debug("sign-out: NetBox's logout failed; its session ends with its own timeout", zap.Error(err))
	}
	for _, c := range capture.header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", c)
	}
}

// endSessionURL is the IdP's logout URL, or "" (no end_session_endpoint and
// no post_logout_redirect_url: the gateway shows its own page).
func (h *Handler) endSessionURL(r *http.Request, idTokenHint string) string {
	postLogout := h.cfg.PostLogoutRedirectURL
	if strings.HasPrefix(postLogout, "/") {
		postLogout = h.origin(r) + postLogout
	}
	p := h.idp.Provider() // a logout does not wait for discovery
	if p == nil || p.endSession == "" {
		return postLogout
	}
	u, err := url.Parse(p.endSession)
	if err != nil {
		return postLogout
	}
	q := u.Query()
	q.Set("client_id", h.cfg.ClientID)
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	if postLogout != "" {
		q.Set("post_logout_redirect_uri", postLogout)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// headerCapture takes an upstream answer's headers and drops its body.
type headerCapture struct {
	header http.Header
	status int
}

func (c *headerCapture) Header() http.Header { return c.header }
func (c *headerCapture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}
func (c *headerCapture) Write(p []byte) (int, error) { return len(p), nil }
func (c *headerCapture) Flush()                      {}
