package fabricsync

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hhgate/hhgate/k8ssync"
)

// A fabric whose scheduled syncs fail the same way every few minutes (its
// cluster down, its deletions held) would bury its journal under the same
// entry. The automatic syncs (schedule, change, recovery) journal such a
// repeat once a day; a different failure, a sync that changed something,
// a success in between and every sync a user started are journaled as
// always. The memory is this gateway's: another gateway, or a restart,
// journals the failure once more.

// journalRepeatEvery is how often a repeated failure is journaled again.
const journalRepeatEvery = 24 * time.Hour

type journalMemo struct {
	failure string
	at      time.Time
}

// failureSignature is what makes two failures the same for the journal:
// the code, the held kinds with their counts, and where the first object
// errors happened (not their texts, which carry changing details).
func failureSignature(res k8ssync.Result) string {
	var b strings.Builder
	b.WriteString(res.Code)
	for _, name := range slices.Sorted(maps.Keys(res.Stats.Kinds)) {
		if h := res.Stats.Kinds[name].PruneHeld; h != nil {
			fmt.Fprintf(&b, "|held %s %d/%d", name, h.Count, h.Total)
		}
	}
	for i, d := range res.Stats.ErrorDetails {
		if i == 3 {
			break
		}
		fmt.Fprintf(&b, "|%s %s %s", d.Kind, d.Name, d.Operation)
	}
	return b.String()
}

// repeatedFailure reports whether res, the result of j, repeats the
// fabric's last journaled failure of less than journalRepeatEvery ago and
// is to be left out of the journal; otherwise it remembers res as the
// fabric's last failure (or forgets it after a success).
func (rt *Runtime) repeatedFailure(j job, res k8ssync.Result, now time.Time) bool {
	rt.journalMu.Lock()
	defer rt.journalMu.Unlock()
	if res.Success {
		delete(rt.journaled, j.fabricID)
		return false
	}
	s := res.Stats
	automatic := j.trigger != TriggerUser
	changed := s.Created+s.Updated+s.Deleted > 0
	sig := failureSignature(res)
	if last, ok := rt.journaled[j.fabricID]; ok && automatic && !changed && last.failure == sig && now.Sub(last.at) < journalRepeatEvery {
		return true
	}
	if rt.journaled == nil {
		rt.journaled = map[int]journalMemo{}
	}
	rt.journaled[j.fabricID] = journalMemo{failure: sig, at: now}
	return false
}
