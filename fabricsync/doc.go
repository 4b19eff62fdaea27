// Package fabricsync serves the Hedgehog plugin's "Sync" and "Test
// Connection" URLs in the gateway: it asks NetBox, as the requesting user,
// whether that user may change the fabric, then runs the sync engine
// (k8ssync) with the gateway's service token and answers the plugin's JSON.
//
// It never re-implements NetBox's permission rules: authorization is a real
// write NetBox checks with the user's own credentials (session cookie and
// CSRF token, identity headers set by netbox_oidc, or an API token).
// It is plain net/http; caddymodule/hedgehogsync is the Caddy glue.
package fabricsync
