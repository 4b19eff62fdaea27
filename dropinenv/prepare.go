package dropinenv

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// marker is in the drop-in Caddyfile (and in no other configuration): the
// file reads the derived variables.
const marker = "{$" + derivedPrefix

// configCommands are Caddy's commands that adapt a configuration file.
var configCommands = map[string]bool{"run": true, "start": true, "validate": true, "adapt": true, "reload": true}

// ConfigFile returns the configuration file a Caddy command line names
// (--config/-c, else ./Caddyfile as Caddy itself defaults to), and whether
// the command adapts one.
func ConfigFile(args []string) (string, bool) {
	if len(args) == 0 || !configCommands[args[0]] {
		return "", false
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		for _, flag := range []string{"--config", "-config", "-c"} {
			if a == flag && i+1 < len(args) {
				return args[i+1], true
			}
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				return v, true
			}
		}
	}
	return "Caddyfile", true
}

// IsDropIn reports whether the configuration file is the drop-in
// Caddyfile (it reads the derived variables).
func IsDropIn(src []byte) bool { return bytes.Contains(src, []byte(marker)) }

// Environ turns os.Environ's "KEY=value" list into a map.
func Environ(list []string) map[string]string {
	env := make(map[string]string, len(list))
	for _, kv := range list {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// Prepare checks the environment when the command line adapts the drop-in
// Caddyfile and sets the derived variables with setenv. It returns the
// problems found; other commands and configurations are left alone.
func Prepare(args []string, environ []string, setenv func(k, v string) error) error {
	path, ok := ConfigFile(args)
	if !ok {
		return nil
	}
	src, err := os.ReadFile(filepath.Clean(path))
	if err != nil || !IsDropIn(src) {
		return nil // Caddy reports a missing file itself
	}
	r := Check(Environ(environ), nil, nil)
	if err := r.Err(); err != nil {
		return err
	}
	for k, v := range r.Derived {
		if err := setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}
