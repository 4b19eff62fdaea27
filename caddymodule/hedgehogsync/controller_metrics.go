package hedgehogsync

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hhgate/hhgate/caddymodule/internal/metrics"
)

// controllerMetrics are the fabric controller's collectors.
type controllerMetrics struct {
	leader      *prometheus.GaugeVec
	watched     *prometheus.GaugeVec
	changes     *prometheus.CounterVec
	unavailable *prometheus.CounterVec
}

func (m *controllerMetrics) register(reg prometheus.Registerer) error {
	var errs [4]error
	m.leader, errs[0] = metrics.GaugeVec(reg, prometheus.GaugeOpts{Namespace: "hhgate", Subsystem: "sync", Name: "controller_leader",
		Help: "1 while this gateway runs the fabric controller (holds the leader lease), else 0."})
	m.watched, errs[1] = metrics.GaugeVec(reg, prometheus.GaugeOpts{Namespace: "hhgate", Subsystem: "sync", Name: "watched_fabrics",
		Help: "Fabrics whose cluster this gateway watches for change-driven syncs."})
	m.changes, errs[2] = metrics.CounterVec(reg, prometheus.CounterOpts{Namespace: "hhgate", Subsystem: "sync", Name: "changes_seen_total",
		Help: "Changes of custom resources the fabric watches reported."})
	m.unavailable, errs[3] = metrics.CounterVec(reg, prometheus.CounterOpts{Namespace: "hhgate", Subsystem: "sync", Name: "watch_unavailable_total",
		Help: "Fabrics whose changes cannot be watched (counted once per fabric and credentials), by reason; they get scheduled syncs only."}, "reason")
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Leader implements fabricsync.ControllerObserver.
func (m *syncMetrics) Leader(on bool) {
	v := 0.0
	if on {
		v = 1
	}
	m.ctrl.leader.WithLabelValues().Set(v)
}

// Watching implements fabricsync.ControllerObserver.
func (m *syncMetrics) Watching(n int) { m.ctrl.watched.WithLabelValues().Set(float64(n)) }

// ChangeSeen implements fabricsync.ControllerObserver.
func (m *syncMetrics) ChangeSeen() { m.ctrl.changes.WithLabelValues().Inc() }

// WatchUnavailable implements fabricsync.ControllerObserver.
func (m *syncMetrics) WatchUnavailable(reason string) {
	m.ctrl.unavailable.WithLabelValues(reason).Inc()
}
