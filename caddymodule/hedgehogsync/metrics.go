package hedgehogsync

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hhgate/hhgate/caddymodule/internal/metrics"
	"github.com/hhgate/hhgate/k8ssync"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// syncMetrics are the sync's collectors in Caddy's registry. They are
// process-wide (metrics.CounterVec & co.), so one value serves every
// config; the runtime that outlives reloads calls it.
type syncMetrics struct {
	runs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	objects     *prometheus.CounterVec
	inProgress  *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
	requests    *prometheus.CounterVec
	retries     *prometheus.CounterVec
	ctrl        controllerMetrics
	pruneHeld   *prometheus.CounterVec
	switches    *prometheus.GaugeVec
	compared    *prometheus.CounterVec
}

func registerSyncMetrics(reg prometheus.Registerer) (*syncMetrics, error) {
	var m syncMetrics
	var errs [10]error
	m.runs, errs[0] = metrics.CounterVec(reg, prometheus.CounterOpts{Namespace: "hhgate", Subsystem: "sync", Name: "runs_total",
		Help: "Fabric syncs this gateway ran, by what started them and their result code (ok on success)."}, "trigger", "code")
	m.duration, errs[1] = metrics.HistogramVec(reg, prometheus.HistogramOpts{Namespace: "hhgate", Subsystem: "sync", Name: "duration_seconds",
		Help: "Duration of the fabric syncs this gateway ran.", Buckets: []float64{0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300}})
	m.objects, errs[2] = metrics.CounterVec(reg, prometheus.CounterOpts{Namespace: "hhgate", Subsystem: "sync", Name: "objects_total",
		Help: "Objects the syncs wrote or left alone, by CRD kind and operation (created, updated, deleted, unchanged, failed)."}, "kind", "operation")
	m.inProgress, errs[3] = metrics.GaugeVec(reg, prometheus.GaugeOpts{Namespace: "hhgate", Subsystem: "sync", Name: "in_progress",
		Help: "Fabric syncs running in this gateway."})
	m.lastSuccess, errs[4] = metrics.GaugeVec(reg, prometheus.GaugeOpts{Namespace: "hhgate", Subsystem: "sync", Name: "last_success_timestamp_seconds",
		Help: "Unix time of the last successful sync of each fabric run by this gateway."}, "fabric")
	m.requests, errs[5] = metrics.CounterVec(reg, prometheus.CounterOpts{Namespace: "hhgate", Subsystem: "netbox", Name: "requests_total",
		Help: "Requests the sync sent to NetBox's API, by method and status code (0 when no answer arrived)."}, "method", "code")
	m.retries, errs[6] = metrics.CounterVec(reg, prometheus.CounterOpts{Namespace: "hhgate", Subsystem: "netbox", Name: "retries_total",
		Help: "Requests to NetBox sent again (or re-read, for a create whose answer was lost), by method."}, "method")
	m.pruneHeld, errs[7] = metrics.CounterVec(reg, prometheus.CounterOpts{Namespace: "hhgate", Subsystem: "sync", Name: "prune_held_total",
		Help: "Times a sync held back a kind's deletions because they were more than max_prune of its objects, by CRD kind."}, "kind")
	m.switches, errs[8] = metrics.GaugeVec(reg, prometheus.GaugeOpts{Namespace: "hhgate", Subsystem: "fabric", Name: "switches",
		Help: "Switches of each fabric by state (ready, stale, total) from their Agents, as of the fabric's last sync run by this gateway; absent while unknown."}, "fabric", "state")
	m.compared, errs[9] = metrics.CounterVec(reg, prometheus.CounterOpts{Namespace: "hhgate", Subsystem: "sync", Name: "kinds_checked_total",
		Help: "Kinds the syncs checked, by how: marks (counted unchanged from their change marks, objects not read) or full (every object read and compared)."}, "how")
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := m.ctrl.register(reg); err != nil {
		return nil, err
	}
	return &m, nil
}

// SyncStarted implements fabricsync.Observer.
func (m *syncMetrics) SyncStarted() { m.inProgress.WithLabelValues().Inc() }

// SyncFinished implements fabricsync.Observer.
func (m *syncMetrics) SyncFinished(trigger string, res k8ssync.Result, took time.Duration) {
	m.inProgress.WithLabelValues().Dec()
	code := res.Code
	if res.Success {
		code = "ok"
		m.lastSuccess.WithLabelValues(strconv.Itoa(res.FabricID)).Set(float64(time.Now().Unix()))
	}
	m.runs.WithLabelValues(trigger, code).Inc()
	m.duration.WithLabelValues().Observe(took.Seconds())
	m.recordSwitches(res)
	for kind, ks := range res.Stats.Kinds {
		if ks.PruneHeld != nil {
			m.pruneHeld.WithLabelValues(kind).Inc()
		}
		how := "full"
		if ks.ByChangeMarks {
			how = "marks"
		}
		m.compared.WithLabelValues(how).Inc()
		for _, c := range []struct {
			op string
			n  int
		}{{"created", ks.Created}, {"updated", ks.Updated}, {"deleted", ks.Deleted}, {"unchanged", ks.Unchanged}, {"failed", ks.Errors}} {
			if c.n > 0 {
				m.objects.WithLabelValues(kind, c.op).Add(float64(c.n))
			}
		}
	}
}

// recordSwitches sets the fabric's switch gauges, or removes them when the
// sync could not tell (no Agent CRD, forbidden, cluster unreachable).
func (m *syncMetrics) recordSwitches(res k8ssync.Result) {
	fabric := strconv.Itoa(res.FabricID)
	s := res.Stats
	if s.SwitchesReady == nil || s.SwitchesTotal == nil || s.SwitchesStale == nil {
		m.switches.DeletePartialMatch(prometheus.Labels{"fabric": fabric})
		return
	}
	m.switches.WithLabelValues(fabric, "ready").Set(float64(*s.SwitchesReady))
	m.switches.WithLabelValues(fabric, "stale").Set(float64(*s.SwitchesStale))
	m.switches.WithLabelValues(fabric, "total").Set(float64(*s.SwitchesTotal))
}

// netboxObserver counts the engine's NetBox requests.
func (m *syncMetrics) netboxObserver() netbox.Observer {
	return netbox.Observer{
		Request: func(method string, status int) { m.requests.WithLabelValues(method, strconv.Itoa(status)).Inc() },
		Retry:   func(method string) { m.retries.WithLabelValues(method).Inc() },
	}
}
