package netboxhttp

import (
	"strconv"
	"strings"
)

// PrefersJSON reports whether an Accept header value prefers application/json
// over text/html.
//
// Each of the two types takes the quality of the most specific media range
// that matches it (RFC 9110 §12.5.1). JSON wins when its quality is higher,
// or equal and named more specifically: "application/json, text/plain, */*"
// (axios, jQuery) prefers JSON; "*/*" alone (htmx, bare fetch) prefers
// neither; a browser navigation's "text/html,…,*/*;q=0.8" prefers HTML.
// Structured-syntax types such as application/problem+json count as JSON.
func PrefersJSON(accept string) bool {
	jsonQ, jsonSpec := 0.0, -1
	htmlQ, htmlSpec := 0.0, -1
	note := func(q *float64, spec *int, quality float64, specificity int) {
		if specificity > *spec {
			*q, *spec = quality, specificity
		} else if specificity == *spec && quality > *q {
			*q = quality
		}
	}
	for accept != "" {
		var part string
		part, accept, _ = strings.Cut(accept, ",")
		mediaRange, params, _ := strings.Cut(part, ";")
		mediaRange = strings.TrimSpace(mediaRange)
		q := qualityOf(params)
		switch {
		case strings.EqualFold(mediaRange, "application/json"), isJSONSuffixType(mediaRange):
			note(&jsonQ, &jsonSpec, q, 2)
		case strings.EqualFold(mediaRange, "text/html"):
			note(&htmlQ, &htmlSpec, q, 2)
		case strings.EqualFold(mediaRange, "application/*"):
			note(&jsonQ, &jsonSpec, q, 1)
		case strings.EqualFold(mediaRange, "text/*"):
			note(&htmlQ, &htmlSpec, q, 1)
		case mediaRange == "*/*":
			note(&jsonQ, &jsonSpec, q, 0)
			note(&htmlQ, &htmlSpec, q, 0)
		}
	}
	if jsonSpec < 0 || jsonQ <= 0 {
		return false
	}
	if jsonQ != htmlQ {
		return jsonQ > htmlQ
	}
	return jsonSpec > htmlSpec
}

// qualityOf returns the q parameter of a media range's parameters
// (" q=0.8; level=1"); 1 when absent, 1 when unparsable, clamped to [0, 1].
func qualityOf(params string) float64 {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		switch {
		case err != nil || q != q: // unparsable or NaN
			return 1
		case q < 0:
			return 0
		case q > 1:
			return 1
		}
		return q
	}
	return 1
}

// isJSONSuffixType reports application/<anything>+json.
func isJSONSuffixType(mediaType string) bool {
	const prefix, suffix = "application/", "+json"
	return len(mediaType) > len(prefix)+len(suffix) &&
		strings.EqualFold(mediaType[:len(prefix)], prefix) &&
		strings.EqualFold(mediaType[len(mediaType)-len(suffix):], suffix)
}

// IsJSONContentType reports whether a Content-Type value is JSON.
func IsJSONContentType(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.TrimSpace(mediaType)
	return strings.EqualFold(mediaType, "application/json") || isJSONSuffixType(mediaType)
}

// IsHTMLContentType reports whether a Content-Type value is HTML.
func IsHTMLContentType(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.TrimSpace(mediaType)
	return strings.EqualFold(mediaType, "text/html") || strings.EqualFold(mediaType, "application/xhtml+xml")
}

// IsPlainTextContentType reports whether a Content-Type value is text/plain.
func IsPlainTextContentType(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), "text/plain")
}
