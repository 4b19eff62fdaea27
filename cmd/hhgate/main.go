// Command hhgate is Caddy with its standard modules plus hhgate's modules
// for running in front of NetBox with the Hedgehog fabric plugin.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/hhgate/hhgate"
)

func main() {
	caddycmd.Main()
}
