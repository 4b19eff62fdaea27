package dropinenv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// Result is what Check found.
type Result struct {
	// Derived are the HHGATE_DERIVED_* variables the drop-in Caddyfile
	// reads; set them in the environment before Caddy adapts the file.
	Derived map[string]string
	// Problems name the variable, one per bad value, in variable order.
	Problems []error
}

// Err joins the problems, or is nil.
func (r Result) Err() error { return errors.Join(r.Problems...) }

// checker carries what checks may look at besides the value.
type checker struct {
	env  map[string]string
	stat func(string) (fs.FileInfo, error)
	read func(string) ([]byte, error)
}

// Check validates env (the process environment as a map) for the drop-in
// Caddyfile. stat and read may be nil (os.Stat and os.ReadFile).
func Check(env map[string]string, stat func(string) (fs.FileInfo, error), read func(string) ([]byte, error)) Result {
	if stat == nil {
		stat = os.Stat
	}
	if read == nil {
		read = os.ReadFile
	}
	c := &checker{env: env, stat: stat, read: read}
	var r Result
	r.Problems = append(r.Problems, unknownVariables(env)...)
	for _, v := range variables {
		val, set := env[v.name]
		if !set {
			continue
		}
		if err := c.checkOne(v, val); err != nil {
			r.Problems = append(r.Problems, fmt.Errorf("%s: %w", v.name, err))
		}
	}
	r.Problems = append(r.Problems, c.secretSources()...)
	r.Problems = append(r.Problems, c.required()...)
	if len(r.Problems) == 0 {
		derived, err := c.derive()
		if err != nil {
			r.Problems = append(r.Problems, err)
		}
		r.Problems = append(r.Problems, c.derivedOverridden(derived)...)
		r.Derived = derived
	}
	return r
}

func (c *checker) checkOne(v variable, val string) error {
	switch {
	case val == "" && v.def == "":
		return nil // empty is unset for a variable without default
	case val == "":
		// Caddy would use "", not the default.
		return fmt.Errorf("set but empty: unset it for the default%s", defaultNote(v.def))
	case v.file:
		return c.checkSecretFile(val)
	case v.secret:
		if strings.TrimSpace(val) == "" {
			return errors.New("only spaces: unset it, or give the value")
		}
		return nil
	case v.check != nil:
		return v.check(val, c)
	}
	return nil
}

func defaultNote(def string) string {
	if def == "" {
		return ""
	}
	return " (" + def + ")"
}

func (c *checker) checkSecretFile(path string) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("%q must be an absolute path (e.g. /run/credentials/hhgate.service/<name>)", path)
	}
	b, err := c.read(path)
	if err != nil {
		return fmt.Errorf("%q: %v", path, unwrapPathError(err))
	}
	if strings.TrimSpace(string(b)) == "" {
		return fmt.Errorf("%q is empty", path)
	}
	return nil
}

// secretSources: a secret comes from the variable or from its _FILE, not both.
func (c *checker) secretSources() []error {
	var errs []error
	for _, v := range variables {
		if !v.secret {
			continue
		}
		if c.env[v.name] != "" && c.env[v.name+"_FILE"] != "" {
			errs = append(errs, fmt.Errorf("%s: set both %s and %s_FILE; keep one (the file keeps the secret out of the environment)", v.name, v.name, v.name))
		}
	}
	return errs
}

// required: a part switched on needs its settings.
func (c *checker) required() []error {
	var errs []error
	switches := make([]string, 0, len(requiredWhen))
	for s := range requiredWhen {
		switches = append(switches, s)
	}
	sort.Strings(switches)
	for _, sw := range switches {
		if c.env[sw] != "on" {
			continue
		}
		for _, name := range requiredWhen[sw] {
			if c.env[name] != "" || c.env[name+"_FILE"] != "" {
				continue
			}
			v, _ := lookupVariable(name)
			how := name
			if v.secret {
				how = name + " or " + name + "_FILE"
			}
			errs = append(errs, fmt.Errorf("%s: required with %s=on (set %s)", name, sw, how))
		}
	}
	return errs
}

// unwrapPathError drops the path a *fs.PathError repeats.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// derivedOverridden reports HHGATE_DERIVED_* values in the environment that
// differ from what hhgate derives: they are hhgate's, not settings.
func (c *checker) derivedOverridden(derived map[string]string) []error {
	var names []string
	for name := range c.env {
		if strings.HasPrefix(name, derivedPrefix) && c.env[name] != derived[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	errs := make([]error, 0, len(names))
	for _, name := range names {
		errs = append(errs, fmt.Errorf("%s: set by hhgate itself from the other variables; remove it", name))
	}
	return errs
}
