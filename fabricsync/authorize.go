package fabricsync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/hhgate/hhgate/clientheaders"
)

// clientIPKey keys the client address in a request's context.
type clientIPKey struct{}

// WithClientIP returns r carrying the client's address as the server
// determined it (Caddy's client_ip: the connection's peer, or what a
// trusted proxy said). The authorization request tells NetBox only this
// address, never what the client claims in X-Forwarded-For or X-Real-IP.
func WithClientIP(r *http.Request, ip string) *http.Request {
	if ip == "" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), clientIPKey{}, ip))
}

// clientIP is the address WithClientIP stored, else the connection's peer.
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok {
		return ip
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return ip
	}
	return ""
}

// verdict is NetBox's answer to "may this user change this fabric?".
type verdict uint8

const (
	allowed verdict = iota
	notAuthenticated
	csrfRefused
	permissionDenied
	fabricNotFound
	netboxUnavailable
)

// authorization is the outcome of the authorization request.
type authorization struct {
	verdict verdict
	// setCookies are NetBox's Set-Cookie headers (a remote-user re-login
	// rotates the session and CSRF cookies): the browser must get them.
	setCookies []string
	// detail is NetBox's own message, for logs; never shown with secrets.
	detail string
}

// hopByHop are headers that describe one connection, never forwarded.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// authorize PATCHes the fabric with the user's own credentials: NetBox
// answers it only if the user is authenticated, passes CSRF, and has change
// permission on the fabric. body is the change to make (sync_status
// "syncing" for a sync).
func (h *Handler) authorize(ctx context.Context, r *http.Request, fabricID int, body map[string]any) authorization {
	payload, _ := json.Marshal(body)
	return h.askNetBox(ctx, r, http.MethodPatch, fabricID, payload)
}

// authorizeView GETs the fabric with the user's own credentials: NetBox
// answers it only if the user may view it.
func (h *Handler) authorizeView(ctx context.Context, r *http.Request, fabricID int) authorization {
	return h.askNetBox(ctx, r, http.MethodGet, fabricID, nil)
}

// askNetBox sends method to the fabric's API URL as the user and reads
// NetBox's verdict.
func (h *Handler) askNetBox(ctx context.Context, r *http.Request, method string, fabricID int, payload []byte) authorization {
	url := fmt.Sprintf("%s%sapi/plugins/hedgehog/fabrics/%d/", h.netboxURL, h.basePath, fabricID)
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return authorization{verdict: netboxUnavailable, detail: err.Error()}
	}
	req.Header = userHeaders(r)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	// NetBox must see the host the browser used, so that Django's Origin
	// and Referer checks and its absolute URLs work as through the proxy.
	req.Host = r.Host
	res, err := h.client.Do(req)
	if err != nil {
		return authorization{verdict: netboxUnavailable, detail: err.Error()}
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	a := authorization{setCookies: res.Header.Values("Set-Cookie"), detail: drfDetail(answer)}
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		a.verdict = allowed
	case res.StatusCode == http.StatusNotFound:
		a.verdict = fabricNotFound
	case res.StatusCode == http.StatusUnauthorized:
		a.verdict = notAuthenticated
	case res.StatusCode == http.StatusForbidden && strings.HasPrefix(a.detail, "CSRF Failed"):
		a.verdict = csrfRefused
	case res.StatusCode == http.StatusForbidden && a.detail == "Authentication credentials were not provided.":
		a.verdict = notAuthenticated
	case res.StatusCode == http.StatusForbidden:
		a.verdict = permissionDenied
	default:
		a.verdict = netboxUnavailable
		if a.detail == "" {
			a.detail = res.Status
		}
	}
	return a
}

// userHeaders are the request's headers as NetBox should see them on the
// authorization request: the user's cookies, CSRF token, identity headers
// (already set and sanitised by netbox_oidc when it runs) and API token,
// Origin and Referer; not the connection's own headers nor the body's, and
// for the client's address only what the server determined.
func userHeaders(r *http.Request) http.Header {
	h := r.Header.Clone()
	for k := range h {
		if clientheaders.IsForwarding(k) {
			delete(h, k)
		}
	}
	for _, k := range hopByHop {
		h.Del(k)
	}
	for _, k := range []string{"Content-Length", "Content-Type", "Content-Encoding", "Accept-Encoding", "Expect"} {
		h.Del(k)
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	h.Set("X-Forwarded-Proto", proto)
	h.Set("X-Forwarded-Host", r.Host)
	if ip := clientIP(r); ip != "" {
		h.Set("X-Forwarded-For", ip)
		h.Set("X-Real-IP", ip)
	}
	return h
}

// drfDetail returns DRF's {"detail": …} message, or "".
func drfDetail(body []byte) string {
	var d struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &d) != nil {
		return ""
	}
	return d.Detail
}
