// Package oidcop runs OpenID Connect providers in-process for tests:
//
//   - Zitadel: zitadel/oidc's example OP with its real HTML login form,
//     strict refresh-token rotation, revocation and end_session, wrapped so
//     that token lifetimes are configurable and follow a Clock the test
//     moves, and with a counter of token-endpoint calls.
//     With PostOnlyClients its token endpoint refuses client_secret_basic
//     although discovery lists it.
//   - Mock: oauth2-proxy/mockoidc (no login page, no rotation) on the same
//     Clock, for groups claims and expiry edge cases. It differs from the
//     Zitadel OP where providers differ: offline_access is not in its
//     scopes_supported (asking for it is invalid_scope), and its token
//     endpoint reads the client only from the POST body although discovery
//     lists client_secret_basic first (a Basic header is invalid_request).
//
// FollowLogin drives either through its login as a browser would.
package oidcop
