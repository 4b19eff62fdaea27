// Package fabricsync serves the Hedgehog plugin's "Sync" and "Test
// Connection" URLs in the gateway: it asks NetBox, as the requesting user,
// whether that user may change the fabric, then runs the sync engine
// (k8ssync) with the gateway's service token and answers the plugin's JSON.
//
// It never re-implements NetBox's permission rules: authorization is a
// PATCH of the fabric that changes nothing, which NetBox still checks for
// change permission with the user's own credentials (session cookie and
// CSRF token, identity headers set by netbox_oidc, or an API token).
//
// It also serves the gateway's dry run, GET <base>.hhgate/fabrics/<id>/plan:
// NetBox checks view permission (a GET of the fabric as the user), then
// the engine's Plan answers what the next sync would do, writing nothing.
//
// Syncs belong to a Runtime that outlives config reloads (the Caddy module
// keeps it in a caddy.UsagePool): a per-fabric lock in Caddy's storage
// makes one sync per fabric across gateways, the lock holder alone writes
// "syncing" and the final status, and a recovery loop finishes fabrics
// left "syncing" by a gateway that died. See docs/sync.md.
// It is plain net/http; caddymodule/hedgehogsync is the Caddy glue.
package fabricsync
