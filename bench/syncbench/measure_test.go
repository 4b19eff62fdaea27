//go:build e2e

package syncbench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/hhgate/hhgate/k8ssync/kinds"
	k8skube "github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

// kubeFloor is the time to list the fabric's objects from Kubernetes the
// way the sync does (the engine's reader: pages of 500, four kinds at a
// time, decoded into resources), doing nothing with them.
func kubeFloor(b *testing.B, cluster *kube.Cluster, namespace, token string, n int) time.Duration {
	client, err := dynamic.NewForConfig(cluster.TokenConfig(token))
	if err != nil {
		b.Fatal(err)
	}
	reader := k8skube.NewReader(client, namespace, k8skube.ReaderOptions{})
	start := time.Now()
	listed := 0
	for _, l := range reader.StreamAll(context.Background(), kinds.All, func(int) k8skube.Visit { return func(k8skube.Resource) {} }) {
		if l.Status != k8skube.StatusOK {
			b.Fatalf("kube floor: %s: %v", l.Kind.Kind, l.Err)
		}
		listed += l.Count
	}
	took := time.Since(start)
	if listed != n {
		b.Fatalf("kube floor listed %d of %d", listed, n)
	}
	return took
}

// netboxFloor is the time to list the fabric's objects from NetBox the way
// the sync does (the engine's client: pages of 1,000 with the compared
// fields, four routes at a time), doing nothing with them.
func netboxFloor(b *testing.B, nb *testenv.NetBox, fabric, n int) time.Duration {
	c, err := netbox.New(netbox.Options{BaseURL: nb.URL, Token: serviceToken})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var mu sync.Mutex
	listed := 0
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, k := range kinds.All {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			count := 0
			if err := c.EachFabricObject(context.Background(), k.Route, fabric, netbox.CompareFields, func(*netbox.Object) { count++ }); err != nil {
				b.Errorf("netbox floor: %s: %v", k.Route, err)
			}
			mu.Lock()
			listed += count
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(start)
	// SwitchGroups with an empty spec may be refused; every other object is there.
	if listed < n-n/12-1 {
		b.Fatalf("netbox floor listed %d of %d", listed, n)
	}
	return took
}

// kubeLists reads the API server's count of LIST requests on the Hedgehog
// kinds (apiserver_request_total) from its /metrics.
func kubeLists(b *testing.B, cluster *kube.Cluster) int {
	body, err := cluster.Clientset.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		b.Fatalf("kube-apiserver /metrics: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") || !strings.Contains(line, `verb="LIST"`) ||
			!strings.Contains(line, `githedgehog.com"`) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			b.Fatalf("metrics line %q: %v", line, err)
		}
		n += int(v)
	}
	return n
}

// peakRSS reads the process's high-water resident memory (VmHWM) in bytes.
func peakRSS(b *testing.B, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb * 1024
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}
