// Package e2e holds end-to-end tests: the built hhgate binary, started with
// the repository's drop-in Caddyfile, in front of the real-Django NetBox
// stand-in (testenv). Every test says which real parts it starts. The tests
// carry //go:build e2e: `make test`, or go test -tags e2e ./e2e/ with
// HHGATE_BIN (and KUBEBUILDER_ASSETS for the sync tests).
package e2e
