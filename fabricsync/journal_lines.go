package fabricsync

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hhgate/hhgate/k8ssync"
)

// heldLines lists the kinds whose deletions max_prune held, one line each.
func heldLines(kinds map[string]k8ssync.KindStats) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(kinds)) {
		if h := kinds[name].PruneHeld; h != nil {
			fmt.Fprintf(&b, "- %s: deletion of %d of %d objects held (prune_held, above max_prune)\n", name, h.Count, h.Total)
		}
	}
	return b.String()
}

// readinessLine is the switch readiness, when it is known.
func readinessLine(s k8ssync.Stats) string {
	if s.SwitchesReady == nil || s.SwitchesTotal == nil || s.SwitchesStale == nil {
		return ""
	}
	return fmt.Sprintf("Switches: %d of %d ready, %d stale.\n", *s.SwitchesReady, *s.SwitchesTotal, *s.SwitchesStale)
}

// marksLine names the kinds counted unchanged from their change marks,
// whose objects this sync did not read.
func marksLine(kinds map[string]k8ssync.KindStats) string {
	var names []string
	for _, name := range slices.Sorted(maps.Keys(kinds)) {
		if kinds[name].ByChangeMarks {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("Unchanged from their change marks (objects not read): %s.\n", strings.Join(names, ", "))
}
