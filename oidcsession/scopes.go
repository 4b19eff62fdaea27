package oidcsession

import "slices"

// scopesFor is what a login asks for: the configured scopes as they are;
// without any, DefaultScopes plus offline_access when the IdP offers it —
// it lists it in its discovery document's scopes_supported, or lists no
// scopes at all (the field is optional). An IdP that does not know
// offline_access answers invalid_scope and nobody could sign in; such IdPs
// (Google's, for one) issue refresh tokens without it or not at all.
func scopesFor(configured, supported []string) []string {
	if len(configured) > 0 {
		return configured
	}
	scopes := append([]string(nil), DefaultScopes...)
	if len(supported) == 0 || slices.Contains(supported, ScopeOfflineAccess) {
		scopes = append(scopes, ScopeOfflineAccess)
	}
	return scopes
}
