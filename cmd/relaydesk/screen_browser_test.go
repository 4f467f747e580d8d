package main_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/internal/testwait"
)

// newAcme runs relaydesk on a SQLite desk with a company Acme and its
// technician Alice (alice@acme.test, alice-password-1), after configure
// has had its say on the program; it returns the desk's URL, Acme's portal
// key and the server.
func newAcme(t *testing.T, configure func(*program)) (base, key string, srv *server) {
	t.Helper()
	addr := freePort(t)
	base = "http://" + addr
	p := newProgram(t, "sqlite:"+filepath.Join(t.TempDir(), "relaydesk.db"))
	p.env["HTTP_ADDR"] = addr
	p.env["PUBLIC_URL"] = base
	if configure != nil {
		configure(p)
	}
	admin := func(stdin string, args ...string) string {
		t.Helper()
		code, out, errs := p.run(stdin, append([]string{"admin"}, args...)...)
		if code != 0 {
			t.Fatalf("admin %v: exit %d\n%s", args, code, errs)
		}
		return out
	}
	admin("", "company", "create", "--name", "Acme", "--slug", "acme")
	admin("alice-password-1\n", "tech", "create", "--email", "alice@acme.test", "--name", "Alice", "--password-stdin")
	admin("", "access", "grant", "--tech", "alice@acme.test", "--company", "acme")
	key = regexp.MustCompile(`pk_[0-9a-z]+`).FindString(admin("", "company", "key", "acme"))
	return base, key, p.serve()
}

// liveEnv is relaydesk with a customer in the widget on a third-party page
// and Alice in the console, the request taken and its chat joined, in
// Chromium with fake devices and capture.
type liveEnv struct {
	alice, customer context.Context
	in              chromedp.QueryOption // inside the widget's iframe
	run             func(ctx context.Context, what string, actions ...chromedp.Action)
	srv             *server
}

func newLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	base, key, srv := newAcme(t, nil)

	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Acme Printers</title></head><body>
<h1>Acme Printers</h1><script src="%s/widget.js" data-key="%s" async></script></body></html>`, base, key)
	}))
	t.Cleanup(host.Close)

	alice, customer := browserFor(t), browserFor(t)
	run := func(ctx context.Context, what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v\nserver log:\n%s", what, err, srv.log.String())
		}
	}
	signInAvailable(t, alice, base, "alice@acme.test", "alice-password-1", run)

	var frames []*cdp.Node
	run(customer, "open a request in the widget",
		chromedp.Navigate(host.URL),
		chromedp.WaitVisible(`button[data-relaydesk="button"]`, chromedp.ByQuery),
		chromedp.Click(`button[data-relaydesk="button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`iframe[data-relaydesk="frame"]`, chromedp.ByQuery),
		chromedp.Nodes(`iframe[data-relaydesk="frame"]`, &frames, chromedp.ByQuery),
	)
	in := chromedp.FromNode(frames[0])
	openRequestIn(customer, in, "The dialog looks wrong", run)
	takeAndJoin(alice, run, chromedp.WaitVisible(`#details button[data-action="screenshare"]`, chromedp.ByQuery))
	return &liveEnv{alice: alice, customer: customer, in: in, run: run, srv: srv}
}

// openRequestIn opens Pat's request with message through the widget's
// start form in the frame in.
func openRequestIn(customer context.Context, in chromedp.QueryOption, message string,
	run func(ctx context.Context, what string, actions ...chromedp.Action)) {
	run(customer, "open a request",
		chromedp.WaitVisible("#email", chromedp.ByQuery, in),
		chromedp.SendKeys("#email", "pat@example.com", chromedp.ByQuery, in),
		chromedp.SendKeys("#name", "Pat", chromedp.ByQuery, in),
		chromedp.SendKeys("#message", message, chromedp.ByQuery, in),
		chromedp.Click("#open", chromedp.ByQuery, in),
		chromedp.WaitVisible("#composer", chromedp.ByQuery, in),
	)
}

// takeAndJoin has the signed-in technician take the first request in the
// list and join its chat, then do then.
func takeAndJoin(alice context.Context, run func(ctx context.Context, what string, actions ...chromedp.Action),
	then ...chromedp.Action) {
	run(alice, "take the request and join", append([]chromedp.Action{
		chromedp.WaitVisible(`#requests li[data-id] .row-main`, chromedp.ByQuery),
		chromedp.Click(`#requests li[data-id] .row-main`, chromedp.ByQuery),
		chromedp.WaitVisible(`#details button[data-action="assign"]`, chromedp.ByQuery),
		chromedp.Click(`#details button[data-action="assign"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#details button[data-action="join"]`, chromedp.ByQuery),
		chromedp.Click(`#details button[data-action="join"]`, chromedp.ByQuery),
	}, then...)...)
}

