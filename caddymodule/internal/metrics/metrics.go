// Package metrics registers hhgate's collectors in Caddy's metrics
// registry. Caddy builds a new registry for every configuration it loads;
// the collectors here are process-wide, one per name, and registered into
// each new registry, so that counts survive config reloads and several
// module instances (sites) share them.
package metrics

import (
	"errors"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	mu         sync.Mutex
	collectors = map[string]prometheus.Collector{}
)

// CounterVec returns the process-wide counter named by opts, registered in reg.
func CounterVec(reg prometheus.Registerer, opts prometheus.CounterOpts, labels ...string) (*prometheus.CounterVec, error) {
	name := prometheus.BuildFQName(opts.Namespace, opts.Subsystem, opts.Name)
	return register(reg, name, func() *prometheus.CounterVec { return prometheus.NewCounterVec(opts, labels) })
}

// GaugeVec returns the process-wide gauge named by opts, registered in reg.
func GaugeVec(reg prometheus.Registerer, opts prometheus.GaugeOpts, labels ...string) (*prometheus.GaugeVec, error) {
	name := prometheus.BuildFQName(opts.Namespace, opts.Subsystem, opts.Name)
	return register(reg, name, func() *prometheus.GaugeVec { return prometheus.NewGaugeVec(opts, labels) })
}

// HistogramVec returns the process-wide histogram named by opts, registered in reg.
func HistogramVec(reg prometheus.Registerer, opts prometheus.HistogramOpts, labels ...string) (*prometheus.HistogramVec, error) {
	name := prometheus.BuildFQName(opts.Namespace, opts.Subsystem, opts.Name)
	return register(reg, name, func() *prometheus.HistogramVec { return prometheus.NewHistogramVec(opts, labels) })
}

func register[C prometheus.Collector](reg prometheus.Registerer, name string, build func() C) (C, error) {
	mu.Lock()
	defer mu.Unlock()
	var zero C
	c, ok := collectors[name].(C)
	if !ok {
		if _, taken := collectors[name]; taken {
			return zero, fmt.Errorf("metric %s is already registered with another type", name)
		}
		c = build()
		collectors[name] = c
	}
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) || are.ExistingCollector != prometheus.Collector(c) {
			return zero, fmt.Errorf("registering metric %s: %w", name, err)
		}
	}
	return c, nil
}

// Counter is a process-wide labelled counter of hhgate's: hhgate_<subsystem>_<name>.
// Its zero value counts nothing, so a module whose registration failed
// still serves.
type Counter struct{ vec *prometheus.CounterVec }

// NewCounter returns the counter hhgate_<subsystem>_<name> with labels,
// registered in reg.
func NewCounter(reg prometheus.Registerer, subsystem, name, help string, labels ...string) (Counter, error) {
	vec, err := CounterVec(reg, prometheus.CounterOpts{Namespace: "hhgate", Subsystem: subsystem, Name: name, Help: help}, labels...)
	return Counter{vec: vec}, err
}

// Inc counts one, with the label values in the order NewCounter named them.
func (c Counter) Inc(labelValues ...string) {
	if c.vec != nil {
		c.vec.WithLabelValues(labelValues...).Inc()
	}
}
