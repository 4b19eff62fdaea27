package dropinenv

import (
	"io/fs"
	"strings"
	"testing"
	"time"
)

// fakeInfo is a FileInfo for a directory (stat in tests).
type fakeInfo struct{ dir bool }

func (f fakeInfo) Name() string       { return "x" }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return 0 }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.dir }
func (f fakeInfo) Sys() any           { return nil }

func fakeStat(path string) (fs.FileInfo, error) {
	switch path {
	case DefaultStaticRoot, "/srv/static":
		return fakeInfo{dir: true}, nil
	case "/etc/passwd":
		return fakeInfo{}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: path, Err: fs.ErrNotExist}
}

func fakeRead(path string) ([]byte, error) {
	switch path {
	case "/run/credentials/hhgate.service/netbox_token":
		return []byte("0123456789abcdef\n"), nil
	case "/run/credentials/hhgate.service/empty":
		return []byte("\n"), nil
	}
	return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
}

func check(env map[string]string) Result { return Check(env, fakeStat, fakeRead) }

func TestCheckDerives(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"defaults", nil, map[string]string{
			"SITE_ADDRESS": "http://:8080", "BIND": "", "TLS": "default", "BASE_PATH": "/",
			"LOGIN_PATH": "/login/", "STATIC": "on", "SESSION_KEY_PREVIOUS": "",
		}},
		{"IP and port is plain HTTP bound there", map[string]string{"HHGATE_LISTEN": "127.0.0.1:8080"},
			map[string]string{"SITE_ADDRESS": "http://:8080", "BIND": "127.0.0.1", "TLS": "default"}},
		{"IPv6", map[string]string{"HHGATE_LISTEN": "[::1]:9000"},
			map[string]string{"SITE_ADDRESS": "http://:9000", "BIND": "::1"}},
		{"bare port", map[string]string{"HHGATE_LISTEN": "8080"}, map[string]string{"SITE_ADDRESS": "http://:8080"}},
		{"port with bind", map[string]string{"HHGATE_LISTEN": ":8080", "HHGATE_BIND": "10.0.0.5"},
			map[string]string{"SITE_ADDRESS": "http://:8080", "BIND": "10.0.0.5"}},
		{"name is HTTPS", map[string]string{"HHGATE_LISTEN": "netbox.example.com"},
			map[string]string{"SITE_ADDRESS": "netbox.example.com", "TLS": "default"}},
		{"name with TLS off", map[string]string{"HHGATE_LISTEN": "netbox.example.com:8080", "HHGATE_TLS": "off"},
			map[string]string{"SITE_ADDRESS": "http://netbox.example.com:8080"}},
		{"IP with internal TLS", map[string]string{"HHGATE_LISTEN": "127.0.0.1:8443", "HHGATE_TLS": "internal"},
			map[string]string{"SITE_ADDRESS": "https://127.0.0.1:8443", "BIND": "127.0.0.1", "TLS": "internal"}},
		{"base path in NetBox's form", map[string]string{"NETBOX_BASE_PATH": "netbox/"},
			map[string]string{"BASE_PATH": "/netbox/", "LOGIN_PATH": "/netbox/login/"}},
		{"login path given", map[string]string{"NETBOX_LOGIN_PATH": "/sso/login/"}, map[string]string{"LOGIN_PATH": "/sso/login/"}},
		{"static off", map[string]string{"NETBOX_STATIC_ROOT": "off"}, map[string]string{"STATIC": "off"}},
		{"previous key from a file", map[string]string{"HHGATE_SESSION_KEY_PREVIOUS_FILE": "/run/credentials/hhgate.service/netbox_token"},
			map[string]string{"SESSION_KEY_PREVIOUS": "{file./run/credentials/hhgate.service/netbox_token}"}},
		{"previous key from the environment", map[string]string{"HHGATE_SESSION_KEY_PREVIOUS": "k"},
			map[string]string{"SESSION_KEY_PREVIOUS": "{env.HHGATE_SESSION_KEY_PREVIOUS}"}},
		{"empty optional values are unset", map[string]string{"HHGATE_SESSION_KEY_PREVIOUS": "", "HHGATE_OIDC_POST_LOGOUT_URL": "", "HHGATE_BIND": ""},
			map[string]string{"SESSION_KEY_PREVIOUS": "", "BIND": ""}},
		{"upstream with scheme", map[string]string{"NETBOX_UPSTREAM": "http://127.0.0.1:8001"}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check(tt.env)
			if err := r.Err(); err != nil {
				t.Fatalf("unexpected problems: %v", err)
			}
			for k, want := range tt.want {
				if got := r.Derived[derivedPrefix+k]; got != want {
					t.Errorf("%s%s = %q, want %q", derivedPrefix, k, got, want)
				}
			}
		})
	}
}

func TestCheckProblemsNameTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HHGATE_LISTEN": "http://:8080"}, "HHGATE_LISTEN: \"http://:8080\": give an address without a scheme"},
		{map[string]string{"HHGATE_LISTEN": "127.0.0.1"}, "HHGATE_LISTEN: \"127.0.0.1\": an IP address needs a port"},
		{map[string]string{"HHGATE_LISTEN": ":99999"}, "HHGATE_LISTEN: \":99999\": port"},
		{map[string]string{"HHGATE_LISTEN": ""}, "HHGATE_LISTEN: set but empty"},
		{map[string]string{"HHGATE_LISTEN": "127.0.0.1:8080", "HHGATE_BIND": "10.0.0.1"}, "HHGATE_BIND: \"10.0.0.1\" conflicts"},
		{map[string]string{"HHGATE_TLS": "yes"}, "HHGATE_TLS: \"yes\" is not one of auto, off, internal"},
		{map[string]string{"HHGATE_TLS": "internal"}, "HHGATE_TLS: internal needs"},
		{map[string]string{"HHGATE_BIND": "localhost"}, "HHGATE_BIND: \"localhost\" is not an IP address"},
		{map[string]string{"HHGATE_ADMIN": "2019"}, "HHGATE_ADMIN: \"2019\": want host:port"},
		{map[string]string{"HHGATE_LOG_LEVEL": "verbose"}, "HHGATE_LOG_LEVEL"},
		{map[string]string{"HHGATE_TRUSTED_PROXIES": "10.0.0.0/33"}, "HHGATE_TRUSTED_PROXIES: \"10.0.0.0/33\""},
		{map[string]string{"HHGATE_INJECT_SCRIPT": "true"}, "HHGATE_INJECT_SCRIPT: \"true\" is not one of on, off"},
		{map[string]string{"NETBOX_UPSTREAM": "8001"}, "NETBOX_UPSTREAM: \"8001\": want host:port"},
		{map[string]string{"NETBOX_UPSTREAM": "ftp://x:1"}, "NETBOX_UPSTREAM: \"ftp://x:1\": scheme"},
		{map[string]string{"NETBOX_UPSTREAM": "http://x:1/netbox/"}, "NETBOX_UPSTREAM: \"http://x:1/netbox/\": give only scheme, host and port"},
		{map[string]string{"NETBOX_LOGIN_PATH": "login/"}, "NETBOX_LOGIN_PATH: \"login/\" must be a path starting with /"},
		{map[string]string{"NETBOX_STATIC_ROOT": "/missing"}, "NETBOX_STATIC_ROOT: \"/missing\": file does not exist"},
		{map[string]string{"NETBOX_STATIC_ROOT": "/etc/passwd"}, "NETBOX_STATIC_ROOT: \"/etc/passwd\" is not a directory"},
		{map[string]string{"NETBOX_STATIC_ROOT": "static"}, "NETBOX_STATIC_ROOT: \"static\" must be an absolute directory"},
		{map[string]string{"HHGATE_SESSION_TTL": "12"}, "HHGATE_SESSION_TTL: \"12\" is not a duration"},
		{map[string]string{"HHGATE_SYNC_TIMEOUT": "-5m"}, "HHGATE_SYNC_TIMEOUT: \"-5m\" must be positive"},
		{map[string]string{"HHGATE_SYNC_PRUNE": "yes"}, "HHGATE_SYNC_PRUNE"},
		{map[string]string{"HHGATE_SYNC_MAX_PRUNE": "150%"}, "HHGATE_SYNC_MAX_PRUNE: \"150%\" is not a whole percentage"},
		{map[string]string{"HHGATE_SYNC_MAX_PRUNE": "50"}, "HHGATE_SYNC_MAX_PRUNE: \"50\" is not a whole percentage"},
		{map[string]string{"HHGATE_SYNC_FULL_COMPARE_EVERY": "never"}, "HHGATE_SYNC_FULL_COMPARE_EVERY: \"never\" is not a positive duration (e.g. 1h) or off"},
		{map[string]string{"HHGATE_OIDC_POST_LOGOUT_URL": "bye"}, "HHGATE_OIDC_POST_LOGOUT_URL: \"bye\" is neither"},
		{map[string]string{"HHGATE_SSO": "on"}, "HHGATE_OIDC_ISSUER: required with HHGATE_SSO=on"},
		{map[string]string{"HHGATE_SSO": "on"}, "HHGATE_SESSION_KEY: required with HHGATE_SSO=on (set HHGATE_SESSION_KEY or HHGATE_SESSION_KEY_FILE)"},
		{map[string]string{"HHGATE_SYNC": "on"}, "HHGATE_NETBOX_TOKEN: required with HHGATE_SYNC=on"},
		{map[string]string{"HHGATE_NETBOX_TOKEN_FILE": "/nope"}, "HHGATE_NETBOX_TOKEN_FILE: \"/nope\": file does not exist"},
		{map[string]string{"HHGATE_NETBOX_TOKEN_FILE": "/run/credentials/hhgate.service/empty"}, "is empty"},
		{map[string]string{"HHGATE_NETBOX_TOKEN": "t", "HHGATE_NETBOX_TOKEN_FILE": "/run/credentials/hhgate.service/netbox_token"}, "HHGATE_NETBOX_TOKEN: set both"},
		{map[string]string{"HHGATE_LISTNE": ":8080"}, "HHGATE_LISTNE: unknown variable; did you mean HHGATE_LISTEN?"},
		{map[string]string{"HHGATE_INJECT_SCRIPTS": "on"}, "did you mean HHGATE_INJECT_SCRIPT?"},
		{map[string]string{"HHGATE_FOO": "1"}, "HHGATE_FOO: unknown variable"},
		{map[string]string{"HHGATE_DERIVED_BIND": "1"}, "HHGATE_DERIVED_BIND: set by hhgate itself"},
		{map[string]string{"HHGATE_DERIVED_NOPE": "1"}, "HHGATE_DERIVED_NOPE: set by hhgate itself"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			err := check(tt.env).Err()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("problems %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestSecretsNeverInProblems: a bad secret setting is reported by name only.
func TestSecretsNeverInProblems(t *testing.T) {
	const secret = "s3cr3t-value-never-printed"
	env := map[string]string{
		"HHGATE_NETBOX_TOKEN": secret, "HHGATE_NETBOX_TOKEN_FILE": "/run/credentials/hhgate.service/netbox_token",
		"HHGATE_SESSION_KEY": secret, "HHGATE_SESSION_KEY_FILE": "/nope", "HHGATE_OIDC_CLIENT_SECRET": " ",
		"HHGATE_SESSION_KEY_PREVIOUS": secret + " ", "HHGATE_SESSION_KEY_PREVIOUS_FILE": "/run/credentials/hhgate.service/netbox_token",
	}
	err := check(env).Err()
	if err == nil {
		t.Fatal("no problems")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "0123456789abcdef") {
		t.Fatalf("a secret is printed: %v", err)
	}
}

// TestCheckAcceptsItsOwnDerivation: `hhgate start` runs `hhgate run` with
// the derived values already in the environment.
func TestCheckAcceptsItsOwnDerivation(t *testing.T) {
	env := map[string]string{"HHGATE_LISTEN": "127.0.0.1:8080"}
	first := check(env)
	for k, v := range first.Derived {
		env[k] = v
	}
	if err := check(env).Err(); err != nil {
		t.Fatalf("the second check refuses the first one's values: %v", err)
	}
}

func TestUnknownNoSuggestionWhenFar(t *testing.T) {
	if got := closest("HHGATE_COMPLETELY_DIFFERENT"); got != "" {
		t.Fatalf("closest = %q, want none", got)
	}
}

func TestConfigFile(t *testing.T) {
	tests := []struct {
		args []string
		want string
		ok   bool
	}{
		{[]string{"run", "--config", "/etc/hhgate/Caddyfile", "--adapter", "caddyfile"}, "/etc/hhgate/Caddyfile", true},
		{[]string{"validate", "--config=/x"}, "/x", true},
		{[]string{"adapt", "-c", "y"}, "y", true},
		{[]string{"run"}, "Caddyfile", true},
		{[]string{"version"}, "", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		got, ok := ConfigFile(tt.args)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ConfigFile(%q) = %q, %v; want %q, %v", tt.args, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseListen(f *testing.F) {
	for _, s := range []string{":8080", "8080", "127.0.0.1:80", "[::1]:1", "a.example.com", "x:y:z", "", "http://a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseListen(s)
		if err != nil {
			return
		}
		if l.isIP && l.port == "" {
			t.Fatalf("%q: IP without port accepted", s)
		}
	})
}
