// Command loadcompare measures what netbox_guard costs under load: it runs
// hhgate with two sites that differ only in the guard, both proxying to one
// local upstream, and drives them alternately with wrk.
//
//	go run ./bench/loadcompare -hhgate bin/hhgate [-rounds 5] [-duration 5s] \
//	    [-connections 50] [-threads 2] [-warmup 1s] [-json out.json]
//
// wrk, Caddy and the upstream share the machine's cores, so single runs are
// noisy: sites alternate within each round (guard first in odd rounds, plain
// first in even ones) to cancel drift, and the report is about medians. The
// exit status is non-zero only when the measurement could not be made.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type options struct {
	hhgate      string
	wrk         string
	rounds      int
	duration    time.Duration
	warmup      time.Duration
	only        string
	connections int
	threads     int
	jsonPath    string
}

func main() {
	var opt options
	flag.StringVar(&opt.hhgate, "hhgate", "bin/hhgate", "hhgate binary to run")
	flag.StringVar(&opt.wrk, "wrk", "wrk", "wrk binary")
	flag.IntVar(&opt.rounds, "rounds", 5, "rounds per scenario (each measures both sites)")
	flag.DurationVar(&opt.duration, "duration", 5*time.Second, "length of each measured wrk run (whole seconds)")
	flag.DurationVar(&opt.warmup, "warmup", time.Second, "discarded wrk run before each measured one (whole seconds; 0 skips)")
	flag.StringVar(&opt.only, "only", "", "measure only the scenarios whose name contains this text")
	flag.IntVar(&opt.connections, "connections", 50, "wrk connections (-c)")
	flag.IntVar(&opt.threads, "threads", 2, "wrk threads (-t)")
	flag.StringVar(&opt.jsonPath, "json", "", "also write the results as JSON to this file")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "loadcompare: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := opt.validate(); err != nil {
		fmt.Fprintf(os.Stderr, "loadcompare: %v\n", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, opt)
	stop()
	if errors.Is(err, context.Canceled) {
		err = errors.New("interrupted; hhgate and the upstream are stopped")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadcompare: %v\n", err)
		os.Exit(1)
	}
}

func (opt *options) validate() error {
	switch {
	case opt.rounds < 1:
		return errors.New("-rounds must be at least 1")
	case opt.duration < time.Second || opt.duration%time.Second != 0:
		return errors.New("-duration must be whole seconds, at least 1s (wrk's -d)")
	case opt.warmup < 0 || opt.warmup%time.Second != 0:
		return errors.New("-warmup must be whole seconds, or 0")
	case opt.threads < 1 || opt.connections < opt.threads:
		return errors.New("need -threads >= 1 and -connections >= -threads (wrk's rule)")
	}
	abs, err := filepath.Abs(opt.hhgate)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("-hhgate: %w (build it with: go build -o bin/hhgate ./cmd/hhgate)", err)
	}
	opt.hhgate = abs
	if opt.wrk, err = exec.LookPath(opt.wrk); err != nil {
		return fmt.Errorf("-wrk: %w (apt-get install -y wrk)", err)
	}
	return nil
}

// run sets everything up, measures, reports, and tears everything down
// whatever happens.
func run(ctx context.Context, opt options) error {
	up, err := startUpstream()
	if err != nil {
		return err
	}
	defer up.stop()

	c, err := startCaddy(ctx, opt.hhgate, up.addr)
	if err != nil {
		return err
	}
	defer c.stop()

	if err := preflight(ctx, c); err != nil {
		return err
	}
	cfg := jsonConfig{
		Hhgate: opt.hhgate, WrkVersion: wrkVersion(ctx, opt.wrk),
		Rounds: opt.rounds, Duration: opt.duration.String(), Warmup: opt.warmup.String(),
		Connections: opt.connections, Threads: opt.threads,
		Started: time.Now().UTC().Format(time.RFC3339),
	}
	fmt.Printf("upstream %s; hhgate guard site :%d, plain site :%d, guard+inject_script site :%d, oidc+guard site :%d, encode+guard+inject site :%d, encode site :%d\n",
		up.addr, c.guardPort, c.plainPort, c.injectPort, c.ssoPort, c.encodeInjectPort, c.encodePlainPort)
	fmt.Printf("%s; %d rounds x %s per site (+%s warm-up), -c%d -t%d\n",
		cfg.WrkVersion, opt.rounds, opt.duration, opt.warmup, opt.connections, opt.threads)
	if load := loadAverage(); load != "" {
		fmt.Printf("load average at start: %s (%d CPUs)\n", load, runtime.NumCPU())
	}

	var results []scenarioResult
	for _, sc := range scenarios {
		if !strings.Contains(sc.Name, opt.only) {
			continue
		}
		res, err := measureScenario(ctx, opt, c, sc)
		if err != nil {
			return err
		}
		printScenario(os.Stdout, res)
		results = append(results, res)
	}
	printSummary(os.Stdout, results)
	if load := loadAverage(); load != "" {
		fmt.Printf("load average at end: %s\n", load)
	}

	if opt.jsonPath != "" {
		if err := writeJSON(opt.jsonPath, cfg, results); err != nil {
			return fmt.Errorf("write %s: %w", opt.jsonPath, err)
		}
		fmt.Printf("\nwrote %s\n", opt.jsonPath)
	}
	return nil
}

// measureScenario runs every round of one scenario, alternating which site
// goes first.
func measureScenario(ctx context.Context, opt options, c *caddy, sc scenario) (scenarioResult, error) {
	res := scenarioResult{Scenario: sc}
	measured, baseline := sc.sites(c)
	fmt.Printf("\nmeasuring %s ", sc.Name)
	defer fmt.Println()
	for i := range opt.rounds {
		r := roundResult{Round: i + 1, GuardFirst: i%2 == 0}
		sites := []struct {
			port int
			dst  *wrkResult
		}{{measured, &r.Guard}, {baseline, &r.Plain}}
		if !r.GuardFirst {
			sites[0], sites[1] = sites[1], sites[0]
		}
		for _, site := range sites {
			out, err := measureSite(ctx, opt, c, sc, site.port)
			if err != nil {
				return res, err
			}
			*site.dst = out
			fmt.Print(".")
		}
		res.Rounds = append(res.Rounds, r)
	}
	return res, nil
}

// measureSite runs the discarded warm-up and then the measured run.
func measureSite(ctx context.Context, opt options, c *caddy, sc scenario, port int) (wrkResult, error) {
	run := wrkRun{
		URL: siteURL(port, sc.Path), Headers: sc.headers(c),
		Threads: opt.threads, Connections: opt.connections, Duration: opt.warmup,
	}
	if opt.warmup > 0 {
		if _, err := runWrk(ctx, opt.wrk, run); err != nil {
			return wrkResult{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	run.Duration = opt.duration
	res, err := runWrk(ctx, opt.wrk, run)
	if err != nil {
		return wrkResult{}, err
	}
	// A site that died mid-run makes wrk report only errors; say why.
	return res, c.alive()
}

// loadAverage is the first three fields of /proc/loadavg, or "" where there
// is none. Anything else busy on the machine shows up in every number here,
// so the report says how busy it was.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
