package widget_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/cobrowse"
	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/screen"
	"github.com/relaydesk/relaydesk/web/sfu"
	"github.com/relaydesk/relaydesk/web/widget"
)

// withLive serves the widget with screen sharing and co-browsing on.
func withLive(t *testing.T, d *storetest.Desk) func(*widget.Config) {
	t.Helper()
	sm, err := screen.New(screen.Config{Engine: d.Engine, Hub: d.Store.Hub(), SFU: sfu.Config{IncludeLoopback: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close(context.Background()) })
	cm := cobrowse.New(cobrowse.Config{Engine: d.Engine, Hub: d.Store.Hub()})
	t.Cleanup(cm.Close)
	return func(c *widget.Config) { c.Screen, c.Cobrowse = sm, cm }
}

// TestCobrowseAnswer: the customer's answers to an ask to see their page,
// and their Stop; what may not be answered is refused and changes nothing.
func TestCobrowseAnswer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := newEnvOn(t, d, withLive(t, d))
		alice := storetest.Actor(d.Alice)
		c := e.open(t, d.Acme, "pat@example.com", "the order form is broken")
		r := e.requestOf(t, c.Token)
		must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, r.ID))
		must[core.Request](t)(d.Engine.JoinChat(ctx, alice, r.ID))
		answer := func(what string) response {
			return e.json(t, "POST", "/api/widget/cobrowse", c.Token, map[string]string{"answer": what})
		}
		before := storetest.Snapshot(t, d.Store)
		mustCode(t, answer("show"), http.StatusConflict)
		mustCode(t, answer("stop"), http.StatusConflict)
		mustCode(t, answer("maybe"), http.StatusBadRequest)
		mustCode(t, e.json(t, "POST", "/api/widget/cobrowse", "", map[string]string{"answer": "show"}), http.StatusUnauthorized)
		if storetest.Snapshot(t, d.Store) != before {
			t.Fatal("refused answers changed the database")
		}

		must[core.Request](t)(d.Engine.RequestCobrowse(ctx, alice, r.ID))
		if v := e.chatOf(t, c.Token).Request; v.Cobrowse != "asked" || v.CobrowseMine {
			t.Fatalf("after the ask the chat says cobrowse %q mine %v", v.Cobrowse, v.CobrowseMine)
		}
		mustCode(t, answer("show"), http.StatusNoContent)
		if v := e.chatOf(t, c.Token).Request; v.Cobrowse != "live" || !v.CobrowseMine {
			t.Fatalf("while shown the chat says cobrowse %q mine %v", v.Cobrowse, v.CobrowseMine)
		}
		mustCode(t, answer("show"), http.StatusConflict)
		mustCode(t, answer("stop"), http.StatusNoContent)
		must[core.Request](t)(d.Engine.RequestCobrowse(ctx, alice, r.ID))
		mustCode(t, answer("decline"), http.StatusNoContent)
		var got []core.EventType
		for _, ev := range must[[]core.Event](t)(d.Engine.Events(ctx, alice, r.ID, 0, 0)) {
			if strings.HasPrefix(string(ev.Type), "cobrowse.") {
				got = append(got, ev.Type)
			}
		}
		want := []core.EventType{core.EventCobrowseAsked, core.EventCobrowseStarted, core.EventCobrowseStopped,
			core.EventCobrowseAsked, core.EventCobrowseDeclined}
		if !equalTypes(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
}

// TestLiveRoutesFrames: one live socket carries both kinds of client frame,
// each to its own manager: a cobrowse frame is answered as co-browsing, an
// rtc frame as the screen share.
func TestLiveRoutesFrames(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	e := newEnvOn(t, d, withLive(t, d))
	alice := storetest.Actor(d.Alice)
	c := e.open(t, d.Acme, "pat@example.com", "the order form is broken")
	r := e.requestOf(t, c.Token)
	must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, r.ID))
	must[core.Request](t)(d.Engine.JoinChat(ctx, alice, r.ID))
	must[core.Request](t)(d.Engine.RequestCobrowse(ctx, alice, r.ID))
	mustCode(t, e.json(t, "POST", "/api/widget/cobrowse", c.Token, map[string]string{"answer": "show"}), http.StatusNoContent)

	conn, _, err := e.dial(t, e.url)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.WriteJSON(live.Hello{After: "0", Token: c.Token}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []map[string]any{{"type": "cobrowse", "op": "share"}, {"type": "rtc", "op": "join"}} {
		if err := conn.WriteJSON(f); err != nil {
			t.Fatal(err)
		}
	}
	var cobrowseOp, rtcOp string
	for cobrowseOp == "" || rtcOp == "" {
		conn.SetReadDeadline(time.Now().Add(15 * time.Second)) // bounds a broken test only
		var fr struct {
			Type string `json:"type"`
			Body struct {
				Op string `json:"op"`
			} `json:"body"`
		}
		if err := conn.ReadJSON(&fr); err != nil {
			t.Fatalf("read (cobrowse %q, rtc %q): %v", cobrowseOp, rtcOp, err)
		}
		switch fr.Type {
		case "cobrowse":
			cobrowseOp = fr.Body.Op
		case "rtc":
			rtcOp = fr.Body.Op
		}
	}
	// Co-browsing is live: the page is accepted. No screen is shared: the
	// screen share refuses.
	if cobrowseOp != "sharing" || rtcOp != "error" {
		t.Fatalf("cobrowse answered %q, rtc answered %q", cobrowseOp, rtcOp)
	}
}

// TestRecorderScript: rrweb is served from relaydesk itself, readable by
// the host pages that load it once their customer consents.
func TestRecorderScript(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t), nil)
	res := e.get(t, "/widget/rrweb.js", "")
	mustCode(t, res, http.StatusOK)
	if ct := res.hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type %q", ct)
	}
	if got := res.hdr.Get("Cross-Origin-Resource-Policy"); got != "cross-origin" {
		t.Errorf("Cross-Origin-Resource-Policy %q", got)
	}
	if !strings.Contains(res.text(), "takeFullSnapshot") {
		t.Error("the script is not rrweb")
	}
}
