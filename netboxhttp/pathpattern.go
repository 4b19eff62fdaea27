package netboxhttp

import (
	"fmt"
	"path"
	"strings"
)

// PathPattern matches request paths. A pattern ending in "*" whose other
// characters are literal is a prefix match ("/plugins/hedgehog/*" matches
// everything below it, across slashes); any other pattern uses path.Match,
// where "*" stays within one segment ("/plugins/hedgehog/fabrics/*/sync/").
type PathPattern struct {
	pattern string
	prefix  string
	isGlob  bool
}

// ParsePathPattern checks and compiles a pattern.
func ParsePathPattern(pattern string) (PathPattern, error) {
	if !strings.HasPrefix(pattern, "/") {
		return PathPattern{}, fmt.Errorf("%q must start with /", pattern)
	}
	if strings.ContainsAny(pattern, "?#") || hasControlOrSpace(pattern) {
		return PathPattern{}, fmt.Errorf("%q must be a path without query, fragment or spaces", pattern)
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return PathPattern{}, fmt.Errorf("%q: %w", pattern, err)
	}
	if head, ok := strings.CutSuffix(pattern, "*"); ok && !strings.ContainsAny(head, `*?[\`) {
		return PathPattern{pattern: pattern, prefix: head}, nil
	}
	return PathPattern{pattern: pattern, isGlob: true}, nil
}

// Match reports whether p matches the request path.
func (p *PathPattern) Match(requestPath string) bool {
	if !p.isGlob {
		return strings.HasPrefix(requestPath, p.prefix)
	}
	ok, _ := path.Match(p.pattern, requestPath)
	return ok
}

// String returns the pattern as configured.
func (p PathPattern) String() string { return p.pattern }

// CheckPath accepts an absolute path without query, fragment, backslash,
// spaces or a leading "//": NetBox's LOGIN_URL, an API prefix, a page.
func CheckPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q must start with /", p)
	case strings.HasPrefix(p, "//"):
		return fmt.Errorf("%q must not start with //", p)
	case strings.ContainsAny(p, "?#\\") || hasControlOrSpace(p):
		return fmt.Errorf("%q must be a plain path (no query, fragment, backslash or spaces)", p)
	}
	return nil
}

// CheckBasePath accepts NetBox's BASE_PATH: a path as CheckPath wants it,
// ending in "/" ("/" or "/netbox/").
func CheckBasePath(p string) error {
	if err := CheckPath(p); err != nil {
		return err
	}
	if !strings.HasSuffix(p, "/") {
		return fmt.Errorf("%q must end with /", p)
	}
	return nil
}
