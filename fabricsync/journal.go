package fabricsync

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/k8ssync"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// journal records a sync that changed or failed something as a journal
// entry on the fabric. No-op syncs write none, nor do automatic syncs that
// fail as the last journaled one did (journal_repeat.go). A journal NetBox refuses
// (the service token may not add journal entries) does not fail the sync;
// the gap is logged once per process.
func (rt *Runtime) journal(ctx context.Context, j job, res k8ssync.Result) {
	if rt.repeatedFailure(j, res, time.Now()) {
		rt.log.Debug("sync failed as the last journal entry says: not journaled again",
			zap.Int("fabric", j.fabricID), zap.String("trigger", j.trigger), zap.String("code", res.Code))
		return
	}
	entry, ok := journalEntry(j, res, func() string {
		if j.who == nil {
			return ""
		}
		return j.who(ctx)
	})
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := j.engine.Journal(ctx, entry); err != nil {
		logged := false
		rt.journalGap.Do(func() {
			logged = true
			rt.log.Warn("cannot write sync journal entries in NetBox (does the service token have extras.add_journalentry?); syncs go on without them",
				zap.Int("fabric", j.fabricID), zap.Error(err))
		})
		if !logged {
			rt.log.Debug("journal entry not written", zap.Int("fabric", j.fabricID), zap.Error(err))
		}
	}
}

// journalEntry is the entry for res, or false for a sync that changed
// nothing and failed nothing (and for a fabric that does not exist).
func journalEntry(j job, res k8ssync.Result, who func() string) (netbox.JournalEntry, bool) {
	s := res.Stats
	changed := s.Created+s.Updated+s.Deleted > 0
	if res.Code == k8ssync.CodeFabricNotFound || res.Success && !changed {
		return netbox.JournalEntry{}, false
	}
	kind := netbox.JournalSuccess
	switch {
	case res.Code == k8ssync.CodePartialFailure, res.Code == k8ssync.CodePruneHeld:
		kind = netbox.JournalWarning
	case !res.Success:
		kind = netbox.JournalDanger
	}
	var b strings.Builder
	switch name := who(); {
	case j.trigger == TriggerRecovery:
		b.WriteString("Sync from Kubernetes run by the gateway after an interrupted sync")
	case j.trigger == TriggerSchedule && j.note == driftNote && changed:
		b.WriteString("Scheduled sync from Kubernetes repaired NetBox-side drift (objects edited, added or deleted in NetBox, with no change in the cluster)")
	case j.trigger == TriggerSchedule:
		b.WriteString("Scheduled sync from Kubernetes")
	case j.trigger == TriggerChange:
		fmt.Fprintf(&b, "Change-driven sync from Kubernetes %s", j.note)
	case name != "":
		fmt.Fprintf(&b, "Sync from Kubernetes triggered by %s", name)
	default:
		b.WriteString("Sync from Kubernetes triggered by an unknown user")
	}
	fmt.Fprintf(&b, ": %s in %.1f s.\n", s.Details, float64(s.DurationMS)/1000)
	b.WriteString(kindLines(s.Kinds))
	b.WriteString(heldLines(s.Kinds))
	b.WriteString(marksLine(s.Kinds))
	b.WriteString(readinessLine(s))
	if !res.Success {
		fmt.Fprintf(&b, "\nFailed (%s): %s\n", res.Code, res.Error)
		for i, d := range s.ErrorDetails {
			if i == 5 {
				fmt.Fprintf(&b, "- … and %d more\n", s.Errors-5)
				break
			}
			fmt.Fprintf(&b, "- %s %s %s: %s\n", d.Kind, d.Name, d.Operation, d.Error)
		}
	}
	return netbox.JournalEntry{FabricID: j.fabricID, Kind: kind, Comments: b.String()}, true
}

// kindLines lists the non-zero counts per kind, one line each.
func kindLines(kinds map[string]k8ssync.KindStats) string {
	names := make([]string, 0, len(kinds))
	for name := range kinds {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		ks := kinds[name]
		var parts []string
		for _, c := range []struct {
			n    int
			what string
		}{{ks.Created, "created"}, {ks.Updated, "updated"}, {ks.Deleted, "deleted"}, {ks.Errors, "errors"}} {
			if c.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, "- %s: %s\n", name, strings.Join(parts, ", "))
		}
	}
	return b.String()
}
