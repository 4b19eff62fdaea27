package main

import (
	"strings"
	"testing"
	"time"
)

// Real output of wrk 4.1.0 (Debian), captured against a local Go server.
const (
	// wrk -t2 -c50 -d2s --latency -H "Sec-Fetch-Mode: cors" …/api/
	wrkOutputPlain = `Running 2s test @ http://127.0.0.1:18991/api/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.75ms    1.90ms  11.82ms   84.48%
    Req/Sec    18.31k     1.38k   20.39k    62.50%
  Latency Distribution
     50%    1.33ms
     75%    2.70ms
     90%    4.45ms
     99%    7.99ms
  72926 requests in 2.00s, 8.28MB read
Requests/sec:  36381.41
Transfer/sec:      4.13MB
`

	// Every answer a 404: wrk adds a "Non-2xx or 3xx responses" line and
	// prints sub-millisecond percentiles in microseconds.
	wrkOutputNon2xx = `Running 2s test @ http://127.0.0.1:18991/missing
  2 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   728.00us    1.35ms  16.11ms   89.85%
    Req/Sec    15.98k     1.67k   19.52k    70.00%
  Latency Distribution
     50%  241.00us
     75%  580.00us
     90%    2.11ms
     99%    6.91ms
  63543 requests in 2.00s, 10.67MB read
  Non-2xx or 3xx responses: 63543
Requests/sec:  31693.09
Transfer/sec:      5.32MB
`

	// Every request slower than wrk's 2 s timeout: only timeouts, no
	// latency samples at all ("-nan%").
	wrkOutputTimeouts = `Running 4s test @ http://127.0.0.1:18991/slow
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
    Req/Sec     1.00      0.00     1.00    100.00%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  4 requests in 4.01s, 480.00B read
  Socket errors: connect 0, read 0, write 0, timeout 4
Requests/sec:      1.00
Transfer/sec:     119.70B
`

	// 1.2 s answers: latencies in seconds, percentiles with a trailing
	// space, body size in KB.
	wrkOutputSeconds = `Running 3s test @ http://127.0.0.1:18991/medium
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20s   183.58us   1.20s    75.00%
    Req/Sec     3.00      0.00     3.00    100.00%
  Latency Distribution
     50%    1.20s 
     75%    1.20s 
     90%    1.20s 
     99%    1.20s 
  8 requests in 3.01s, 0.95KB read
Requests/sec:      2.66
Transfer/sec:     324.51B
`

	// Nothing listening: wrk exits 1 after this single line.
	wrkOutputRefused = `unable to connect to 127.0.0.1:18992 Connection refused
`

	// Without --latency there is no distribution to read.
	wrkOutputNoLatency = `Running 1s test @ http://127.0.0.1:18991/api/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.60ms    1.84ms  13.14ms   85.28%
    Req/Sec    21.29k     1.74k   24.45k    65.00%
  42288 requests in 1.00s, 4.80MB read
Requests/sec:  42185.03
Transfer/sec:      4.79MB
`
)

func TestParseWrkOutput(t *testing.T) {
	tests := []struct {
		name    string
		output  string
		want    wrkResult
		wantErr string
	}{
		{
			name:   "plain run",
			output: wrkOutputPlain,
			want: wrkResult{
				Requests: 72926, Runtime: 2 * time.Second, RequestsPerSec: 36381.41,
				LatencyAvg: 1750 * time.Microsecond, LatencyMax: 11820 * time.Microsecond,
				P50: 1330 * time.Microsecond, P75: 2700 * time.Microsecond,
				P90: 4450 * time.Microsecond, P99: 7990 * time.Microsecond,
			},
		},
		{
			name:   "non-2xx answers, microsecond latencies",
			output: wrkOutputNon2xx,
			want: wrkResult{
				Requests: 63543, Runtime: 2 * time.Second, RequestsPerSec: 31693.09,
				LatencyAvg: 728 * time.Microsecond, LatencyMax: 16110 * time.Microsecond,
				P50: 241 * time.Microsecond, P75: 580 * time.Microsecond,
				P90: 2110 * time.Microsecond, P99: 6910 * time.Microsecond,
				Non2xx3xx: 63543,
			},
		},
		{
			name:   "socket timeouts",
			output: wrkOutputTimeouts,
			want: wrkResult{
				Requests: 4, Runtime: 4010 * time.Millisecond, RequestsPerSec: 1,
				SocketErrors: socketErrors{Timeout: 4},
			},
		},
		{
			name:   "latencies in seconds",
			output: wrkOutputSeconds,
			want: wrkResult{
				Requests: 8, Runtime: 3010 * time.Millisecond, RequestsPerSec: 2.66,
				LatencyAvg: 1200 * time.Millisecond, LatencyMax: 1200 * time.Millisecond,
				P50: 1200 * time.Millisecond, P75: 1200 * time.Millisecond,
				P90: 1200 * time.Millisecond, P99: 1200 * time.Millisecond,
			},
		},
		{name: "connection refused", output: wrkOutputRefused, wantErr: "no Requests/sec"},
		{name: "no --latency", output: wrkOutputNoLatency, wantErr: "no latency distribution"},
		{name: "empty", output: "", wantErr: "no Requests/sec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrkOutput(tt.output)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameResult(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// sameResult compares with a microsecond of slack on durations: wrk prints
// two decimals, and "1.33ms" is not exactly representable in float64.
func sameResult(a, b wrkResult) bool {
	near := func(x, y time.Duration) bool { return (x - y).Abs() < time.Microsecond }
	return a.Requests == b.Requests && a.RequestsPerSec == b.RequestsPerSec &&
		a.SocketErrors == b.SocketErrors && a.Non2xx3xx == b.Non2xx3xx &&
		near(a.Runtime, b.Runtime) && near(a.LatencyAvg, b.LatencyAvg) && near(a.LatencyMax, b.LatencyMax) &&
		near(a.P50, b.P50) && near(a.P75, b.P75) && near(a.P90, b.P90) && near(a.P99, b.P99)
}

func TestParseWrkDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"241.00us", 241 * time.Microsecond},
		{"2.90ms", 2900 * time.Microsecond},
		{"1.20s", 1200 * time.Millisecond},
		{"1.50m", 90 * time.Second},
		{"2.00h", 2 * time.Hour},
	}
	for _, tt := range tests {
		got, err := parseWrkDuration(tt.in)
		if err != nil || (got-tt.want).Abs() >= time.Microsecond {
			t.Errorf("parseWrkDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "12", "1.2x", "ms"} {
		if _, err := parseWrkDuration(bad); err == nil {
			t.Errorf("parseWrkDuration(%q): no error", bad)
		}
	}
}
