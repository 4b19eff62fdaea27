package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// gathered is the value of the only series of name in reg, and how many
// series it has.
func gathered(t *testing.T, reg *prometheus.Registry, name string) (float64, int) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue(), len(f.GetMetric())
		}
	}
	return 0, 0
}

// TestCountsSurviveANewRegistry: a config reload registers into a fresh
// registry and must see the same counts.
func TestCountsSurviveANewRegistry(t *testing.T) {
	opts := prometheus.CounterOpts{Namespace: "hhgate", Subsystem: "test", Name: "things_total", Help: "Things."}
	first := prometheus.NewPedanticRegistry()
	c, err := CounterVec(first, opts, "kind")
	if err != nil {
		t.Fatal(err)
	}
	c.WithLabelValues("a").Add(3)
	again, err := CounterVec(first, opts, "kind") // a second site, same config
	if err != nil || again != c {
		t.Fatalf("second registration: %v, same collector %v", err, again == c)
	}
	reloaded := prometheus.NewPedanticRegistry()
	c2, err := CounterVec(reloaded, opts, "kind")
	if err != nil {
		t.Fatal(err)
	}
	c2.WithLabelValues("a").Inc()
	if v, n := gathered(t, reloaded, "hhgate_test_things_total"); n != 1 || v != 4 {
		t.Fatalf("new registry: %d series, count %v; want 1 series counting 4", n, v)
	}
	if _, err := GaugeVec(reloaded, prometheus.GaugeOpts{Namespace: "hhgate", Subsystem: "test", Name: "things_total", Help: "x"}); err == nil {
		t.Fatal("same name with another type accepted")
	}
}
