// Package hhgate registers all of hhgate's Caddy modules. Import it (as
// cmd/hhgate does, and as xcaddy's --with github.com/hhgate/hhgate does) to
// get them into a Caddy build.
package hhgate

import (
	_ "github.com/hhgate/hhgate/caddymodule/clientheaders"
	_ "github.com/hhgate/hhgate/caddymodule/guard"
	_ "github.com/hhgate/hhgate/caddymodule/hedgehogsync"
	_ "github.com/hhgate/hhgate/caddymodule/netboxsite"
	_ "github.com/hhgate/hhgate/caddymodule/oidc"
)
