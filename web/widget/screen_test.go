package widget_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/screen"
	"github.com/relaydesk/relaydesk/web/sfu"
	"github.com/relaydesk/relaydesk/web/widget"
)

// withScreen serves the widget with screen sharing on.
func withScreen(t *testing.T, d *storetest.Desk) func(*widget.Config) {
	t.Helper()
	m, err := screen.New(screen.Config{Engine: d.Engine, Hub: d.Store.Hub(), SFU: sfu.Config{IncludeLoopback: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return func(c *widget.Config) { c.Screen = m }
}

// TestScreenAnswer: the customer's answers to an ask to see their screen,
// and their Stop; what may not be answered is refused and changes nothing.
func TestScreenAnswer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := newEnvOn(t, d, withScreen(t, d))
		alice := storetest.Actor(d.Alice)
		c := e.open(t, d.Acme, "pat@example.com", "the dialog looks wrong") // Firefox on Windows
		r := e.requestOf(t, c.Token)
		must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, r.ID))
		must[core.Request](t)(d.Engine.JoinChat(ctx, alice, r.ID))
		answer := func(v any) response {
			return e.json(t, "POST", "/api/widget/screen", c.Token, v)
		}
		refused := func(name string, res response, code int, errCode core.Code) {
			t.Helper()
			var ae apiError
			res.decode(t, &ae)
			if res.code != code || ae.Error.Code != string(errCode) {
				t.Errorf("%s: %d %s, want %d %s", name, res.code, res.body, code, errCode)
			}
		}
		share := map[string]any{"answer": "share", "screen": map[string]any{"width": 1920, "height": 1080, "dpr": 1.5, "browser": "Firefox 140", "os": "Windows"}}

		before := storetest.Snapshot(t, d.Store)
		refused("share unasked", answer(share), http.StatusConflict, core.CodeInvalidState)
		refused("stop unshared", answer(map[string]string{"answer": "stop"}), http.StatusConflict, core.CodeInvalidState)
		refused("an unknown answer", answer(map[string]string{"answer": "maybe"}), http.StatusBadRequest, core.CodeInvalid)
		mustCode(t, e.do(t, call{method: "POST", path: "/api/widget/screen", token: c.Token, ctype: "application/json",
			body: strings.NewReader(`{"answer":`)}), http.StatusBadRequest)
		mustCode(t, e.json(t, "POST", "/api/widget/screen", "", share), http.StatusUnauthorized)
		if storetest.Snapshot(t, d.Store) != before {
			t.Fatal("refused answers changed the database")
		}

		must[core.Request](t)(d.Engine.RequestScreenShare(ctx, alice, r.ID))
		if v := e.chatOf(t, c.Token).Request; v.Screen != "asked" || v.ScreenMine {
			t.Fatalf("after the ask the chat says screen %q mine %v", v.Screen, v.ScreenMine)
		}
		refused("an absurd screen", answer(map[string]any{"answer": "share", "screen": map[string]any{"width": -5}}),
			http.StatusBadRequest, core.CodeInvalid)
		mustCode(t, answer(share), http.StatusNoContent)
		if v := e.chatOf(t, c.Token).Request; v.Screen != "live" || !v.ScreenMine {
			t.Fatalf("while shared the chat says screen %q mine %v", v.Screen, v.ScreenMine)
		}
		refused("share twice", answer(share), http.StatusConflict, core.CodeInvalidState)
		mustCode(t, answer(map[string]string{"answer": "stop"}), http.StatusNoContent)
		if v := e.chatOf(t, c.Token).Request; v.Screen != "" {
			t.Fatalf("after stop the chat says screen %q", v.Screen)
		}

		must[core.Request](t)(d.Engine.RequestScreenShare(ctx, alice, r.ID))
		mustCode(t, answer(map[string]string{"answer": "decline"}), http.StatusNoContent)
		evs := must[[]core.Event](t)(d.Engine.Events(ctx, alice, r.ID, 0, 0))
		var got []core.EventType
		for _, ev := range evs {
			if strings.HasPrefix(string(ev.Type), "screenshare.") {
				got = append(got, ev.Type)
			}
		}
		want := []core.EventType{core.EventScreenShareAsked, core.EventScreenStarted, core.EventScreenStopped,
			core.EventScreenShareAsked, core.EventScreenDeclined}
		if !equalTypes(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		if s := evs[len(evs)-4].Data.Screen; evs[len(evs)-4].Type != core.EventScreenStarted || s == nil || s.Width != 1920 || s.DPR != 1.5 || s.OS != "Windows" {
			t.Errorf("the started event's screen: %+v", s)
		}
	})
}

func equalTypes(a, b []core.EventType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestScreenShareNeedsADesktop: a customer on a phone is never asked, as
// the seed says: the technician is told screen sharing needs a desktop web
// browser.
func TestScreenShareNeedsADesktop(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := newEnvOn(t, d, withScreen(t, d))
		b, _ := json.Marshal(map[string]string{"key": d.Acme.PortalKey, "email": "pat@example.com", "message": "help"})
		res := e.do(t, call{method: "POST", path: "/api/widget/requests", ctype: "application/json", body: bytes.NewReader(b),
			header: http.Header{"User-Agent": {iphone}}})
		mustCode(t, res, http.StatusCreated)
		var c chat
		res.decode(t, &c)
		r := e.requestOf(t, c.Token)
		alice := storetest.Actor(d.Alice)
		must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, r.ID))
		must[core.Request](t)(d.Engine.JoinChat(ctx, alice, r.ID))
		_, err := d.Engine.RequestScreenShare(ctx, alice, r.ID)
		if core.ErrorCode(err) != core.CodeInvalidState || !strings.Contains(core.ErrorMessage(err), "desktop web browser") {
			t.Fatalf("asking a phone's screen: %v", err)
		}
		if v := e.chatOf(t, c.Token).Request; v.Screen != "" {
			t.Fatalf("the phone's chat says screen %q", v.Screen)
		}
	})
}

