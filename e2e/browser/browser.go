// Package browser drives a real headless Chromium (Debian's chromium) for
// the end-to-end tests, with chromedp: one browser per test, a tab per
// page, JavaScript alerts recorded, and a screenshot of every tab saved when
// the test fails.
package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hhgate/hhgate/testenv"
)

// DefaultChromium is where Debian's chromium package puts the browser.
// HHGATE_CHROMIUM overrides it.
const DefaultChromium = "/usr/bin/chromium"

// Deadlines of the waits. They bound how long a test waits for something
// the page must do (a dialog, an alert, a navigation); a correct page does
// it in well under a second, but the machine may be busy.
const (
	WaitTimeout  = 20 * time.Second
	pollInterval = 50 * time.Millisecond
)

// Browser is one headless Chromium process.
type Browser struct {
	ctx context.Context // a chromedp context holding the browser
	t   testing.TB
}

// Chromium returns the browser binary, or an error saying how to get it.
func Chromium() (string, error) {
	path := os.Getenv("HHGATE_CHROMIUM")
	if path == "" {
		path = DefaultChromium
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("Chromium not found at %s (%v): `make test` installs it (apt-get install -y chromium), or set HHGATE_CHROMIUM", path, err)
	}
	return path, nil
}

// Start launches Chromium with a fresh profile and stops it when the test
// ends. A missing browser fails the test: these tests are part of `make
// test`, which installs it.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, err := Chromium()
	if err != nil {
		t.Fatal(err)
	}
	profile, err := os.MkdirTemp("", "hhgate-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	out := &logBuffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(out),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(profile) // best effort: a helper process may still hold a file
		if t.Failed() && out.Len() > 0 {
			t.Logf("chromium output:\n%s", out.String())
		}
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v\n%s", path, err, out.String())
	}
	return &Browser{ctx: ctx, t: t}
}

// NewTab opens a tab in a browser context of its own: its own cookies, as a
// separate browser profile would have.
func (b *Browser) NewTab(t testing.TB, name string) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	return openTab(t, ctx, cancel, name)
}

// Tab is one page of the browser.
type Tab struct {
	Name string
	t    testing.TB
	ctx  context.Context

	mu     sync.Mutex
	alerts []string
	alert  chan struct{} // signalled on every alert
}

func openTab(t testing.TB, ctx context.Context, cancel context.CancelFunc, name string) *Tab {
	t.Helper()
	tab := &Tab{Name: name, t: t, ctx: ctx, alert: make(chan struct{}, 64)}
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("tab %s: %v", name, err)
	}
	// Registered after cancel, so it runs before it: the tab is still there.
	t.Cleanup(func() {
		if t.Failed() {
			tab.saveArtifacts()
		}
	})
	tab.acceptAlerts()
	return tab
}

// NewTab opens another tab in the same browser context (same cookies), as
// a user opening a second tab would.
func (tab *Tab) NewTab(name string) *Tab {
	tab.t.Helper()
	ctx, cancel := chromedp.NewContext(tab.ctx)
	return openTab(tab.t, ctx, cancel, name)
}

// acceptAlerts records every alert() and accepts it, so that the page
// carries on. The plugin reports the outcome of its sync with alert().
func (tab *Tab) acceptAlerts() {
	dialogs := chromedp.Events(tab.ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tab.mu.Lock()
			tab.alerts = append(tab.alerts, ev.Message)
			tab.mu.Unlock()
			select {
			case tab.alert <- struct{}{}:
			default:
			}
			_, _ = chromedp.Call(tab.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
}

// Alerts returns the messages of the alerts shown so far.
func (tab *Tab) Alerts() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.alerts...)
}

// WaitAlerts waits until n alerts were shown and returns them.
func (tab *Tab) WaitAlerts(n int) []string {
	tab.t.Helper()
	deadline := time.NewTimer(WaitTimeout)
	defer deadline.Stop()
	for {
		if got := tab.Alerts(); len(got) >= n {
			return got
		}
		select {
		case <-tab.alert:
		case <-deadline.C:
			tab.t.Fatalf("tab %s: %d alert(s) after %s, want %d: %q", tab.Name, len(tab.Alerts()), WaitTimeout, n, tab.Alerts())
		}
	}
}

// Do runs actions in the tab, failing the test on error.
func (tab *Tab) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, WaitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tab.t.Fatalf("tab %s: %s: %v", tab.Name, what, err)
	}
}

// Navigate loads url and waits for its load event.
func (tab *Tab) Navigate(url string) {
	tab.t.Helper()
	tab.Do("navigate to "+url, chromedp.Navigate(url))
}

