package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"
	"time"
)

// roundResult is one round of a scenario: one measured wrk run per site.
type roundResult struct {
	Round      int // 1-based
	GuardFirst bool
	Guard      wrkResult
	Plain      wrkResult
}

func (r roundResult) ratio() float64 {
	if r.Plain.RequestsPerSec == 0 {
		return 0
	}
	return r.Guard.RequestsPerSec / r.Plain.RequestsPerSec
}

func (r roundResult) order() string {
	if r.GuardFirst {
		return "guard,plain"
	}
	return "plain,guard"
}

// scenarioResult is every round of one scenario.
type scenarioResult struct {
	Scenario scenario
	Rounds   []roundResult
}

// scenarioSummary is the medians over rounds that the report is about.
type scenarioSummary struct {
	RatioMedian, RatioMin, RatioMax float64
	GuardRPS, PlainRPS              float64
	GuardP50, GuardP99              time.Duration
	PlainP50, PlainP99              time.Duration
}

func summarize(res scenarioResult) scenarioSummary {
	var ratios, guardRPS, plainRPS []float64
	var gp50, gp99, pp50, pp99 []time.Duration
	for _, r := range res.Rounds {
		ratios = append(ratios, r.ratio())
		guardRPS = append(guardRPS, r.Guard.RequestsPerSec)
		plainRPS = append(plainRPS, r.Plain.RequestsPerSec)
		gp50 = append(gp50, r.Guard.P50)
		gp99 = append(gp99, r.Guard.P99)
		pp50 = append(pp50, r.Plain.P50)
		pp99 = append(pp99, r.Plain.P99)
	}
	return scenarioSummary{
		RatioMedian: median(ratios), RatioMin: slices.Min(ratios), RatioMax: slices.Max(ratios),
		GuardRPS: median(guardRPS), PlainRPS: median(plainRPS),
		GuardP50: medianDuration(gp50), GuardP99: medianDuration(gp99),
		PlainP50: medianDuration(pp50), PlainP99: medianDuration(pp99),
	}
}

// median of a non-empty sample; the mean of the middle two for even sizes.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// printScenario writes one scenario's table: a row per round and a row of
// medians, then any request errors wrk saw (they would bias the ratio).
func printScenario(w io.Writer, res scenarioResult) {
	sc := res.Scenario
	fmt.Fprintf(w, "\n== %s: GET %s with %q (%d-byte body)\n", sc.Name, sc.Path, sc.Header, len(sc.Body))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\torder\tguard req/s\tplain req/s\tguard/plain\tguard p50\tguard p99\tplain p50\tplain p99\t")
	for _, r := range res.Rounds {
		fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.0f\t%.3f\t%s\t%s\t%s\t%s\t\n", r.Round, r.order(),
			r.Guard.RequestsPerSec, r.Plain.RequestsPerSec, r.ratio(),
			ms(r.Guard.P50), ms(r.Guard.P99), ms(r.Plain.P50), ms(r.Plain.P99))
	}
	s := summarize(res)
	fmt.Fprintf(tw, "median\t\t%.0f\t%.0f\t%.3f\t%s\t%s\t%s\t%s\t\n", s.GuardRPS, s.PlainRPS, s.RatioMedian,
		ms(s.GuardP50), ms(s.GuardP99), ms(s.PlainP50), ms(s.PlainP99))
	tw.Flush()
	for _, r := range res.Rounds {
		for _, site := range []struct {
			name string
			res  wrkResult
		}{{"guard", r.Guard}, {"plain", r.Plain}} {
			if n := site.res.SocketErrors.total(); n > 0 || site.res.Non2xx3xx > 0 {
				fmt.Fprintf(w, "  warning: round %d %s: %d socket errors %+v, %d non-2xx/3xx responses\n",
					r.Round, site.name, n, site.res.SocketErrors, site.res.Non2xx3xx)
			}
		}
	}
}

// printSummary writes one line per scenario with the ratio's spread.
func printSummary(w io.Writer, results []scenarioResult) {
	width := 0
	for _, res := range results {
		width = max(width, len(res.Scenario.Name))
	}
	fmt.Fprintln(w, "\nsummary")
	for _, res := range results {
		s := summarize(res)
		fmt.Fprintf(w, "  %-*s  ratio(guard/plain) median=%.3f min=%.3f max=%.3f  (req/s guard %.0f, plain %.0f)\n",
			width, res.Scenario.Name, s.RatioMedian, s.RatioMin, s.RatioMax, s.GuardRPS, s.PlainRPS)
	}
}

