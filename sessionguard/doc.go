// Package sessionguard turns NetBox's "go log in" answers to programmatic
// requests (fetch, XHR, htmx, /api/) into a JSON 401/403 the page can handle,
// and leaves navigations alone.
//
// It is plain net/http: the Caddy module in caddymodule/guard is only
// configuration and glue around Guard.Serve.
package sessionguard
