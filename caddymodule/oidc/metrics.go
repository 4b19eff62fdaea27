package oidc

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hhgate/hhgate/oidcsession"
)

// eventCounter counts logins, token refreshes and logouts by result.
type eventCounter struct{ vec *prometheus.CounterVec }

// registerEventCounter registers hhgate_oidc_events_total in Caddy's metrics
// registry, reusing the collector when several modules (sites, or a config
// reload) register it.
func registerEventCounter(reg prometheus.Registerer) (eventCounter, error) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "hhgate",
		Subsystem: "oidc",
		Name:      "events_total",
		Help:      "OIDC logins, token refreshes and logouts, by kind and result.",
	}, []string{"kind", "result"})
	if reg == nil {
		return eventCounter{vec: vec}, nil
	}
	if err := reg.Register(vec); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return eventCounter{}, err
		}
		existing, ok := are.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return eventCounter{}, err
		}
		vec = existing
	}
	return eventCounter{vec: vec}, nil
}

func (c eventCounter) inc(kind oidcsession.EventKind, result string) {
	if c.vec != nil {
		c.vec.WithLabelValues(string(kind), result).Inc()
	}
}
