package dropinenv

import (
	"fmt"
	"sort"
	"strings"
)

// unknownVariables reports HHGATE_* variables the drop-in file does not
// read (a typo would otherwise be ignored silently), with the closest
// known name, and HHGATE_DERIVED_* variables, which only Check sets.
func unknownVariables(env map[string]string) []error {
	var names []string
	for name := range env {
		if !strings.HasPrefix(name, "HHGATE_") {
			continue
		}
		if _, known := lookupVariable(name); !known {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	errs := make([]error, 0, len(names))
	for _, name := range names {
		if strings.HasPrefix(name, derivedPrefix) {
			continue // compared with what hhgate derives (Check)
		}
		msg := fmt.Sprintf("%s: unknown variable", name)
		if best := closest(name); best != "" {
			msg += fmt.Sprintf("; did you mean %s?", best)
		}
		errs = append(errs, fmt.Errorf("%s", msg))
	}
	return errs
}

// closest is the known variable nearest to name, if it is near enough to
// be a typo (at most a third of the name's letters differ).
// HHGATE_DERIVED_* may be in the environment already: `hhgate start` runs
// `hhgate run` with its own environment.
func closest(name string) string {
	best, bestDist := "", len(name)/3+1
	for _, v := range variables {
		if d := editDistance(name, v.name); d < bestDist {
			best, bestDist = v.name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
