//go:build e2e

package testenv

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestStandInWorkers: with Workers the stand-in serves one socket from
// that many processes, as gunicorn's --workers does in front of NetBox.
// Each worker serves one request per connection, as gunicorn's sync
// workers do, so a busy worker leaves the next connection to an idle one.
// Bulk creates sent side by side all land (no "database is locked"), the
// request counts add up across the processes,
// and fault injection, which lives in one process, is refused by name.
// Real part: the Django stand-in.
func TestStandInWorkers(t *testing.T) {
	nb := StartNetBox(t, NetBoxOptions{Workers: 2})
	nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true, Token: pluginAdminToken})
	if got := processesInGroup(t, nb.pid); got != 2 {
		t.Fatalf("%d processes in the stand-in's group, want 2 workers", got)
	}
	fab := nb.CreateFabric(t, map[string]any{"name": "fab-workers"})
	nb.ResetAPIRequestCounts(t)

	// t.Errorf is safe from the senders' goroutines.
	const senders, batches, perBatch = 4, 3, 25
	var wg sync.WaitGroup
	for w := range senders {
		// Senders side by side need connections of their own, which the
		// kernel hands to either worker.
		c := pluginClient{t: t, nb: nb, token: pluginAdminToken}
		wg.Go(func() {
			for b := range batches {
				var batch []any
				for i := range perBatch {
					batch = append(batch, crdObject(fab, fmt.Sprintf("vpc-%d-%d-%d", w, b, i), map[string]any{"subnets": map[string]any{}}))
				}
				resp, body := c.do(http.MethodPost, "vpcs/", batch)
				if resp.StatusCode != http.StatusCreated {
					t.Errorf("sender %d batch %d: %s %.300s", w, b, resp.Status, body)
				}
				if !resp.Close {
					t.Errorf("sender %d batch %d: the connection stays open; a sync worker closes it after each request", w, b)
				}
			}
		})
	}
	wg.Wait()
	if got, want := len(nb.Objects(t, "vpcs", fab)), senders*batches*perBatch; got != want {
		t.Errorf("%d VPCs stored, want %d", got, want)
	}
	counts := nb.APIRequestCounts(t)
	if counts["POST"] != senders*batches {
		t.Errorf("POST count %d across the workers, want %d: %v", counts["POST"], senders*batches, counts)
	}

	err := nb.Control(http.MethodPost, "faults/", Fault{Route: "vpcs", Method: "GET", Status: 500}, nil)
	if err == nil || !strings.Contains(err.Error(), "STANDIN_WORKERS=2") {
		t.Errorf("a fault with two workers: %v, want a refusal naming STANDIN_WORKERS=2", err)
	}
}

// processesInGroup counts the processes whose process group is pgid.
func processesInGroup(t *testing.T, pgid int) int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		t.Skipf("no /proc to count processes in (%v)", err)
	}
	n := 0
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		if len(fields) > 2 {
			if g, err := strconv.Atoi(fields[2]); err == nil && g == pgid {
				n++
			}
		}
	}
	return n
}

// TestStandInConcurrentWrites: a bulk update (which validates inside its
// transaction) and bulk creates of another route, side by side, all
// succeed, in one threaded process and with two workers: writes queue for
// SQLite's lock instead of failing with "database is locked", as they do
// not fail on NetBox's PostgreSQL. Real part: the Django stand-in.
func TestStandInConcurrentWrites(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			nb := StartNetBox(t, NetBoxOptions{Workers: workers})
			nb.CreateUser(t, User{Username: "admin", Password: "admin-pw", Superuser: true, Token: pluginAdminToken})
			c := pluginClient{t: t, nb: nb, token: pluginAdminToken}
			fab := nb.CreateFabric(t, map[string]any{"name": "fab-concurrent"})
			var vpcs []any
			for i := range 40 {
				vpcs = append(vpcs, crdObject(fab, fmt.Sprintf("vpc-%d", i), map[string]any{"subnets": map[string]any{}}))
			}
			created := c.want(http.MethodPost, "vpcs/", vpcs, http.StatusCreated).([]any)

			const rounds = 6 // t.Errorf is safe from the writers' goroutines
			var wg sync.WaitGroup
			wg.Go(func() {
				for r := range rounds {
					var patch []any
					for _, o := range created {
						patch = append(patch, map[string]any{"id": o.(map[string]any)["id"], "spec": map[string]any{"round": r}})
					}
					if resp, body := c.do(http.MethodPatch, "vpcs/", patch); resp.StatusCode != http.StatusOK {
						t.Errorf("bulk update %d: %s %.300s", r, resp.Status, body)
					}
				}
			})
			wg.Go(func() {
				for r := range rounds {
					var batch []any
					for i := range 40 {
						batch = append(batch, crdObject(fab, fmt.Sprintf("server-%d-%d", r, i), map[string]any{"description": "s"}))
					}
					if resp, body := c.do(http.MethodPost, "servers/", batch); resp.StatusCode != http.StatusCreated {
						t.Errorf("bulk create %d: %s %.300s", r, resp.Status, body)
					}
				}
			})
			wg.Wait()
		})
	}
}
