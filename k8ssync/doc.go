// Package k8ssync copies a Hedgehog fabric's custom resources from its
// Kubernetes API server into NetBox's Hedgehog plugin, truthfully.
//
// One Sync reads the fabric record from NetBox with the gateway's service
// token, reads what NetBox holds for the fabric into one index per kind
// (package netbox: the compared fields only; package diff: key, id and a
// digest per object), streams the twelve Hedgehog kinds in the fabric's
// namespace page by page (package kube), compares each page with its
// kind's index as it arrives, writes creates and updates in bulk as
// batches fill (send, the one place where writes go out), decides each
// kind's deletes once every list is complete (deletes), and then records
// the outcome on the fabric. Memory holds a page and a few batches, never
// a fabric's objects.
//
// What it does differently from the plugin's own sync, on purpose:
//   - the final status write always happens (panic, timeout, cancelled
//     caller), so a fabric is never left "syncing";
//   - a kind that cannot be listed (RBAC, 5xx) is reported and skipped, the
//     other kinds are synced;
//   - last_sync is written only after a fully successful sync, and
//     sync_error keeps the first real errors;
//   - objects whose custom resource is gone are deleted, but only for kinds
//     listed completely (never after a failed or 404 list);
//   - TLS is verified against the fabric's CA or the system roots; only the
//     gateway's explicit option turns verification off;
//   - unchanged objects are not written at all.
//
// Pruning is deliberately narrow. A kind is pruned only when its list was
// complete: never after a 403/5xx/timeout, and never after a 404 either (a
// CRD that is briefly missing during an upgrade must not wipe its objects
// from NetBox). If the cluster became unreachable during the listing, no
// kind is pruned in that sync, even those listed before it went away.
//
// NetBox validates every object it is sent, and the plugin's spec field is
// a JSONField without blank=True, so an empty spec (every SwitchGroup) is
// refused with "spec: This field cannot be blank.". Such objects are
// reported one by one and everything else is imported; they are simply
// created again by the next sync, so they appear by themselves once the
// plugin declares spec = models.JSONField(blank=True) (plus its migration).
//
// The package imports no Caddy code; the HTTP handler that serves the
// plugin's "sync" and "test-connection" URLs lives elsewhere and turns a
// Result into the plugin's JSON answer.
package k8ssync
