package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRecipeCaddyVersionMatchesGoMod keeps xcaddy.json's Caddy version equal
// to the one this module is built and tested with.
func TestRecipeCaddyVersionMatchesGoMod(t *testing.T) {
	r, err := LoadRecipe(filepath.Join("..", "..", "xcaddy.json"))
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := GoModCaddyVersion(goMod)
	if err != nil {
		t.Fatal(err)
	}
	if r.CaddyVersion != want {
		t.Fatalf("xcaddy.json caddy_version %s, go.mod requires %s", r.CaddyVersion, want)
	}
	if r.Plugins[0].Module != "github.com/hhgate/hhgate" {
		t.Errorf("first plugin is %q, want this module", r.Plugins[0].Module)
	}
}

func TestRecipeArgs(t *testing.T) {
	r := Recipe{CaddyVersion: "v2.11.9", Output: "bin/caddy", Plugins: []Plugin{
		{Module: "github.com/hhgate/hhgate", Replace: "."},
		{Module: "github.com/caddy-dns/cloudflare", Version: "v0.2.1"},
		{Module: "github.com/example/latest"},
	}}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	want := []string{"build", "v2.11.9", "--output", "bin/caddy",
		"--with", "github.com/hhgate/hhgate=.",
		"--with", "github.com/caddy-dns/cloudflare@v0.2.1",
		"--with", "github.com/example/latest"}
	if got := r.Args(); !slices.Equal(got, want) {
		t.Fatalf("Args() = %q, want %q", got, want)
	}
}

func TestRecipeCheckNamesTheField(t *testing.T) {
	ok := Recipe{CaddyVersion: "v2.11.9", Output: "x", Plugins: []Plugin{{Module: "github.com/hhgate/hhgate"}}}
	tests := []struct {
		mutate func(*Recipe)
		want   string
	}{
		{func(r *Recipe) { r.CaddyVersion = "2.11.9" }, "caddy_version"},
		{func(r *Recipe) { r.CaddyVersion = "latest" }, "caddy_version"},
		{func(r *Recipe) { r.Output = "" }, "output"},
		{func(r *Recipe) { r.Plugins = nil }, "plugins"},
		{func(r *Recipe) { r.Plugins = []Plugin{{Module: "a b"}} }, "plugins[0].module"},
		{func(r *Recipe) { r.Plugins = []Plugin{{Module: "m", Version: "v1", Replace: "."}} }, "plugins[0]"},
		{func(r *Recipe) { r.Plugins = []Plugin{{Module: "m", Version: "1.0"}} }, "plugins[0].version"},
	}
	for _, tt := range tests {
		r := ok
		r.Plugins = slices.Clone(ok.Plugins)
		tt.mutate(&r)
		err := r.Check()
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Check() = %v, want an error naming %s", err, tt.want)
		}
	}
}

func TestGoModCaddyVersion(t *testing.T) {
	for _, mod := range []string{
		"module x\n\nrequire github.com/caddyserver/caddy/v2 v2.11.9\n",
		"module x\n\nrequire (\n\tgithub.com/caddyserver/caddy/v2 v2.11.9\n\tgo.uber.org/zap v1.28.0\n)\n",
	} {
		if v, err := GoModCaddyVersion([]byte(mod)); err != nil || v != "v2.11.9" {
			t.Errorf("GoModCaddyVersion(%q) = %q, %v", mod, v, err)
		}
	}
	if _, err := GoModCaddyVersion([]byte("module x\n")); err == nil {
		t.Error("missing requirement not reported")
	}
}

func TestLocalFallbackProxy(t *testing.T) {
	for in, want := range map[string]string{
		"https://proxy.golang.org,direct": "https://proxy.golang.org|off",
		"":                                "https://proxy.golang.org|off",
		"https://a.example|https://b.example,off": "https://a.example|https://b.example|off",
		"direct": "off",
	} {
		if got := LocalFallbackProxy(in); got != want {
			t.Errorf("LocalFallbackProxy(%q) = %q, want %q", in, got, want)
		}
	}
}
