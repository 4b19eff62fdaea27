// Package oidcstore keeps the gateway's OIDC sessions: records holding the
// user's identity and tokens, sealed with AES-256-GCM and kept in a
// certmagic.Storage (Caddy's configured storage: the file system, or Redis,
// Consul … when several gateways share sessions), with an in-memory cache so
// that serving a request needs no storage I/O.
//
// Storage keys are derived from the session id by SHA-256: the id itself,
// which is what the browser holds, is never written anywhere.
package oidcstore
