package k8ssync

import (
	"sort"
	"strings"
)

// redactor removes known secret values from texts that leave the engine
// (Result, sync_error, logs). Nothing the engine writes is supposed to hold
// a secret in the first place; this is the second line of defence against
// a library quoting more than it should.
type redactor struct{ secrets []string }

const redacted = "[REDACTED]"

// add registers s and, for multi-line secrets such as a PEM, each of its
// longer lines, so that a quoted fragment is caught too.
func (r *redactor) add(s string) {
	s = strings.TrimSpace(s)
	if len(s) < 6 {
		return // too short to search for without mangling ordinary words
	}
	r.secrets = append(r.secrets, s)
	if strings.Contains(s, "\n") {
		for _, line := range strings.Split(s, "\n") {
			line = strings.TrimSpace(line)
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				r.secrets = append(r.secrets, line)
			}
		}
	}
	// Longest first, so a secret is replaced whole before its fragments.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func (r *redactor) clean(s string) string {
	for _, secret := range r.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	return s
}