// The JSON report keeps latencies in milliseconds so that it reads without
// knowing Go's duration encoding.
type (
	jsonReport struct {
		Config    jsonConfig     `json:"config"`
		Scenarios []jsonScenario `json:"scenarios"`
	}
	jsonConfig struct {
		Hhgate      string `json:"hhgate"`
		WrkVersion  string `json:"wrk_version"`
		Rounds      int    `json:"rounds"`
		Duration    string `json:"duration"`
		Warmup      string `json:"warmup"`
		Connections int    `json:"connections"`
		Threads     int    `json:"threads"`
		Started     string `json:"started"`
	}
	jsonScenario struct {
		Name      string      `json:"name"`
		Path      string      `json:"path"`
		Header    string      `json:"header"`
		BodyBytes int         `json:"body_bytes"`
		Rounds    []jsonRound `json:"rounds"`
		Summary   jsonSummary `json:"summary"`
	}
	jsonRound struct {
		Round int     `json:"round"`
		Order string  `json:"order"`
		Guard jsonRun `json:"guard"`
		Plain jsonRun `json:"plain"`
		Ratio float64 `json:"ratio"`
	}
	jsonRun struct {
		RequestsPerSec float64 `json:"requests_per_sec"`
		Requests       int64   `json:"requests"`
		RuntimeMs      float64 `json:"runtime_ms"`
		LatencyAvgMs   float64 `json:"latency_avg_ms"`
		LatencyMaxMs   float64 `json:"latency_max_ms"`
		P50Ms          float64 `json:"p50_ms"`
		P75Ms          float64 `json:"p75_ms"`
		P90Ms          float64 `json:"p90_ms"`
		P99Ms          float64 `json:"p99_ms"`
		SocketErrors   int64   `json:"socket_errors"`
		Non2xx3xx      int64   `json:"non_2xx_3xx"`
	}
	jsonSummary struct {
		RatioMedian    float64 `json:"ratio_median"`
		RatioMin       float64 `json:"ratio_min"`
		RatioMax       float64 `json:"ratio_max"`
		GuardRPSMedian float64 `json:"guard_rps_median"`
		PlainRPSMedian float64 `json:"plain_rps_median"`
		GuardP50Ms     float64 `json:"guard_p50_median_ms"`
		GuardP99Ms     float64 `json:"guard_p99_median_ms"`
		PlainP50Ms     float64 `json:"plain_p50_median_ms"`
		PlainP99Ms     float64 `json:"plain_p99_median_ms"`
	}
)

func msFloat(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func toJSONRun(r wrkResult) jsonRun {
	return jsonRun{
		RequestsPerSec: r.RequestsPerSec, Requests: r.Requests, RuntimeMs: msFloat(r.Runtime),
		LatencyAvgMs: msFloat(r.LatencyAvg), LatencyMaxMs: msFloat(r.LatencyMax),
		P50Ms: msFloat(r.P50), P75Ms: msFloat(r.P75), P90Ms: msFloat(r.P90), P99Ms: msFloat(r.P99),
		SocketErrors: r.SocketErrors.total(), Non2xx3xx: r.Non2xx3xx,
	}
}

func writeJSON(path string, cfg jsonConfig, results []scenarioResult) error {
	rep := jsonReport{Config: cfg}
	for _, res := range results {
		s := summarize(res)
		js := jsonScenario{
			Name: res.Scenario.Name, Path: res.Scenario.Path, Header: res.Scenario.Header,
			BodyBytes: len(res.Scenario.Body),
			Summary: jsonSummary{
				RatioMedian: s.RatioMedian, RatioMin: s.RatioMin, RatioMax: s.RatioMax,
				GuardRPSMedian: s.GuardRPS, PlainRPSMedian: s.PlainRPS,
				GuardP50Ms: msFloat(s.GuardP50), GuardP99Ms: msFloat(s.GuardP99),
				PlainP50Ms: msFloat(s.PlainP50), PlainP99Ms: msFloat(s.PlainP99),
			},
		}
		for _, r := range res.Rounds {
			js.Rounds = append(js.Rounds, jsonRound{
				Round: r.Round, Order: r.order(), Ratio: r.ratio(),
				Guard: toJSONRun(r.Guard), Plain: toJSONRun(r.Plain),
			})
		}
		rep.Scenarios = append(rep.Scenarios, js)
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
