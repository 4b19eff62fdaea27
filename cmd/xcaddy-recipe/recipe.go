package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Recipe is xcaddy.json: what operators who compose their own Caddy build
// with xcaddy need, pinned. xcaddy itself reads no file; this tool turns the
// recipe into its command line.
type Recipe struct {
	// CaddyVersion is the Caddy release to build, equal to go.mod's.
	CaddyVersion string `json:"caddy_version"`
	// Output is the binary to write.
	Output string `json:"output"`
	// Plugins are the modules to build in: this module first, then any extra
	// Caddy plugins ("github.com/caddy-dns/cloudflare@v0.2.1").
	Plugins []Plugin `json:"plugins"`
}

// Plugin is one --with argument.
type Plugin struct {
	// Module is the Go module path.
	Module string `json:"module"`
	// Version pins the module ("v0.2.1"); empty with Replace.
	Version string `json:"version,omitempty"`
	// Replace builds the module from a local directory instead.
	Replace string `json:"replace,omitempty"`
}

var caddyVersionPattern = regexp.MustCompile(`^v2\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)

// LoadRecipe reads and checks a recipe file; errors name the field.
func LoadRecipe(path string) (Recipe, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Recipe{}, err
	}
	var r Recipe
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Recipe{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := r.Check(); err != nil {
		return Recipe{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Check validates the recipe.
func (r Recipe) Check() error {
	if !caddyVersionPattern.MatchString(r.CaddyVersion) {
		return fmt.Errorf("caddy_version: %q is not a Caddy v2 release tag", r.CaddyVersion)
	}
	if r.Output == "" {
		return errors.New("output: must not be empty")
	}
	if len(r.Plugins) == 0 {
		return errors.New("plugins: must list at least github.com/hhgate/hhgate")
	}
	for i, p := range r.Plugins {
		switch {
		case p.Module == "" || strings.ContainsAny(p.Module, " @="):
			return fmt.Errorf("plugins[%d].module: %q is not a module path", i, p.Module)
		case p.Version != "" && p.Replace != "":
			return fmt.Errorf("plugins[%d]: set version or replace, not both", i)
		case p.Version != "" && !strings.HasPrefix(p.Version, "v"):
			return fmt.Errorf("plugins[%d].version: %q must start with v", i, p.Version)
		}
	}
	return nil
}

// Args is the xcaddy command line for the recipe (without "xcaddy").
func (r Recipe) Args() []string {
	args := []string{"build", r.CaddyVersion, "--output", r.Output}
	for _, p := range r.Plugins {
		with := p.Module
		switch {
		case p.Replace != "":
			with += "=" + p.Replace
		case p.Version != "":
			with += "@" + p.Version
		}
		args = append(args, "--with", with)
	}
	return args
}

var goModCaddy = regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/caddyserver/caddy/v2\s+(v\S+)`)

// GoModCaddyVersion returns the Caddy version go.mod requires.
func GoModCaddyVersion(goMod []byte) (string, error) {
	m := goModCaddy.FindSubmatch(goMod)
	if m == nil {
		return "", errors.New("go.mod does not require github.com/caddyserver/caddy/v2")
	}
	return string(m[1]), nil
}

// HasLocalPlugin reports whether a plugin is built from a local directory.
func (r Recipe) HasLocalPlugin() bool {
	for _, p := range r.Plugins {
		if p.Replace != "" {
			return true
		}
	}
	return false
}

// LocalFallbackProxy is the GOPROXY for building a locally replaced module
// that no proxy serves: xcaddy runs `go get <module>`, and the module proxy
// answers 403 for a path it does not know, which ends the build when the
// list is separated by ",". With "|" every proxy error falls through to
// "off", where the go command takes the local replacement instead.
func LocalFallbackProxy(goproxy string) string {
	if goproxy == "" {
		goproxy = "https://proxy.golang.org,direct"
	}
	var kept []string
	for _, p := range strings.FieldsFunc(goproxy, func(r rune) bool { return r == ',' || r == '|' }) {
		if p != "off" && p != "direct" {
			kept = append(kept, p)
		}
	}
	return strings.Join(append(kept, "off"), "|")
}
