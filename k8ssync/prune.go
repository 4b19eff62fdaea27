package k8ssync

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// DefaultMaxPrune is Options.MaxPrune's default, in percent.
const DefaultMaxPrune = 50

// CodePruneHeld: the sync wrote everything else, but held back the
// deletions of at least one kind because they exceeded max_prune.
const CodePruneHeld = "prune_held"

// PruneHeld says that a kind's deletions were held: Count objects would
// have been deleted out of Total that NetBox holds for the fabric.
type PruneHeld struct {
	Count int `json:"count"`
	Total int `json:"total"`
}

// ParseMaxPrune reads a max_prune value: a whole percentage from 0% to
// 100% with its percent sign ("50%"). The error says what is wrong with
// the value; the caller names the field.
func ParseMaxPrune(s string) (int, error) {
	digits, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	if !ok {
		return 0, fmt.Errorf("%q is not a percentage such as 50%%", s)
	}
	n, err := strconv.Atoi(digits)
	if err != nil || strings.HasPrefix(digits, "+") {
		return 0, fmt.Errorf("%q is not a whole percentage such as 50%%", s)
	}
	if n < 0 || n > 100 {
		return 0, fmt.Errorf("%q must be between 0%% and 100%%", s)
	}
	return n, nil
}

// pruneHeld decides whether deleting planned of total objects of one kind
// exceeds maxPrune percent. 100 never holds (planned cannot exceed total);
// 0 holds every deletion.
func pruneHeld(planned, total, maxPrune int) bool {
	return planned > 0 && planned*100 > maxPrune*total
}

// checkPrune reports whether deleting planned of total objects of kind k
// must be held, and records the hold on ks and the run.
func (r *run) checkPrune(k kinds.Kind, ks *KindStats, planned, total int) bool {
	if !pruneHeld(planned, total, r.e.maxPrune()) {
		return false
	}
	ks.PruneHeld = &PruneHeld{Count: planned, Total: total}
	r.held = append(r.held, heldKind{kind: k.Kind, held: *ks.PruneHeld})
	return true
}

// heldKind is one kind whose deletions were held.
type heldKind struct {
	kind string
	held PruneHeld
}

// heldText is the held deletions for sync_error and Result.Error.
func (r *run) heldText() string {
	parts := make([]string, len(r.held))
	for i, h := range r.held {
		parts[i] = fmt.Sprintf("%s: %d of %d would be deleted", h.kind, h.held.Count, h.held.Total)
	}
	return fmt.Sprintf("Deletions held (more than max_prune %d%% of a kind): %s; nothing of these kinds was deleted. "+
		"If the cluster really lost them, raise max_prune for one sync or delete them in NetBox",
		r.e.maxPrune(), strings.Join(parts, ", "))
}