// TestBrowserPlatformLink: a chat platform's customer opens the link their
// adapter sent (a web token in the fragment): the portal shows their own
// request with the ask to share the screen, and the token leaves the
// address bar.
func TestBrowserPlatformLink(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	d := storetest.NewDesk(t, storetest.SQLite(t))
	e := newEnvOn(t, d, withScreen(t, d))
	o := d.Live(t)
	alice := storetest.Actor(d.Alice)
	must[core.Request](t)(d.Engine.RequestScreenShare(ctx, alice, o.Request.ID))
	token := must[string](t)(d.Engine.WebToken(ctx, o.Participant.ID))

	tab := b.Tab(t)
	tab.Run("open the link", chromedp.Navigate(e.url+"/c/acme#token="+token), chromedp.WaitVisible("#composer", chromedp.ByQuery))
	tab.WaitUntil("the ask shows", `document.querySelector('#screen-ask-text')?.textContent.startsWith('Alice asks to see your screen')`)
	tab.WaitUntil("the token left the address", `location.hash === '' && localStorage.getItem('relaydesk.token.acme') === `+jsString(token))
	// The first web token stops working when a new link is made.
	must[string](t)(d.Engine.WebToken(ctx, o.Participant.ID))
	if _, err := d.Engine.CustomerByToken(ctx, token); core.ErrorCode(err) != core.CodeForbidden {
		t.Fatalf("a replaced token still works: %v", err)
	}
}

// TestRecordingAnswer: the customer allows, declines or stops the
// recording of their share; out of turn it is refused and changes nothing.
func TestRecordingAnswer(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	e := newEnvOn(t, d, withScreen(t, d))
	alice := storetest.Actor(d.Alice)
	c := e.open(t, d.Acme, "pat@example.com", "help")
	r := e.requestOf(t, c.Token)
	must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, r.ID))
	must[core.Request](t)(d.Engine.JoinChat(ctx, alice, r.ID))
	must[core.Request](t)(d.Engine.RequestScreenShare(ctx, alice, r.ID))
	mustCode(t, e.json(t, "POST", "/api/widget/screen", c.Token, map[string]string{"answer": "share"}), http.StatusNoContent)
	answer := func(a string) response {
		return e.json(t, "POST", "/api/widget/recording", c.Token, map[string]string{"answer": a})
	}
	before := storetest.Snapshot(t, d.Store)
	mustCode(t, answer("allow"), http.StatusConflict)
	mustCode(t, answer("stop"), http.StatusConflict)
	mustCode(t, answer("perhaps"), http.StatusBadRequest)
	mustCode(t, e.json(t, "POST", "/api/widget/recording", "", map[string]string{"answer": "allow"}), http.StatusUnauthorized)
	if storetest.Snapshot(t, d.Store) != before {
		t.Fatal("refused answers changed the database")
	}
	must[core.Request](t)(d.Engine.RequestRecording(ctx, alice, r.ID))
	if v := e.chatOf(t, c.Token).Request; v.Recording != "asked" {
		t.Fatalf("the chat says recording %q while asked", v.Recording)
	}
	mustCode(t, answer("allow"), http.StatusNoContent)
	if v := e.chatOf(t, c.Token).Request; v.Recording != "on" {
		t.Fatalf("the chat says recording %q once allowed", v.Recording)
	}
	mustCode(t, answer("stop"), http.StatusNoContent)
	if v := e.chatOf(t, c.Token).Request; v.Recording != "" {
		t.Fatalf("the chat says recording %q once stopped", v.Recording)
	}
}

// TestCallAnswer: the customer answers, declines or ends a call; out of
// turn it is refused and changes nothing.
func TestCallAnswer(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	e := newEnvOn(t, d, withScreen(t, d))
	alice := storetest.Actor(d.Alice)
	c := e.open(t, d.Acme, "pat@example.com", "help")
	r := e.requestOf(t, c.Token)
	must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, r.ID))
	must[core.Request](t)(d.Engine.JoinChat(ctx, alice, r.ID))
	answer := func(a string) response {
		return e.json(t, "POST", "/api/widget/call", c.Token, map[string]string{"answer": a})
	}
	before := storetest.Snapshot(t, d.Store)
	mustCode(t, answer("accept"), http.StatusConflict)
	mustCode(t, answer("end"), http.StatusConflict)
	mustCode(t, answer("pick up"), http.StatusBadRequest)
	mustCode(t, e.json(t, "POST", "/api/widget/call", "", map[string]string{"answer": "accept"}), http.StatusUnauthorized)
	if storetest.Snapshot(t, d.Store) != before {
		t.Fatal("refused answers changed the database")
	}
	must[core.Request](t)(d.Engine.StartCall(ctx, alice, r.ID))
	if v := e.chatOf(t, c.Token).Request; v.Call != "ringing" || v.CallMine {
		t.Fatalf("ringing: the chat says %q mine %v", v.Call, v.CallMine)
	}
	mustCode(t, answer("accept"), http.StatusNoContent)
	if v := e.chatOf(t, c.Token).Request; v.Call != "live" || !v.CallMine {
		t.Fatalf("answered: the chat says %q mine %v", v.Call, v.CallMine)
	}
	mustCode(t, answer("end"), http.StatusNoContent)
	if v := e.chatOf(t, c.Token).Request; v.Call != "" {
		t.Fatalf("ended: the chat says %q", v.Call)
	}
}
