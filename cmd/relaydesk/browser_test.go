package main_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdpfetch "github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/internal/testwait"
)

// freePort picks a loopback port for PUBLIC_URL, which must be known before
// serve starts (the console checks Origin against it).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// screenshots is where the browser test leaves pictures for people to look
// at (ignored by git).
func screenshots(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func shot(t *testing.T, dir, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var buf []byte
		if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil { // quality 100 makes a PNG
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}

// TestBrowser is the whole product in a real browser: a customer on a
// third-party page opens a request through the embedded widget, with a
// file; a technician in the console sees it arrive live, takes it, joins,
// answers with text and a file; the customer sees the answer live and
// downloads the file; the technician ends the chat and closes the request.
// A technician of another company never sees any of it.
func TestBrowser(t *testing.T) {
	t.Parallel()
	pics := screenshots(t)
	addr := freePort(t)
	base := "http://" + addr
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "relaydesk.db")
	p := newProgram(t, dbURL)
	p.env["HTTP_ADDR"] = addr
	p.env["PUBLIC_URL"] = base

	admin := func(stdin string, args ...string) string {
		t.Helper()
		code, out, errs := p.run(stdin, append([]string{"admin"}, args...)...)
		if code != 0 {
			t.Fatalf("admin %v: exit %d\n%s", args, code, errs)
		}
		return out
	}
	admin("", "company", "create", "--name", "Acme", "--slug", "acme")
	admin("", "company", "create", "--name", "Globex", "--slug", "globex")
	admin("alice-password-1\n", "tech", "create", "--email", "alice@acme.test", "--name", "Alice", "--password-stdin")
	admin("carol-password-1\n", "tech", "create", "--email", "carol@globex.test", "--name", "Carol", "--password-stdin")
	admin("", "access", "grant", "--tech", "alice@acme.test", "--company", "acme")
	admin("", "access", "grant", "--tech", "carol@globex.test", "--company", "globex")
	key := regexp.MustCompile(`pk_[0-9a-z]+`).FindString(admin("", "company", "key", "acme"))
	if key == "" {
		t.Fatal("no portal key printed")
	}

	srv := p.serve()
	errb := srv.log

	// Someone else's web site, with the snippet pasted in.
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Acme Printers</title></head><body style="font-family:serif">
<h1>Acme Printers</h1><p>Our printers never catch fire.</p>
<script src="%s/widget.js" data-key="%s" async></script></body></html>`, base, key)
	}))
	defer host.Close()

	files := t.TempDir()
	shotPNG := filepath.Join(files, "printer.png")
	if err := os.WriteFile(shotPNG, pngFixture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	fixLog := filepath.Join(files, "fix-steps.txt")
	fixBody := "1. Unplug the printer.\n2. Wait ten seconds.\n"
	if err := os.WriteFile(fixLog, []byte(fixBody), 0o644); err != nil {
		t.Fatal(err)
	}

	// One browser per person: separate cookie jars, as on three machines.
	customerBrowser := chromium.New(t)
	alice, carol, customer := browserFor(t), browserFor(t), customerBrowser.Tab(t).Ctx
	run := func(ctx context.Context, what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v\nserver log:\n%s", what, err, errb.String())
		}
	}

	signInAvailable(t, alice, base, "alice@acme.test", "alice-password-1", run)
	signInAvailable(t, carol, base, "carol@globex.test", "carol-password-1", run)

	// The customer opens the widget on the host page and asks for help.
	var frames []*cdp.Node
	run(customer, "open the widget",
		chromedp.Navigate(host.URL),
		chromedp.WaitVisible(`button[data-relaydesk="button"]`, chromedp.ByQuery),
		chromedp.Click(`button[data-relaydesk="button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`iframe[data-relaydesk="frame"]`, chromedp.ByQuery),
		chromedp.Nodes(`iframe[data-relaydesk="frame"]`, &frames, chromedp.ByQuery),
	)
	in := chromedp.FromNode(frames[0])
	run(customer, "open a request",
		chromedp.WaitVisible("#email", chromedp.ByQuery, in),
		shot(t, pics, "widget-open-form"),
		chromedp.SendKeys("#email", "customer@example.com", chromedp.ByQuery, in),
		chromedp.SendKeys("#name", "Pat", chromedp.ByQuery, in),
		chromedp.SendKeys("#message", "My printer is on fire", chromedp.ByQuery, in),
		chromedp.Click("#open", chromedp.ByQuery, in),
		chromedp.WaitVisible("#composer", chromedp.ByQuery, in),
		chromedp.SetUploadFiles("#file", []string{shotPNG}, chromedp.ByQuery, in),
		chromedp.WaitVisible(`#messages a.file-link`, chromedp.ByQuery, in),
	)

	// Alice sees it arrive in New without reloading, and takes it.
	var reqID string
	var ok bool
	run(alice, "see the request arrive",
		chromedp.WaitVisible(`#requests li[data-id]`, chromedp.ByQuery),
		chromedp.AttributeValue(`#requests li[data-id]`, "data-id", &reqID, &ok, chromedp.ByQuery),
		shot(t, pics, "console-new-request"),
		chromedp.Click(`#requests li[data-id] .row-main`, chromedp.ByQuery),
		chromedp.WaitVisible(`#details button[data-action="assign"]`, chromedp.ByQuery),
		chromedp.Click(`#details button[data-action="assign"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#details button[data-action="join"]`, chromedp.ByQuery),
		chromedp.Click(`#details button[data-action="join"]`, chromedp.ByQuery),
		// Joined: now the chat can be ended, and messages reach the customer.
		chromedp.WaitVisible(`#details button[data-action="end"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#composer", chromedp.ByQuery),
		// Enter sends, as the composer's placeholder says.
		chromedp.SendKeys("#composer", "Hi Pat, I am on it. Please unplug it first.\r", chromedp.ByQuery),
		chromedp.SetUploadFiles("#file", []string{fixLog}, chromedp.ByQuery),
	)
	if !ok || reqID == "" {
		t.Fatal("the request row has no data-id")
	}
	waitText(t, alice, "#messages", "I am on it")
	waitText(t, alice, "#messages", "fix-steps.txt")
	waitText(t, alice, "#messages", "My printer is on fire")
	waitText(t, alice, "#messages", "printer.png")
	run(alice, "screenshot", shot(t, pics, "console-chat"))

	// The customer sees the answer live and downloads the technician's file.
	waitText(t, customer, "#messages", "I am on it", in)
	waitText(t, customer, "#messages", "Alice joined the chat", in)
	downloads := t.TempDir()
	run(customer, "download the technician's file",
		customerBrowser.AllowDownloads(downloads),
		chromedp.WaitVisible(`#messages li.msg-technician a.file-link`, chromedp.ByQuery, in),
		chromedp.Click(`#messages li.msg-technician a.file-link`, chromedp.ByQuery, in),
		shot(t, pics, "widget-chat"),
	)
	waitFile(t, filepath.Join(downloads, "fix-steps.txt"), fixBody)

	// relaydesk cannot be reached when the customer sends: the message
	// stays in the chat marked not sent, and Retry sends it, once.
	var failOnce atomic.Bool
	failOnce.Store(true)
	chromedp.ListenTarget(customer, func(ev any) {
		e, ok := ev.(*cdpfetch.EventRequestPaused)
		if !ok {
			return
		}
		go func() {
			c := cdp.WithExecutor(customer, chromedp.FromContext(customer).Target)
			if failOnce.Swap(false) {
				cdpfetch.FailRequest(e.RequestID, network.ErrorReasonConnectionRefused).Do(c)
				return
			}
			cdpfetch.ContinueRequest(e.RequestID).Do(c)
		}()
	})
	run(customer, "send while relaydesk cannot be reached",
		cdpfetch.Enable().WithPatterns([]*cdpfetch.RequestPattern{{URLPattern: "*/api/widget/messages*"}}),
		chromedp.SendKeys("#composer", "Unplugged. Still smoking.\r", chromedp.ByQuery, in),
		chromedp.WaitVisible(`#messages [data-testid="retry"]`, chromedp.ByQuery, in),
		shot(t, pics, "widget-not-sent"),
		chromedp.Click(`#messages [data-testid="retry"]`, chromedp.ByQuery, in),
		chromedp.WaitNotPresent(`#messages [data-testid="pending-message"]`, chromedp.ByQuery, in),
		cdpfetch.Disable(),
	)
	waitText(t, customer, `#messages [data-testid="send-status"][data-state="sent"]`, "Sent", in)
	waitText(t, alice, "#messages", "Still smoking")
	var copies int
	run(alice, "count the customer's message",
		chromedp.Evaluate(`[...document.querySelectorAll('#messages li')].filter((l) => l.textContent.includes('Still smoking')).length`, &copies))
	if copies != 1 {
		t.Fatalf("the retried message shows %d times in the console", copies)
	}

	// Alice ends the chat and closes the request with a note: once the
	// chat ended, closing is the primary action, confirmed in a dialog.
	run(alice, "end and close",
		chromedp.WaitVisible(`#details button[data-action="end"]`, chromedp.ByQuery),
		chromedp.Click(`#details button[data-action="end"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#details button[data-action="close"].primary`, chromedp.ByQuery),
		chromedp.Click(`#details button[data-action="close"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#closing-note", chromedp.ByQuery),
		chromedp.SendKeys("#closing-note", "Unplugged; the fire is out.", chromedp.ByQuery),
		chromedp.Click("#close-confirm", chromedp.ByQuery),
	)
	waitText(t, customer, "#messages", "The chat has ended", in)
	waitText(t, customer, "#messages", "Request closed", in)
	run(alice, "see it under Completed",
		chromedp.Click("#view-completed", chromedp.ByQuery),
		chromedp.WaitVisible(`#requests li[data-id="`+reqID+`"]`, chromedp.ByQuery),
		shot(t, pics, "console-completed"),
	)
	run(alice, "open Mine", chromedp.Click("#view-mine", chromedp.ByQuery))
	waitUntil(t, alice, "the request leaves My Support Requests",
		`document.querySelector('#view-mine[aria-current="page"]') && !document.querySelector('#requests [data-id="`+reqID+`"]')`)
	var notes string
	run(customer, "the closing note stays inside", chromedp.Text("#messages", &notes, chromedp.ByQuery, in))
	if strings.Contains(notes, "fire is out") {
		t.Fatal("the customer sees the closing note")
	}

	// Carol serves Globex only: none of this ever reached her console.
	run(carol, "look at every view", chromedp.Click("#view-all", chromedp.ByQuery), chromedp.WaitVisible("#requests", chromedp.ByQuery))
	waitUntil(t, carol, "Carol's list has loaded", `document.querySelector('#requests') !== null`)
	var html string
	run(carol, "read Carol's page", chromedp.OuterHTML("body", &html, chromedp.ByQuery), shot(t, pics, "console-other-company"))
	if strings.Contains(html, reqID) || strings.Contains(html, "customer@example.com") {
		t.Fatal("Carol's console shows Acme's request")
	}
}

// browserFor gives one person a browser of their own in the package's
// Chromium (its own cookie jar, as on another machine) and a tab in it,
// closed when t ends.
func browserFor(t *testing.T) context.Context {
	t.Helper()
	return chromium.New(t).Tab(t).Ctx
}

// signInAvailable signs a technician in to the console, sets them
// Available as a person would (until the server has it: the page's script
// may still be loading at first) and opens the New view.
func signInAvailable(t *testing.T, ctx context.Context, base, email, password string,
	run func(ctx context.Context, what string, actions ...chromedp.Action)) {
	t.Helper()
	run(ctx, "sign in as "+email,
		chromedp.Navigate(base+"/console/login"),
		chromedp.WaitVisible("#email", chromedp.ByQuery),
		chromedp.SendKeys("#email", email, chromedp.ByQuery),
		chromedp.SendKeys("#password", password, chromedp.ByQuery),
		chromedp.Click("#login", chromedp.ByQuery),
		chromedp.WaitVisible("#requests", chromedp.ByQuery),
	)
	waitUntil(t, ctx, "the availability is saved", `fetch('/console/api/me').then(r => r.json()).then(m => {
		if (m.availability === 'available') return true;
		const s = document.querySelector('#availability');
		s.value = 'available';
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return false;
	})`)
	run(ctx, "open the New view", chromedp.Click("#view-new", chromedp.ByQuery))
}

// waitText polls until the element's text contains want: a condition with
// a deadline, not a fixed delay.
func waitText(t *testing.T, ctx context.Context, sel, want string, opts ...chromedp.QueryOption) {
	t.Helper()
	testwait.Until(t, fmt.Sprintf("%s to show %q", sel, want), func() error {
		var text string
		err := chromedp.Run(ctx, chromedp.Text(sel, &text, append([]chromedp.QueryOption{chromedp.ByQuery}, opts...)...))
		if err != nil {
			return err
		}
		if !strings.Contains(text, want) {
			return fmt.Errorf("it shows:\n%s", text)
		}
		return nil
	})
}

// waitUntil polls a JavaScript expression (which may return a promise)
// until it is true.
func waitUntil(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	testwait.Until(t, what, func() error {
		var ok bool
		err := chromedp.Run(ctx, chromedp.Evaluate(expr, &ok, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
			return p.WithAwaitPromise(true)
		}))
		if err == nil && !ok {
			err = fmt.Errorf("%s is false", expr)
		}
		return err
	})
}

// waitFile waits for a download to finish with the expected content.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	testwait.Until(t, path+" to be downloaded with the right content", func() error {
		if b, err := os.ReadFile(path); err == nil && string(b) == want {
			return nil
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		return fmt.Errorf("the folder has %v", entries)
	})
}

// pngFixture is a small real PNG, as a screenshot a customer would send.
func pngFixture(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
