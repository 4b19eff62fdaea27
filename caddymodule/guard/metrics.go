package guard

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hhgate/hhgate/caddymodule/internal/metrics"
)

// answerCounter counts the answers the guard wrote, by error code.
type answerCounter struct{ vec *prometheus.CounterVec }

// registerAnswerCounter registers hhgate_guard_answers_total in Caddy's
// metrics registry (shared by every guard and kept across reloads).
func registerAnswerCounter(reg prometheus.Registerer) (answerCounter, error) {
	vec, err := metrics.CounterVec(reg, prometheus.CounterOpts{
		Namespace: "hhgate",
		Subsystem: "guard",
		Name:      "answers_total",
		Help:      "Answers the session guard wrote in place of NetBox's, by error code.",
	}, "error")
	return answerCounter{vec: vec}, err
}

func (c answerCounter) inc(code string) {
	if c.vec != nil {
		c.vec.WithLabelValues(code).Inc()
	}
}
