package oidc

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hhgate/hhgate/caddymodule/internal/metrics"
	"github.com/hhgate/hhgate/oidcsession"
)

// registerEventCounter registers hhgate_oidc_events_total in Caddy's metrics
// registry (shared by every module instance and kept across reloads) and
// returns what counts an oidcsession event in it.
func registerEventCounter(reg prometheus.Registerer) (func(oidcsession.EventKind, string), error) {
	c, err := metrics.NewCounter(reg, "oidc", "events_total",
		"OIDC logins, token refreshes and logouts, by kind and result.", "kind", "result")
	return func(kind oidcsession.EventKind, result string) { c.Inc(string(kind), result) }, err
}