// TestBrowserScreenShare is a screen share in real browsers, with
// Chromium's fake capture: the customer in the widget on a third-party page
// is asked, shares, and the owner's console shows the screen moving; Stop on
// either side ends it on both; a declined ask sends nothing.
func TestBrowserScreenShare(t *testing.T) {
	t.Parallel()
	env := newLiveEnv(t)
	alice, customer, in, run, srv := env.alice, env.customer, env.in, env.run, env.srv

	// decoded is how many frames the console's viewer has decoded.
	const decoded = `(() => { const v = document.querySelector('#screen-video');
		return v && v.videoWidth > 0 && !document.querySelector('#screen-viewer').hidden ? v.getVideoPlaybackQuality().totalVideoFrames : 0; })()`
	// What a user waits for is logged (not asserted): from the
	// technician's click to the ask on the customer's screen, and from the
	// customer's consent click to the first frame in the console.
	ask := func(round string) {
		t.Helper()
		start := time.Now()
		run(alice, round+": ask to see the screen",
			chromedp.Click(`#details button[data-action="screenshare"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#details button[data-action="screenstop"]`, chromedp.ByQuery),
		)
		waitText(t, customer, "#screen-ask-text", "Alice asks to see your screen", in)
		t.Logf("%s: ask shown to the customer %s after the technician's click", round, time.Since(start).Round(time.Millisecond))
	}
	share := func(round string) {
		t.Helper()
		start := time.Now()
		run(customer, round+": share",
			chromedp.Click("#screen-share", chromedp.ByQuery, in),
			chromedp.WaitVisible("#screen-banner", chromedp.ByQuery, in),
		)
		waitUntil(t, alice, round+": the screen shows in the console", decoded+` > 0`)
		t.Logf("%s: first frame in the console %s after the customer's click", round, time.Since(start).Round(time.Millisecond))
		var first int
		run(alice, "count frames", chromedp.Evaluate(decoded, &first))
		waitUntil(t, alice, round+": the screen moves", fmt.Sprintf("%s > %d", decoded, first+10))
	}

	// 1. The customer shares, then stops from the banner.
	ask("first share")
	share("first share")
	waitText(t, alice, "#messages", "Pat shares their screen")

	// Recorded with the customer's consent: the customer sees it is on;
	// once stopped, the file plays in the console's chat.
	run(alice, "ask to record",
		chromedp.Click(`#details button[data-action="record"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#details button[data-action="recordstop"]`, chromedp.ByQuery))
	waitText(t, customer, "#record-ask-text", "Alice asks to record your shared screen", in)
	run(customer, "allow the recording",
		chromedp.Click("#record-allow", chromedp.ByQuery, in),
		chromedp.WaitVisible("#record-badge", chromedp.ByQuery, in))
	run(alice, "the console shows it records", chromedp.WaitVisible("#screen-recording", chromedp.ByQuery))
	var at int
	run(alice, "count frames", chromedp.Evaluate(decoded, &at))
	waitUntil(t, alice, "about two seconds recorded", fmt.Sprintf("%s > %d", decoded, at+30))
	run(alice, "stop recording", chromedp.Click(`#details button[data-action="recordstop"]`, chromedp.ByQuery))
	run(customer, "the badge goes", chromedp.WaitNotVisible("#record-badge", chromedp.ByQuery, in))
	waitUntil(t, alice, "the recording plays in the chat", `(() => {
		const v = document.querySelector('#messages video[data-testid="recording"]');
		return !!v && v.readyState >= 1 && v.duration > 1;
	})()`)
	waitUntil(t, alice, "the recording is a WebM file", `(async () => {
		const v = document.querySelector('#messages video[data-testid="recording"]');
		const b = new Uint8Array(await (await fetch(v.src)).arrayBuffer());
		return b.length > 10000 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3;
	})()`)
	var custText string
	run(customer, "read the customer's chat", chromedp.Text("#messages", &custText, chromedp.ByQuery, in))
	if strings.Contains(custText, ".webm") {
		t.Fatal("the customer sees the recording's file")
	}
	run(customer, "stop from the banner", chromedp.Click("#screen-stop", chromedp.ByQuery, in),
		chromedp.WaitNotVisible("#screen-banner", chromedp.ByQuery, in))
	waitUntil(t, alice, "the viewer closes", `document.querySelector('#screen-viewer').hidden`)
	waitText(t, alice, "#messages", "Pat stopped screen sharing")

	// 2. Asked again, shared again; the technician stops it.
	ask("second share")
	share("second share")
	run(alice, "stop from the console", chromedp.Click(`#details button[data-action="screenstop"]`, chromedp.ByQuery))
	waitUntil(t, alice, "the viewer closes", `document.querySelector('#screen-viewer').hidden`)
	run(customer, "the banner goes", chromedp.WaitNotVisible("#screen-banner", chromedp.ByQuery, in))
	waitText(t, customer, "#messages", "Screen sharing has ended", in)

	// 3. Declined: nothing is shared, the console shows no viewer.
	ask("declined")
	run(customer, "decline", chromedp.Click("#screen-decline", chromedp.ByQuery, in),
		chromedp.WaitNotVisible("#screen-ask", chromedp.ByQuery, in))
	waitText(t, alice, "#messages", "Pat declined to share their screen")
	var viewerHidden bool
	run(alice, "no viewer", chromedp.Evaluate(`document.querySelector('#screen-viewer').hidden`, &viewerHidden))
	if !viewerHidden {
		t.Fatal("the console shows a viewer for a declined share")
	}
	if strings.Contains(srv.log.String(), "level=ERROR") {
		t.Errorf("the server logged errors:\n%s", srv.log.String())
	}
}

