// Package browsertest drives a headless Chromium in tests: one Chromium per
// package, a browser context (a profile) per test, a tab per subtest,
// JavaScript dialogs recorded and dismissed (a page that opens one was made
// to run code it should not have), and the page's uncaught errors recorded,
// to say why a wait failed.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/internal/testwait"
)

// Chromium is one headless Chromium shared by the browser tests of a
// package, started by the first of them: a start costs about two seconds
// of CPU, which a small machine running the suite needs for the pages
// under test. Each test still has a browser of its own (New), with its own
// cookies and storage. A package keeps one in a variable and closes it in
// TestMain once its tests have run.
type Chromium struct {
	// Flags are Chromium's command-line flags beyond this package's own,
	// such as fake cameras.
	Flags []chromedp.ExecAllocatorOption

	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
}

// Browser is a browser context of the shared Chromium, as separate from
// other tests' as another profile: its tabs share cookies and storage with
// each other only.
type Browser struct {
	ctx context.Context
	id  cdp.BrowserContextID
}

// New gives t a browser of its own, closed when t and its subtests are
// done, or skips t saying why it cannot (and fails it when
// RELAYDESK_REQUIRE_BROWSER is set, as CI does).
func (c *Chromium) New(t *testing.T) *Browser {
	t.Helper()
	exe := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		if os.Getenv("RELAYDESK_REQUIRE_BROWSER") != "" {
			t.Fatal("Chromium is required (RELAYDESK_REQUIRE_BROWSER is set) but not installed: apt-get install chromium")
		}
		t.Skip("Chromium is not installed (apt-get install chromium); skipping the browser test")
	}
	c.once.Do(func() { c.start(exe) })
	if c.err != nil {
		t.Fatalf("start Chromium: %v", c.err)
	}
	id, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(cdp.WithExecutor(c.ctx, chromedp.FromContext(c.ctx).Browser))
	if err != nil {
		t.Fatalf("open a browser context: %v", err)
	}
	t.Cleanup(func() {
		// Closing the context closes its tabs; a Chromium that is gone
		// has closed them already.
		_ = target.DisposeBrowserContext(id).Do(cdp.WithExecutor(c.ctx, chromedp.FromContext(c.ctx).Browser))
	})
	return &Browser{ctx: c.ctx, id: id}
}

func (c *Chromium) start(exe string) {
	// No user data directory is given: chromedp makes a profile of its own
	// and removes it once Chromium has exited.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, c.Flags...)...)
	// Events of a newer Chromium that chromedp does not know are no error of
	// the page's: they stay out of the run's output.
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithErrorf(func(format string, args ...any) {
		if !strings.HasPrefix(format, "unhandled") {
			log.Printf(format, args...)
		}
	}))
	c.ctx = ctx
	c.cancel = func() { cancel(); cancelAlloc() }
	c.err = chromedp.Run(ctx)
}

// Run runs a package's tests (m.Run) and then closes Chromium; TestMain
// exits with what it returns.
func (c *Chromium) Run(m *testing.M) int {
	defer c.Close()
	return m.Run()
}

// Close ends Chromium, if a test started it, and waits for it to exit.
func (c *Chromium) Close() {
	c.once.Do(func() {}) // no start after this
	if c.cancel != nil {
		c.cancel()
	}
}

// AllowDownloads saves what the browser's pages download in dir.
func (b *Browser) AllowDownloads(dir string) chromedp.Action {
	return chromedp.ActionFunc(func(context.Context) error {
		return browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithBrowserContextID(b.id).
			WithDownloadPath(dir).Do(cdp.WithExecutor(b.ctx, chromedp.FromContext(b.ctx).Browser))
	})
}

// Tab is one tab of the browser, for one test.
type Tab struct {
	Ctx context.Context
	t   *testing.T

	mu      sync.Mutex
	dialogs []string
	errors  []string
}

