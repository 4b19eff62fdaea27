package netboxsite

import (
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func serverType() caddyfile.ServerType { return httpcaddyfile.ServerType{} }

func adapt(t *testing.T, src string) []byte {
	t.Helper()
	out, warnings, err := caddyfile.Adapter{ServerType: serverType()}.Adapt([]byte(src), nil)
	if err != nil {
		t.Fatalf("adapt: %v", err)
	}
	for _, w := range warnings {
		t.Logf("warning: %s", w.String())
	}
	return out
}