// TestBrowserCall is a call in real browsers with Chromium's fake camera
// and microphone: Alice rings, the customer answers with video, each side
// sees the other's video and gets the other's sound; the customer mutes;
// hanging up ends it on both.
func TestBrowserCall(t *testing.T) {
	t.Parallel()
	env := newLiveEnv(t)
	alice, customer, in, run := env.alice, env.customer, env.in, env.run
	run(alice, "ring the customer",
		chromedp.Click(`#details button[data-action="call"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#details button[data-action="callend"]`, chromedp.ByQuery))
	waitText(t, customer, "#call-ring-text", "Alice is calling you", in)
	run(customer, "answer with video",
		chromedp.Click("#call-video", chromedp.ByQuery, in),
		chromedp.WaitVisible("#call-panel", chromedp.ByQuery, in))
	// Both directions: video frames decoded and increasing, and a sound
	// track whose packets arrive (a remote track is muted until they do).
	flowing := `(async () => {
		const v = document.querySelector('video[data-testid="call-remote"]');
		if (!v || !v.srcObject || v.videoWidth === 0) return false;
		const a = v.srcObject.getAudioTracks()[0];
		if (!a || a.muted || a.readyState !== 'live') return false;
		const f0 = v.getVideoPlaybackQuality().totalVideoFrames;
		await new Promise((r) => setTimeout(r, 500));
		return v.getVideoPlaybackQuality().totalVideoFrames > f0;
	})()`
	waitUntil(t, alice, "the customer's video and sound reach the console", flowing)
	waitUntilIn(t, customer, "Alice's video and sound reach the customer", flowing)
	waitText(t, alice, "#messages", "Pat answered the call")

	// Recorded with the customer's consent: a WebM of the call plays in
	// the console's chat.
	run(alice, "ask to record the call",
		chromedp.Click(`#details button[data-action="record"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#details button[data-action="recordstop"]`, chromedp.ByQuery))
	waitText(t, customer, "#record-ask-text", "asks to record this call", in)
	run(customer, "allow", chromedp.Click("#record-allow", chromedp.ByQuery, in))
	run(alice, "the console shows it records", chromedp.WaitVisible("#call-recording", chromedp.ByQuery))
	waitText(t, customer, "#call-status", "Recording", in)
	waitUntil(t, alice, "a second or two of the call", flowing)
	waitUntil(t, alice, "a second or two of the call", flowing)
	run(alice, "stop recording", chromedp.Click(`#details button[data-action="recordstop"]`, chromedp.ByQuery))
	waitUntil(t, alice, "the call's recording plays in the chat", `(() => {
		const v = document.querySelector('#messages video[data-testid="recording"]');
		return !!v && v.readyState >= 1 && v.duration > 0.5;
	})()`)

	run(customer, "mute", chromedp.Click("#call-mute", chromedp.ByQuery, in))
	waitText(t, customer, "#call-mute", "Unmute", in)
	run(customer, "hang up", chromedp.Click("#call-hangup", chromedp.ByQuery, in),
		chromedp.WaitNotVisible("#call-panel", chromedp.ByQuery, in))
	waitUntil(t, alice, "the console's call panel closes", `document.querySelector('#call-panel').hidden`)
	waitText(t, alice, "#messages", "Pat ended the call")
	waitText(t, customer, "#messages", "The call ended", in)
}

// waitUntilIn polls an expression (which may return a promise) in the
// widget's iframe until it is true. It runs in a world of its own in that
// frame: the page's DOM, none of its scripts' variables.
func waitUntilIn(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	var frames []*cdp.Node
	if err := chromedp.Run(ctx, chromedp.Nodes(`iframe[data-relaydesk="frame"]`, &frames, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	// One isolated world per frame document, made again only when an
	// evaluation fails (the frame navigated).
	var world runtime.ExecutionContextID
	testwait.Until(t, what, func() error {
		var ok bool
		err := chromedp.Run(ctx, chromedp.ActionFunc(func(c context.Context) error {
			if world == 0 {
				w, err := page.CreateIsolatedWorld(frames[0].FrameID).WithWorldName("test").Do(c)
				if err != nil {
					return err
				}
				world = w
			}
			res, exc, err := runtime.Evaluate(expr).WithContextID(world).WithAwaitPromise(true).WithReturnByValue(true).Do(c)
			if err != nil {
				world = 0
				return err
			}
			if exc != nil {
				world = 0
				return fmt.Errorf("%s", exc.Text)
			}
			ok = string(res.Value) == "true"
			return nil
		}))
		if err == nil && !ok {
			err = fmt.Errorf("%s is false", expr)
		}
		return err
	})
}