// Click clicks the element with real mouse events (a user gesture, so the
// page may open a popup) at the centre of its box, once it is shown. The
// box comes from the page's own script, not from chromedp's DOM tracking:
// that loses the frame when a document is replaced just after a
// navigation ("received DOM.documentUpdated when there's no top-level
// frame") and then waits for the node until the deadline.
func (tab *Tab) Click(css string) {
	tab.t.Helper()
	tab.WaitFor(css+" to be shown", fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) return false;
		el.scrollIntoView({block: 'center', inline: 'center'});
		const r = el.getBoundingClientRect();
		return r.width > 0 && r.height > 0;
	})()`, css))
	centre := Eval[[]float64](tab, fmt.Sprintf(`(() => {
		const r = document.querySelector(%q).getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`, css))
	tab.Do("click "+css, chromedp.MouseClickXY(centre[0], centre[1]))
}

// PressEscape sends the Escape key to the page, as a user would.
func (tab *Tab) PressEscape() {
	tab.t.Helper()
	tab.Do("press Escape", chromedp.KeyEvent(kb.Escape))
}

// Fill sets the value of a form field.
func (tab *Tab) Fill(css, value string) {
	tab.t.Helper()
	tab.Do("fill "+css, chromedp.SetValue(chromedp.CSS(css), value))
}

// Eval evaluates a JavaScript expression in the tab (promises are awaited)
// and decodes its value.
func Eval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	v, err := evaluate[T](tab.ctx, expr)
	if err != nil {
		tab.t.Fatalf("tab %s: evaluating %s: %v", tab.Name, expr, err)
	}
	return v
}

func evaluate[T any](ctx context.Context, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, WaitTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// WaitFor waits until the JavaScript expression is true, polling from Go
// so that it survives the page navigating meanwhile, and fails the test
// with what after WaitTimeout. It returns as soon as the page is there.
func (tab *Tab) WaitFor(what, expr string) {
	tab.t.Helper()
	if err := tab.poll(expr, WaitTimeout); err != nil {
		tab.t.Fatalf("tab %s: waiting for %s (%s): %v", tab.Name, what, expr, err)
	}
}

func (tab *Tab) poll(expr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last error
	for {
		ok, err := evaluate[bool](tab.ctx, "!!("+expr+")")
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err // the page may be between two documents
		}
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("not true after %s (last error: %w)", timeout, last)
			}
			return fmt.Errorf("not true after %s", timeout)
		}
		select {
		case <-tab.ctx.Done():
			return tab.ctx.Err()
		case <-tick.C:
		}
	}
}

// Popup runs open (a click that opens a window) and returns the tab of the
// window it opened.
func (tab *Tab) Popup(open func()) *Tab {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, WaitTimeout)
	defer cancel()
	opened := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool { return info.Type == "page" })
	open()
	id, ok := <-opened
	if !ok || id == "" {
		tab.t.Fatalf("tab %s: no window opened within %s", tab.Name, WaitTimeout)
	}
	popupCtx, popupCancel := chromedp.NewContext(tab.ctx, chromedp.WithTargetID(id))
	popup := &Tab{Name: tab.Name + "-popup", t: tab.t, ctx: popupCtx, alert: make(chan struct{}, 64)}
	tab.t.Cleanup(popupCancel)
	if err := chromedp.Do(popupCtx); err != nil {
		tab.t.Fatalf("attaching to the popup: %v", err)
	}
	return popup
}

// OnNewDocument has the tab run script at the start of every document it
// loads from now on, before the page's own scripts (e.g. to count page
// loads in sessionStorage).
func (tab *Tab) OnNewDocument(script string) {
	tab.t.Helper()
	tab.Do("add a script to every new document", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	}))
}

// Screenshot saves a screenshot of the tab's viewport as
// <artifacts>/<test>-<name>.png and returns the file's path.
func (tab *Tab) Screenshot(name string) string {
	tab.t.Helper()
	return tab.saveShot(name, "screenshot", chromedp.CaptureScreenshot())
}

// FullScreenshot saves a screenshot of the whole page (not only the
// viewport) as <artifacts>/<test>-<name>.png and returns the file's path.
func (tab *Tab) FullScreenshot(name string) string {
	tab.t.Helper()
	return tab.saveShot(name, "full screenshot", chromedp.FullScreenshot(100))
}

// saveShot runs a screenshot action and writes its image to the artifacts.
func (tab *Tab) saveShot(name, what string, shot chromedp.Action[[]byte]) string {
	tab.t.Helper()
	dir, err := ArtifactDir()
	if err != nil {
		tab.t.Fatalf("no artifact directory: %v", err)
	}
	ctx, cancel := context.WithTimeout(tab.ctx, WaitTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		tab.t.Fatalf("tab %s: %s: %v", tab.Name, what, err)
	}
	file := filepath.Join(dir, safeName(tab.t.Name())+"-"+safeName(name)+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		tab.t.Fatalf("saving the screenshot: %v", err)
	}
	return file
}

// saveArtifacts writes a screenshot and the DOM of the tab's final state
// to $HHGATE_ARTIFACTS (default: artifacts/ at the repository root).
func (tab *Tab) saveArtifacts() {
	dir, err := ArtifactDir()
	if err != nil {
		tab.t.Logf("no artifact directory: %v", err)
		return
	}
	base := filepath.Join(dir, safeName(tab.t.Name())+"-"+safeName(tab.Name))
	ctx, cancel := context.WithTimeout(tab.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90)); err == nil {
		if err := os.WriteFile(base+".png", png, 0o644); err == nil {
			tab.t.Logf("screenshot of tab %s: %s", tab.Name, base+".png")
		}
	} else {
		tab.t.Logf("screenshot of tab %s: %v", tab.Name, err)
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.documentElement.outerHTML`)); err == nil {
		_ = os.WriteFile(base+".html", []byte(html), 0o644)
	}
}

// ArtifactDir is $HHGATE_ARTIFACTS, or artifacts/ at the repository root;
// it is created if needed.
func ArtifactDir() (string, error) {
	dir := os.Getenv("HHGATE_ARTIFACTS")
	if dir == "" {
		root, err := testenv.RepoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "_") }

// logBuffer keeps the browser's output for the failure log.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() < 64<<10 {
		l.buf.Write(p)
	}
	return len(p), nil
}

func (l *logBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Len()
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
