package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkRun is one wrk invocation.
type wrkRun struct {
	URL         string
	Headers     []string // "Name: value", passed as -H
	Threads     int
	Connections int
	Duration    time.Duration // whole seconds: wrk takes no finer unit
}

// wrkResult is what wrk 4.1 reports with --latency.
type wrkResult struct {
	Requests       int64         // "N requests in …"
	Runtime        time.Duration // "… in 3.00s"
	RequestsPerSec float64       // "Requests/sec:"
	LatencyAvg     time.Duration // Thread Stats, Latency Avg
	LatencyMax     time.Duration // Thread Stats, Latency Max
	P50, P75       time.Duration // Latency Distribution
	P90, P99       time.Duration
	SocketErrors   socketErrors
	Non2xx3xx      int64 // "Non-2xx or 3xx responses:"
}

// socketErrors is wrk's "Socket errors:" line; absent means all zero.
type socketErrors struct {
	Connect, Read, Write, Timeout int64
}

func (s socketErrors) total() int64 { return s.Connect + s.Read + s.Write + s.Timeout }

// wrkExtraTime bounds a wrk run beyond its -d: thread start-up plus wrk's
// own 2 s request timeout, with room to spare on a loaded machine.
const wrkExtraTime = 30 * time.Second

// runWrk runs wrk and parses its report. A non-zero exit or an unparsable
// report is an error; request errors are reported in the result.
func runWrk(ctx context.Context, wrkPath string, run wrkRun) (wrkResult, error) {
	secs := int(run.Duration / time.Second)
	if secs < 1 {
		return wrkResult{}, fmt.Errorf("wrk duration %s: must be at least 1s", run.Duration)
	}
	args := []string{
		"-t", strconv.Itoa(run.Threads),
		"-c", strconv.Itoa(run.Connections),
		"-d", strconv.Itoa(secs) + "s",
		"--latency",
	}
	for _, h := range run.Headers {
		args = append(args, "-H", h)
	}
	args = append(args, run.URL)

	ctx, cancel := context.WithTimeout(ctx, run.Duration+wrkExtraTime)
	defer cancel()
	cmd := exec.CommandContext(ctx, wrkPath, args...)
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if ctxErr := ctx.Err(); err != nil && ctxErr != nil {
		// Killed by us: interrupted, or overran its time. Its partial
		// output says nothing.
		return wrkResult{}, fmt.Errorf("wrk %s: %w", run.URL, ctxErr)
	}
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	res, err := parseWrkOutput(string(out))
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return res, nil
}

// parseWrkOutput reads the report wrk 4.1 prints with --latency. It insists
// on Requests/sec and the 50% and 99% percentiles: without them the run
// says nothing.
func parseWrkOutput(out string) (wrkResult, error) {
	var (
		res                   wrkResult
		haveRPS, inLatencyDst bool
		havePct               = map[string]bool{}
	)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		fields := strings.Fields(line)
		var err error
		switch {
		case line == "Latency Distribution":
			inLatencyDst = true
		case inLatencyDst && len(fields) == 2 && strings.HasSuffix(fields[0], "%"):
			var d time.Duration
			if d, err = parseWrkDuration(fields[1]); err == nil {
				havePct[fields[0]] = true
				switch fields[0] {
				case "50%":
					res.P50 = d
				case "75%":
					res.P75 = d
				case "90%":
					res.P90 = d
				case "99%":
					res.P99 = d
				}
			}
		case len(fields) >= 4 && fields[0] == "Latency":
			// Thread Stats: Latency Avg Stdev Max +/-Stdev
			if res.LatencyAvg, err = parseWrkDuration(fields[1]); err == nil {
				res.LatencyMax, err = parseWrkDuration(fields[3])
			}
		case len(fields) >= 4 && fields[1] == "requests" && fields[2] == "in":
			inLatencyDst = false
			if res.Requests, err = strconv.ParseInt(fields[0], 10, 64); err == nil {
				res.Runtime, err = parseWrkDuration(strings.TrimSuffix(fields[3], ","))
			}
		case strings.HasPrefix(line, "Socket errors:"):
			res.SocketErrors, err = parseSocketErrors(strings.TrimPrefix(line, "Socket errors:"))
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			res.Non2xx3xx, err = strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "Non-2xx or 3xx responses:")), 10, 64)
		case strings.HasPrefix(line, "Requests/sec:"):
			res.RequestsPerSec, err = strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "Requests/sec:")), 64)
			haveRPS = err == nil
		}
		if err != nil {
			return wrkResult{}, fmt.Errorf("parse wrk line %q: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return wrkResult{}, err
	}
	if !haveRPS {
		return wrkResult{}, fmt.Errorf("no Requests/sec in wrk output")
	}
	if !havePct["50%"] || !havePct["99%"] {
		return wrkResult{}, fmt.Errorf("no latency distribution in wrk output (is --latency set?)")
	}
	return res, nil
}

// parseSocketErrors reads "connect 0, read 0, write 0, timeout 5".
func parseSocketErrors(s string) (socketErrors, error) {
	var se socketErrors
	for part := range strings.SplitSeq(s, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			return se, fmt.Errorf("socket errors: unexpected %q", part)
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return se, err
		}
		switch f[0] {
		case "connect":
			se.Connect = n
		case "read":
			se.Read = n
		case "write":
			se.Write = n
		case "timeout":
			se.Timeout = n
		}
	}
	return se, nil
}

// wrkTimeUnits are the suffixes of wrk's format_time_us/format_time_s,
// longest first so that "ms" is not read as "m".
var wrkTimeUnits = []struct {
	suffix string
	unit   time.Duration
}{
	{"us", time.Microsecond},
	{"ms", time.Millisecond},
	{"s", time.Second},
	{"m", time.Minute},
	{"h", time.Hour},
}

// parseWrkDuration reads wrk's "812.00us", "2.90ms", "1.02s", "1.00m".
func parseWrkDuration(s string) (time.Duration, error) {
	for _, u := range wrkTimeUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("wrk duration %q: %w", s, err)
		}
		return time.Duration(v * float64(u.unit)), nil
	}
	return 0, fmt.Errorf("wrk duration %q: unknown unit", s)
}

// wrkVersion is the first line of "wrk -v", for the record. wrk exits
// non-zero after printing it, so the exit status is ignored.
func wrkVersion(ctx context.Context, wrkPath string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, wrkPath, "-v").CombinedOutput()
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}
