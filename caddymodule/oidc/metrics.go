package oidc

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hhgate/hhgate/caddymodule/internal/metrics"
	"github.com/hhgate/hhgate/oidcsession"
)

// eventCounter counts logins, token refreshes and logouts by result.
type eventCounter struct{ vec *prometheus.CounterVec }

// registerEventCounter registers hhgate_oidc_events_total in Caddy's metrics
// registry (shared by every module instance and kept across reloads).
func registerEventCounter(reg prometheus.Registerer) (eventCounter, error) {
	vec, err := metrics.CounterVec(reg, prometheus.CounterOpts{
		Namespace: "hhgate",
		Subsystem: "oidc",
		Name:      "events_total",
		Help:      "OIDC logins, token refreshes and logouts, by kind and result.",
	}, "kind", "result")
	return eventCounter{vec: vec}, err
}

func (c eventCounter) inc(kind oidcsession.EventKind, result string) {
	if c.vec != nil {
		c.vec.WithLabelValues(string(kind), result).Inc()
	}
}
