// The JSON answer contract. Its shape is the seed report's
// ({"error", "message", "redirect"}), extended so that pages nobody changed
// can show it: the Hedgehog plugin's JavaScript reads data.success /
// data.error / data.message, and NetBox's own apiRequest() shows json.detail.

package netboxhttp

import (
	"encoding/json"
	"net/http"
)

// Machine-readable error codes carried in Body.Error and the
// X-Hhgate-Intercepted header.
const (
	CodeAuthenticationRequired = "authentication_required"
	CodeCSRFFailed             = "csrf_failed"
	CodeUpstreamUnavailable    = "upstream_unavailable"
	CodeUpstreamError          = "upstream_error"
	CodeInternal               = "internal_error"
)

// MarkerHeader marks an answer the gateway wrote in place of the upstream's,
// so that scripts can tell a gateway verdict from a NetBox one.
const MarkerHeader = "X-Hhgate-Intercepted"

// Body is the JSON document of a gateway error answer.
type Body struct {
	// Success is always false; the plugin's JavaScript tests it first.
	Success bool `json:"success"`
	// Error is the machine-readable code (CodeAuthenticationRequired, …).
	Error string `json:"error"`
	// Message is the human text for the user.
	Message string `json:"message"`
	// Detail repeats Message for NetBox's apiRequest(), which shows json.detail.
	Detail string `json:"detail"`
	// Redirect is a same-origin path the page should send the user to
	// (the login page with ?next=, or the page itself to reload).
	Redirect string `json:"redirect,omitempty"`
}

// NewBody returns a Body for code with message as both message and detail.
func NewBody(code, message, redirect string) Body {
	return Body{Error: code, Message: message, Detail: message, Redirect: redirect}
}

// Write sends b with status. Headers the caller set before (for example
// upstream Set-Cookie, or HX-Redirect) are kept; headers that described a
// replaced upstream body must have been removed by the caller.
func Write(w http.ResponseWriter, status int, b Body) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(MarkerHeader, b.Error)
	body, err := json.Marshal(b)
	if err != nil {
		// Marshal of this struct cannot fail; keep the answer JSON regardless.
		body = []byte(`{"success":false,"error":"internal_error"}`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteAuthRequired writes the 401 authentication_required answer: the JSON
// contract with redirect, WWW-Authenticate, and for htmx an HX-Redirect to
// the same place. Every module that refuses a request for want of a login
// answers with it.
func WriteAuthRequired(w http.ResponseWriter, r *http.Request, message, redirect string) {
	h := w.Header()
	h.Set(HeaderWWWAuthenticate, `Session realm="NetBox"`)
	if IsHTMX(r) {
		h.Set(HeaderHXRedirect, redirect)
	}
	Write(w, http.StatusUnauthorized, NewBody(CodeAuthenticationRequired, message, redirect))
}

// WriteCSRFFailed writes the 403 csrf_failed answer: the JSON contract
// redirecting to the page the user is on (to reload it), and for htmx
// HX-Refresh.
func WriteCSRFFailed(w http.ResponseWriter, r *http.Request, message string) {
	if IsHTMX(r) {
		w.Header().Set(HeaderHXRefresh, "true")
	}
	Write(w, http.StatusForbidden, NewBody(CodeCSRFFailed, message, CurrentPage(r)))
}

// WriteJSON writes v as a JSON answer with status, never cached. Should v
// not marshal, the answer is the internal_error Body instead.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		Write(w, http.StatusInternalServerError, NewBody(CodeInternal, DefaultInternalMessage, ""))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
