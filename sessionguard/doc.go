// Package sessionguard turns NetBox's "go log in" answers to programmatic
// requests (fetch, XHR, htmx, /api/) into a JSON 401/403 the page can handle,
// and leaves navigations alone. With session-aware pages on it also adds the
// page script to NetBox's HTML and answers <base_path>.hhgate/.
//
// What a request is (programmatic or a navigation), NetBox's paths and the
// JSON answers themselves are netboxhttp's; this package decides, per
// upstream answer, whether to replace it.
//
// It is plain net/http: the Caddy module in caddymodule/guard is only
// configuration and glue around Guard.Serve.
package sessionguard
