// Command hhgate is Caddy with its standard modules plus hhgate's modules
// for running in front of NetBox with the Hedgehog fabric plugin.
package main

import (
	"fmt"
	"os"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/hhgate/hhgate"
	"github.com/hhgate/hhgate/dropinenv"
)

func main() {
	// The drop-in Caddyfile's environment is checked before Caddy reads it,
	// so that a bad value is reported with the variable's name.
	if err := dropinenv.Prepare(os.Args[1:], os.Environ(), os.Setenv); err != nil {
		fmt.Fprintf(os.Stderr, "hhgate: bad environment for the drop-in Caddyfile:\n%v\n", err)
		os.Exit(1)
	}
	caddycmd.Main()
}
