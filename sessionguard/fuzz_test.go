package sessionguard

import (
	"html"
	"strings"
	"testing"
)

// FuzzScanCSRFToken checks the page scanner: it never panics, and what it
// answers is a token-shaped value that occurs in the page.
func FuzzScanCSRFToken(f *testing.F) {
	for _, s := range []string{
		`<head><script>window.CSRF_TOKEN = "abc";</script></head>`,
		`<body><input type="hidden" name="csrfmiddlewaretoken" value="Tok0">`,
		`<script>window.CSRF_TOKEN='x'</script><input name=csrfmiddlewaretoken value=y>`,
		`<script>window.CSRF_TOKEN = "a<b";</script>`, `<script>window.CSRF_TOKEN`, `<input name="csrfmiddlewaretoken"`,
		`<textarea><input name="csrfmiddlewaretoken" value="no"></textarea>`, "<!-- <script>window.CSRF_TOKEN='c'</script> -->",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, page string, stopAtBody bool) {
		tok := scanCSRFToken(strings.NewReader(page), stopAtBody)
		if tok == "" {
			return
		}
		if !isTokenValue([]byte(tok)) {
			t.Fatalf("scanCSRFToken(%q) = %q: not a token", page, tok)
		}
		if !strings.Contains(page, tok) && !strings.Contains(html.UnescapeString(page), tok) {
			t.Fatalf("scanCSRFToken(%q) = %q: not in the page", page, tok)
		}
	})
}
