package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// pkg is what `go list -json` tells about one package; paths are relative
// to the module ("" is the module's root package).
type pkg struct {
	ImportPath   string
	Dir          string
	Imports      []string // the package's own files
	TestImports  []string // its _test.go files in the package
	XTestImports []string // its _test.go files of package x_test
	Deps         []string // everything the package's own files depend on, recursively
}

// edge is one import between two packages of the module.
type edge struct{ from, to string }

// TestPackageMapHolds checks every import of the module against the map in
// map_test.go (docs/architecture.md), for the unit build and for the
// end-to-end build.
func TestPackageMapHolds(t *testing.T) {
	tagSets := []string{"", "e2e"}
	listed := make([][]pkg, len(tagSets))
	errs := make([]error, len(tagSets))
	var wg sync.WaitGroup
	for i, tags := range tagSets {
		wg.Go(func() { listed[i], errs[i] = goList(tags) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	watchSources(t, listed[0])
	seen := map[edge]bool{}
	for i, tags := range tagSets {
		if len(listed[i]) < 20 {
			t.Fatalf("go list -tags=%q found %d packages of %s; want the whole module", tags, len(listed[i]), module)
		}
		problems, used := check(listed[i])
		for _, p := range problems {
			t.Errorf("-tags=%q: %s", tags, p)
		}
		for e := range used {
			seen[e] = true
		}
	}
	for e, why := range knownViolations {
		if !seen[e] {
			t.Errorf("knownViolations: %s no longer imports %s (%s): remove the entry here and in docs/architecture.md", e.from, e.to, why)
		}
	}
}

// goList lists the module's packages, with tags. It needs only the go
// command (the one running the test, found on PATH).
func goList(tags string) ([]pkg, error) {
	args := []string{"list", "-e", "-json=ImportPath,Dir,Imports,TestImports,XTestImports,Deps"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, module+"/...")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading go list's output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
}

// watchSources reads every directory of the module and stats its Go files.
// go test caches a result until a file or directory the test opened or
// stat-ed changes, and it does not see what the go list child read: without
// this, a new forbidden import would pass from the cache.
func watchSources(t *testing.T, pkgs []pkg) {
	t.Helper()
	root := ""
	for _, p := range pkgs {
		if p.ImportPath == module {
			root = p.Dir
		}
	}
	if root == "" {
		t.Fatalf("go list did not list %s itself", module)
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != root && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")):
			return filepath.SkipDir // the go command ignores these too
		case !d.IsDir() && strings.HasSuffix(path, ".go"):
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("reading the module's sources: %v", err)
	}
}

// rel returns path relative to the module and whether it is in the module.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

// placeOf finds path (relative to the module) on the map.
func placeOf(path string) (place, bool) {
	for _, m := range packageMap {
		dir, tree := strings.CutSuffix(m.pattern, "/...")
		if path == dir || tree && strings.HasPrefix(path, dir+"/") {
			return m.place, true
		}
	}
	return place{}, false
}

// check returns every way pkgs break the map, and the known violations it
// met (which it does not report).
func check(pkgs []pkg) (problems []string, used map[edge]bool) {
	used = map[edge]bool{}
	for _, p := range pkgs {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		fp, ok := placeOf(from)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is not on the package map: place it in internal/layers/map_test.go and docs/architecture.md", name(from)))
			continue
		}
		problems = append(problems, caddyProblems(from, fp, p.Deps)...)
		for _, imports := range []struct {
			list []string
			test bool
		}{{p.Imports, false}, {p.TestImports, true}, {p.XTestImports, true}} {
			for _, imp := range imports.list {
				to, ok := rel(imp)
				if !ok || to == from {
					continue
				}
				why := forbidden(from, fp, to, imports.test)
				if why == "" {
					continue
				}
				if _, known := knownViolations[edge{from, to}]; known {
					used[edge{from, to}] = true
					continue
				}
				kind := "imports"
				if imports.test {
					kind = "imports in its tests"
				}
				problems = append(problems, fmt.Sprintf("%s %s %s: %s", name(from), kind, name(to), why))
			}
		}
	}
	slices.Sort(problems)
	return slices.Compact(problems), used
}

// forbidden says why from (at fp) may not import to, or "" if it may.
func forbidden(from string, fp place, to string, test bool) string {
	tp, ok := placeOf(to)
	if !ok {
		return "the imported package is not on the package map"
	}
	switch {
	case tp.layer == testSupport && privateComponents[tp.component] && tp.component != fp.component:
		return tp.component + "/ is imported by nothing outside it"
	case tp.layer == tool:
		return "a tool is a command, not a library"
	case fp.layer == tool:
		return "a tool imports nothing of the module"
	case fp.layer == testSupport:
		return testSupportRule(fp, tp)
	case tp.layer == testSupport:
		if test {
			return "" // tests use the test servers and fakes
		}
		return "production code never imports test support"
	case tp.layer < fp.layer:
		return ""
	case tp.layer == fp.layer && fp.component != "" && tp.component == fp.component:
		if to == fp.component && from != fp.component {
			return "a subpackage never imports its component's root"
		}
		return ""
	case test && tp.layer == caddyModule && fp.layer == caddyModule:
		return "" // a module's tests may run it in a chain with the others
	case tp.layer == fp.layer:
		return fmt.Sprintf("both are %s packages: one does not build or borrow from the other", fp.layer)
	}
	return fmt.Sprintf("%s packages import nothing above them (%s)", fp.layer, tp.layer)
}

// testSupportRule: test support imports test support (but see
// privateComponents) and production packages up to its reach.
func testSupportRule(fp, tp place) string {
	if tp.layer == testSupport || tp.layer <= fp.reach {
		return ""
	}
	if fp.reach == 0 {
		return "it imports no production package"
	}
	return fmt.Sprintf("test support of this kind reaches only %s packages and below, not %s", fp.reach, tp.layer)
}

// caddyProblems checks what from depends on, indirectly too, against its
// caddy use; it names the first offending package only.
func caddyProblems(from string, fp place, deps []string) []string {
	for _, d := range deps {
		switch {
		case fp.caddy == anyCaddy || !strings.HasPrefix(d, "github.com/caddyserver/"):
		case fp.caddy == storageOnly && !strings.HasPrefix(d, "github.com/caddyserver/caddy/"):
		default:
			return []string{fmt.Sprintf("%s depends on %s: %s packages must not depend on Caddy", name(from), d, fp.layer)}
		}
	}
	return nil
}

func name(path string) string {
	if path == "" {
		return module
	}
	return path
}
