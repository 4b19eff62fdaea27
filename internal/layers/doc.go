// Package layers holds no code, only the test that enforces the package map
// of docs/architecture.md: which layer each package of the module belongs to
// and what it may import. A new package, or a new import that runs up the
// map, fails `go test ./...` until the map and this test agree again.
package layers
