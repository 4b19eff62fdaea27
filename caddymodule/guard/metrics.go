package guard

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// answerCounter counts the answers the guard wrote, by error code.
type answerCounter struct{ vec *prometheus.CounterVec }

// registerAnswerCounter registers hhgate_guard_answers_total in Caddy's
// metrics registry, reusing the collector when several guards (sites, or a
// config reload) register it.
func registerAnswerCounter(reg prometheus.Registerer) (answerCounter, error) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "hhgate",
		Subsystem: "guard",
		Name:      "answers_total",
		Help:      "Answers the session guard wrote in place of NetBox's, by error code.",
	}, []string{"error"})
	if reg == nil {
		return answerCounter{vec: vec}, nil
	}
	if err := reg.Register(vec); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return answerCounter{}, err
		}
		existing, ok := are.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return answerCounter{}, err
		}
		vec = existing
	}
	return answerCounter{vec: vec}, nil
}

func (c answerCounter) inc(code string) {
	if c.vec != nil {
		c.vec.WithLabelValues(code).Inc()
	}
}
