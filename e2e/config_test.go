//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hhgate/hhgate/testenv"
)

// TestBadConfigFailsAtStartupNamingTheField: the binary refuses to start on
// a bad netbox_guard option and says which one.
// Real parts: hhgate binary.
func TestBadConfigFailsAtStartupNamingTheField(t *testing.T) {
	bin, err := testenv.GatewayBinary()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ block, want string }{
		{"netbox_guard {\n login_path login/\n}", "login_path"},
		{"netbox_guard {\n ajax_path /ok/* /bad/[\n}", "ajax_path[1]"},
		{"netbox_guard {\n loginpath /login/\n}", "unrecognized netbox_guard option 'loginpath'"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			config := filepath.Join(t.TempDir(), "Caddyfile")
			src := "{\n admin off\n}\nhttp://127.0.0.1:1 {\n route {\n" + tt.block + "\n reverse_proxy 127.0.0.1:1\n }\n}\n"
			if err := os.WriteFile(config, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, "run", "--config", config, "--adapter", "caddyfile").CombinedOutput()
			if err == nil {
				t.Fatalf("hhgate started with a bad config:\n%s", out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Fatalf("error output does not name %q:\n%s", tt.want, out)
			}
		})
	}
}
