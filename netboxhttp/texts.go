package netboxhttp

import "cmp"

// Default texts of the answers people read.
const (
	DefaultMessage            = "Your session has expired. Please sign in again."
	DefaultCSRFMessage        = "Your security token has expired. Please reload the page and try again."
	DefaultUnavailableMessage = "NetBox is not reachable right now. Please try again in a moment."
	DefaultInternalMessage    = "The gateway could not complete this request."
)

// Texts are the sentences of the refusals a user reads; an empty one takes
// its Default*.
type Texts struct {
	// Message: the session has expired (the 401).
	Message string
	// CSRFMessage: NetBox refused the page's CSRF token (the 403).
	CSRFMessage string
	// UnavailableMessage: NetBox cannot be reached (the 502/503/504).
	UnavailableMessage string
}

// withDefaults fills the empty texts.
func (t Texts) withDefaults() Texts {
	return Texts{
		Message:            cmp.Or(t.Message, DefaultMessage),
		CSRFMessage:        cmp.Or(t.CSRFMessage, DefaultCSRFMessage),
		UnavailableMessage: cmp.Or(t.UnavailableMessage, DefaultUnavailableMessage),
	}
}
