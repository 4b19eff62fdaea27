// Package oidcop runs OpenID Connect providers in-process for tests:
//
//   - Zitadel: zitadel/oidc's example OP with its real HTML login form,
//     strict refresh-token rotation, revocation and end_session, wrapped so
//     that token lifetimes are configurable and follow a Clock the test
//     moves, and with a counter of token-endpoint calls.
//   - Mock: oauth2-proxy/mockoidc (no login page, no rotation) on the same
//     Clock, for groups claims and expiry edge cases.
//
// FollowLogin drives either through its login as a browser would.
package oidcop
