//go:build e2e

package syncbench

import (
	"fmt"
	"strings"
	"time"
)

// table renders the rows as the README's Markdown table, then the targets
// with their ratios (first row = the smallest size).
func table(rows []row) string {
	var sb strings.Builder
	sb.WriteString("| objects | import | no-op resync, full compare | no-op resync, change marks | NetBox requests (import / full / marks) | Kubernetes lists (import / full / marks) | object writes on the resyncs | gateway peak RSS | Kubernetes floor | NetBox floor | full compare / slower floor | marks / slower floor |\n")
	sb.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		floor := max(r.kubeFloor, r.netboxFloor).Seconds()
		fmt.Fprintf(&sb, "| %d | %s | %s | %s | %d / %d / %d | %d / %d / %d | %d / %d | %.0f MiB | %s | %s | %.2f | %.2f |\n",
			r.objects, secs(r.importTook), secs(r.fullTook), secs(r.resyncTook), r.importNB, r.fullNB, r.resyncNB,
			r.importKube, r.fullKube, r.resyncKube, r.fullWrites, r.resyncWrites, r.peakMiB,
			secs(r.kubeFloor), secs(r.netboxFloor), r.fullTook.Seconds()/floor, r.resyncTook.Seconds()/floor)
	}
	if len(rows) == 0 {
		return sb.String()
	}
	first, last := rows[0], rows[len(rows)-1]
	perObj := func(r row) float64 { return r.importTook.Seconds() / float64(r.objects) * 1000 }
	fmt.Fprintf(&sb, "\nimport per 1,000 objects: ")
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s at %d", secs(time.Duration(perObj(r)*float64(time.Second))), r.objects)
	}
	fmt.Fprintf(&sb, " (largest / smallest %.2f)\n", perObj(last)/perObj(first))
	fmt.Fprintf(&sb, "peak RSS: %d objects %.0f MiB − %d objects %.0f MiB = %.0f MiB\n",
		last.objects, last.peakMiB, first.objects, first.peakMiB, last.peakMiB-first.peakMiB)
	if first.perObjImport > 0 {
		fmt.Fprintf(&sb, "per-object path at %d: import %s, resync %s; gateway import / per-object import %.2f (%d) and %.2f per object (%d)\n",
			first.objects, secs(first.perObjImport), secs(first.perObjResync), first.importTook.Seconds()/first.perObjImport.Seconds(), first.objects,
			perObj(last)/(first.perObjImport.Seconds()/float64(first.objects)*1000), last.objects)
	}
	return sb.String()
}

func secs(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
