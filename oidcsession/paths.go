package oidcsession

// The gateway's own endpoints. They live at the site root, outside NetBox's
// BASE_PATH, under a prefix NetBox never uses.
const (
	// LoginPath starts a login: /.hhgate/oidc/login?rd=<same-origin path>.
	LoginPath = "/.hhgate/oidc/login"
	// CallbackPath is the redirect_uri registered at the IdP.
	CallbackPath = "/.hhgate/oidc/callback"
	// LogoutPath ends the gateway session and the IdP session.
	LogoutPath = "/.hhgate/logout"
	// StatusPath answers who is logged in, as JSON.
	StatusPath = "/.hhgate/session"
)
