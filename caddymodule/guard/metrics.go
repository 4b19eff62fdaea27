package guard

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hhgate/hhgate/caddymodule/internal/metrics"
)

// registerAnswerCounter registers hhgate_guard_answers_total in Caddy's
// metrics registry (shared by every guard and kept across reloads): the
// answers the guard wrote, by error code.
func registerAnswerCounter(reg prometheus.Registerer) (metrics.Counter, error) {
	return metrics.NewCounter(reg, "guard", "answers_total",
		"Answers the session guard wrote in place of NetBox's, by error code.", "error")
}