// Tab opens a tab for t, closed when t is done. Each tab has a window of
// its own: a tab behind another is hidden, and a hidden page neither
// renders nor loads what it loads lazily.
func (b *Browser) Tab(t *testing.T) *Tab {
	t.Helper()
	c := chromedp.FromContext(b.ctx)
	id, err := target.CreateTarget("about:blank").WithNewWindow(true).WithBrowserContextID(b.id).Do(cdp.WithExecutor(b.ctx, c.Browser))
	if err != nil {
		t.Fatalf("open a window: %v", err)
	}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	ctx, cancelDeadline := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelDeadline)
	tab := &Tab{Ctx: ctx, t: t}
	chromedp.ListenTarget(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			tab.mu.Lock()
			tab.dialogs = append(tab.dialogs, string(d.Type)+": "+d.Message)
			tab.mu.Unlock()
			go page.HandleJavaScriptDialog(false).Do(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Target))
		}
		if ex, ok := ev.(*runtime.EventExceptionThrown); ok && ex.ExceptionDetails != nil {
			d := ex.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			tab.mu.Lock()
			tab.errors = append(tab.errors, fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber+1))
			tab.mu.Unlock()
		}
	})
	// Every tab acts as the window in front, as a person's would: pages that
	// look at document.hasFocus() (read marks) behave as for them.
	tab.Run("open a tab", emulation.SetFocusEmulationEnabled(true))
	return tab
}

// Run runs actions, failing the test with what it was doing.
func (tab *Tab) Run(what string, actions ...chromedp.Action) {
	tab.t.Helper()
	if err := chromedp.Run(tab.Ctx, actions...); err != nil {
		tab.t.Fatalf("%s: %v%s", what, err, tab.pageErrors())
	}
}

// Errors are the uncaught JavaScript errors of the tab's pages.
func (tab *Tab) Errors() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.errors...)
}

func (tab *Tab) pageErrors() string {
	if errs := tab.Errors(); len(errs) > 0 {
		return fmt.Sprintf("\nthe page threw: %q", errs)
	}
	return ""
}

// Eval evaluates a JavaScript expression (awaiting a promise) into out.
func (tab *Tab) Eval(expr string, out any) error {
	return chromedp.Run(tab.Ctx, chromedp.Evaluate(expr, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// WaitUntil polls a JavaScript expression until it is true.
func (tab *Tab) WaitUntil(what, expr string) {
	tab.t.Helper()
	testwait.Until(tab.t, what, func() error {
		var ok bool
		err := tab.Eval(expr, &ok)
		if err == nil && !ok {
			err = fmt.Errorf("%s is false%s", expr, tab.pageErrors())
		}
		return err
	})
}

// Dialogs are the JavaScript dialogs (alert, confirm, prompt) the tab's
// pages opened, as "type: message".
func (tab *Tab) Dialogs() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.dialogs...)
}

// PNG is a w×h picture, as a screenshot a customer would send: big enough
// to change the height of a chat when its preview loads.
func PNG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: byte(x), G: byte(y), B: 160, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// Viewport sizes the tab's page as a w×h window would.
func (tab *Tab) Viewport(w, h int64) {
	tab.t.Helper()
	tab.Run(fmt.Sprintf("size the window %d×%d", w, h), chromedp.EmulateViewport(w, h))
}

// Screenshot saves what the tab shows as testdata/screenshots/name.png, as
// Shot does.
func (tab *Tab) Screenshot(name string) {
	tab.t.Helper()
	tab.Run("screenshot "+name, Shot(name))
}

// Shot saves what the page shows (the viewport, as a person sees it) as
// testdata/screenshots/name.png of the test's package, for people to look
// at, when RELAYDESK_SCREENSHOTS is set: the files are kept in the
// repository, and a run that does not mean to renew them leaves them be.
func Shot(name string) chromedp.Action { return shot(name, false) }

// FullShot is Shot of the whole page, scrolled or not.
func FullShot(name string) chromedp.Action { return shot(name, true) }

func shot(name string, full bool) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if os.Getenv("RELAYDESK_SCREENSHOTS") == "" {
			return nil
		}
		var buf []byte
		var err error
		if full {
			err = chromedp.FullScreenshot(&buf, 100).Do(ctx) // quality 100 makes a PNG
		} else {
			err = chromedp.CaptureScreenshot(&buf).Do(ctx)
		}
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		dir := filepath.Join("testdata", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}
