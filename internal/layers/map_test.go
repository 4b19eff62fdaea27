package layers

// The package map of docs/architecture.md as data. Change both together.

const module = "github.com/hhgate/hhgate"

// layer orders the production packages: a package imports only packages of
// a lower layer (or of its own component). Requests and syncs run downhill:
// caddyModule → feature → engine → shared.
type layer int

const (
	shared       layer = iota + 1 // leaves every layer may use
	engine                        // the sync engine and the session store
	feature                       // plain net/http request handling
	caddySupport                  // what several Caddy modules share: the netbox app, metrics
	caddyModule                   // Caddy glue: config, Caddyfile, ServeHTTP
	assembly                      // registers the modules (package hhgate)
	binary                        // cmd/hhgate: Caddy with the modules
	tool                          // stand-alone commands, nothing of ours
	testSupport                   // test servers, fakes, end-to-end tests, benchmarks
)

var layerNames = map[layer]string{
	shared: "shared", engine: "engine", feature: "feature", caddySupport: "caddy support", caddyModule: "caddy module",
	assembly: "assembly", binary: "binary", tool: "tool", testSupport: "test support",
}

func (l layer) String() string { return layerNames[l] }

// caddyUse is how much of Caddy a package may depend on, even indirectly.
type caddyUse int

const (
	noCaddy     caddyUse = iota // nothing from github.com/caddyserver
	storageOnly                 // certmagic's Storage (sessions live in Caddy storage) and its deps, never caddy/v2
	anyCaddy
)

// place is where one package sits on the map.
type place struct {
	layer layer
	// component groups packages that may import each other inside one
	// layer: the component's root may import its subpackages, never the
	// other way round. "" means the package stands alone.
	component string
	caddy     caddyUse
	// reach is, for test support, the highest production layer it may
	// import (0: none).
	reach layer
}

// packageMap places every package of the module; the first matching
// pattern wins ("dir/..." matches dir and everything below it). A package
// that matches none fails the test: decide where it belongs first.
var packageMap = []struct {
	pattern string
	place   place
}{
	{"", place{layer: assembly, caddy: anyCaddy}},
	{"cmd/hhgate", place{layer: binary, caddy: anyCaddy}},
	{"cmd/xcaddy-recipe", place{layer: tool}},
	{"dropinenv", place{layer: feature, caddy: anyCaddy}},
	{"caddymodule/netboxsite", place{layer: caddySupport, caddy: anyCaddy}},
	{"caddymodule/internal/metrics", place{layer: caddySupport, caddy: anyCaddy}},
	{"caddymodule/...", place{layer: caddyModule, caddy: anyCaddy}},
	{"sessionguard", place{layer: feature}},
	{"oidcsession", place{layer: feature, caddy: storageOnly}},
	{"fabricsync", place{layer: feature}},
	{"oidcstore", place{layer: engine, caddy: storageOnly}},
	{"k8ssync/internal/...", place{layer: testSupport, component: "k8ssync/internal", reach: shared}},
	{"k8ssync/kinds", place{layer: shared}},
	{"k8ssync/...", place{layer: engine, component: "k8ssync"}},
	{"netboxhttp", place{layer: shared}},
	{"clientheaders", place{layer: shared}},
	{"internal/...", place{layer: testSupport, component: "internal"}},
	{"testenv/...", place{layer: testSupport, component: "testenv", caddy: anyCaddy, reach: shared}},
	{"e2e/...", place{layer: testSupport, component: "e2e", caddy: anyCaddy, reach: shared}},
	{"bench/...", place{layer: testSupport, component: "bench", caddy: anyCaddy, reach: engine}},
}

// privateComponents are test support nothing outside the component
// imports: the end-to-end tests and the benchmarks are not libraries.
var privateComponents = map[string]bool{"e2e": true, "bench": true}

// knownViolations are imports today's code has that the map forbids, each
// with the follow-up that removes it. Code and test imports count alike. An
// entry that no longer occurs fails the test too: delete it.
var knownViolations = map[edge]string{}
