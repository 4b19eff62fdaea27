package sessionguard

import (
	"net/http"
	"strings"
)

// Content-Security-Policy headers, canonical.
const (
	hdrCSP           = "Content-Security-Policy"
	hdrCSPReportOnly = "Content-Security-Policy-Report-Only"
)

// scriptNonce returns the nonce a page's Content-Security-Policy allows
// scripts with ("" if none), so that the injected <script> carries it and
// the policy stays as strict as NetBox (or a proxy) made it. The enforced
// policy wins over a report-only one; within a policy the directive that
// governs <script src> wins: script-src-elem, then script-src, then
// default-src.
func scriptNonce(h http.Header) string {
	for _, key := range [...]string{hdrCSP, hdrCSPReportOnly} {
		for _, header := range h[key] {
			// A header may hold several policies, separated by commas.
			for policy := range strings.SplitSeq(header, ",") {
				if nonce := policyScriptNonce(policy); nonce != "" {
					return nonce
				}
			}
		}
	}
	return ""
}

// policyScriptNonce finds the nonce source of the directive that applies
// to script elements in one serialized policy.
func policyScriptNonce(policy string) string {
	var best string
	bestRank := 0
	for directive := range strings.SplitSeq(policy, ";") {
		fields := strings.Fields(directive)
		if len(fields) == 0 {
			continue
		}
		rank := 0
		switch strings.ToLower(fields[0]) {
		case "script-src-elem":
			rank = 3
		case "script-src":
			rank = 2
		case "default-src":
			rank = 1
		}
		if rank <= bestRank {
			continue
		}
		// The directive that applies decides, even without a nonce (then
		// the script must pass on 'self' or a host source).
		best, bestRank = "", rank
		for _, source := range fields[1:] {
			if nonce, ok := nonceSource(source); ok {
				best = nonce
				break
			}
		}
	}
	return best
}

// nonceSource parses 'nonce-<base64-value>'. Only base64 characters are
// accepted: the value is written into an HTML attribute.
func nonceSource(source string) (string, bool) {
	const prefix, suffix = "'nonce-", "'"
	if len(source) <= len(prefix)+len(suffix) || !strings.EqualFold(source[:len(prefix)], prefix) || !strings.HasSuffix(source, suffix) {
		return "", false
	}
	value := source[len(prefix) : len(source)-len(suffix)]
	for i := 0; i < len(value); i++ {
		c := value[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_') {
			return "", false
		}
	}
	return value, true
}
