// Package e2e holds end-to-end tests: the built hhgate binary, started with
// the repository's drop-in Caddyfile, in front of the real-Django NetBox
// stand-in (testenv). Every test says which real parts it starts.
package e2e
