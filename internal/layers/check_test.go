package layers

import (
	"strings"
	"testing"
)

// TestCheckRejectsForbiddenImports feeds check made-up packages: each
// forbidden import must be reported, each allowed one must not.
func TestCheckRejectsForbiddenImports(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	tests := []struct {
		name string
		pkg  pkg
		want string // "" for no problem
	}{
		{"module uses its feature", pkg{ImportPath: m("caddymodule/guard"), Imports: []string{m("sessionguard"), "github.com/caddyserver/caddy/v2"}}, ""},
		{"feature uses the engine", pkg{ImportPath: m("fabricsync"), Imports: []string{m("k8ssync"), m("netboxhttp")}}, ""},
		{"engine root uses its subpackage", pkg{ImportPath: m("k8ssync"), Imports: []string{m("k8ssync/diff")}}, ""},
		{"test uses a test server", pkg{ImportPath: m("oidcsession"), TestImports: []string{m("testenv/oidcop")}}, ""},
		{"module test chains another module", pkg{ImportPath: m("caddymodule/oidc"), XTestImports: []string{m("caddymodule/guard")}}, ""},
		{"e2e uses shared kinds", pkg{ImportPath: m("e2e"), TestImports: []string{m("k8ssync/kinds"), m("testenv/kube"), m("internal/testca")}}, ""},
		{"session store on Caddy storage", pkg{ImportPath: m("oidcstore"), Deps: []string{"github.com/caddyserver/certmagic"}}, ""},

		{"engine imports Caddy indirectly", pkg{ImportPath: m("k8ssync/kube"), Deps: []string{"k8s.io/client-go/rest", "github.com/caddyserver/caddy/v2"}},
			"k8ssync/kube depends on github.com/caddyserver/caddy/v2"},
		{"binary imports the registrations", pkg{ImportPath: m("cmd/hhgate"), Imports: []string{module}}, ""},
		{"engine uses certmagic", pkg{ImportPath: m("k8ssync"), Deps: []string{"github.com/caddyserver/certmagic"}}, "k8ssync depends on github.com/caddyserver/certmagic"},
		{"store imports caddy/v2", pkg{ImportPath: m("oidcstore"), Deps: []string{"github.com/caddyserver/caddy/v2"}}, "oidcstore depends on github.com/caddyserver/caddy/v2"},
		{"feature imports a module", pkg{ImportPath: m("sessionguard"), Imports: []string{m("caddymodule/guard")}}, "sessionguard imports caddymodule/guard: feature packages import nothing above them"},
		{"feature imports another feature", pkg{ImportPath: m("oidcsession"), Imports: []string{m("fabricsync")}}, "both are feature packages"},
		{"engine imports a feature", pkg{ImportPath: m("k8ssync"), Imports: []string{m("fabricsync")}}, "engine packages import nothing above them"},
		{"subpackage imports its root", pkg{ImportPath: m("k8ssync/diff"), Imports: []string{m("k8ssync")}}, "never imports its component's root"},
		{"engines of two components", pkg{ImportPath: m("oidcstore"), Imports: []string{m("k8ssync/netbox")}}, "both are engine packages"},
		{"module imports a module", pkg{ImportPath: m("caddymodule/oidc"), Imports: []string{m("caddymodule/guard")}}, "both are caddy module packages"},
		{"production imports testenv", pkg{ImportPath: m("caddymodule/oidc"), Imports: []string{m("testenv/oidcop")}}, "never imports test support"},
		{"production imports a fake", pkg{ImportPath: m("k8ssync"), Imports: []string{m("k8ssync/internal/fakekube")}}, "never imports test support"},
		{"a test imports e2e", pkg{ImportPath: m("sessionguard"), TestImports: []string{m("e2e/browser")}}, "e2e/ is imported by nothing outside it"},
		{"testenv imports bench", pkg{ImportPath: m("testenv"), Imports: []string{m("bench/loadcompare")}}, "bench/ is imported by nothing outside it"},
		{"testenv imports a feature", pkg{ImportPath: m("testenv"), Imports: []string{m("sessionguard")}}, "reaches only shared packages"},
		{"e2e imports a feature", pkg{ImportPath: m("e2e"), TestImports: []string{m("oidcsession")}}, "reaches only shared packages"},
		{"testca imports something", pkg{ImportPath: m("internal/testca"), Imports: []string{m("netboxhttp")}}, "imports no production package"},
		{"tool imports ours", pkg{ImportPath: m("cmd/xcaddy-recipe"), Imports: []string{m("netboxhttp")}}, "a tool imports nothing of the module"},
		{"a package off the map", pkg{ImportPath: m("newpkg")}, "newpkg is not on the package map"},
		{"import of a package off the map", pkg{ImportPath: m("sessionguard"), Imports: []string{m("newpkg")}}, "not on the package map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, _ := check([]pkg{tt.pkg})
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("problems %q, want none", problems)
			case tt.want != "" && (len(problems) != 1 || !strings.Contains(problems[0], tt.want)):
				t.Errorf("problems %q, want one containing %q", problems, tt.want)
			}
		})
	}
}

// TestCheckCountsKnownViolations: a known violation is not reported but is
// returned as met, so that a fixed one can be noticed and deleted.
func TestCheckCountsKnownViolations(t *testing.T) {
	saved := knownViolations
	t.Cleanup(func() { knownViolations = saved })
	knownViolations = map[edge]string{{"oidcsession", "sessionguard"}: "an example"}
	problems, used := check([]pkg{{ImportPath: module + "/oidcsession", Imports: []string{module + "/sessionguard"}}})
	if len(problems) != 0 || !used[edge{"oidcsession", "sessionguard"}] || len(used) != 1 {
		t.Errorf("problems %q, used %v; want none and oidcsession → sessionguard", problems, used)
	}
}
