package cobrowse_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
	"github.com/relaydesk/relaydesk/web/cobrowse"
	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/liveroute"
)

// desk is a support desk whose live streams carry co-browsing, as the
// widget's and console's do. The Hello's token says who the client is
// ("t:<technician ID>" or "c:<participant ID>:<request ID>").
type desk struct {
	*storetest.Desk
	m   *cobrowse.Manager
	url string
}

func newDesk(t *testing.T, store *sqlstore.Store) *desk {
	t.Helper()
	d := &desk{Desk: storetest.NewDesk(t, store)}
	d.m = cobrowse.New(cobrowse.Config{Engine: d.Engine, Hub: store.Hub()})
	t.Cleanup(d.m.Close)
	d.url = serve(t, store.Hub(), d.m)
	return d
}

// serve serves live streams that carry m's frames on loopback.
func serve(t *testing.T, h *hub.Hub, m *cobrowse.Manager) string {
	t.Helper()
	streams := live.New(live.Config{Hub: h})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		streams.ServeSource(w, r, func(*http.Request) bool { return true },
			func(ctx context.Context, h live.Hello, follow live.Follow) (live.Source, error) {
				var who cobrowse.Who
				if id, ok := strings.CutPrefix(h.Token, "t:"); ok {
					who.Actor = core.TechnicianActor(id)
				} else {
					p, req, _ := strings.Cut(strings.TrimPrefix(h.Token, "c:"), ":")
					who = cobrowse.Who{Actor: core.CustomerActor(p), RequestID: req}
				}
				return live.Source{
					Fetch:   func(context.Context, string) ([]any, string, bool, error) { return nil, "0", false, nil },
					Receive: func(c *live.Conn, data []byte) { m.Receive(context.Background(), who, c, data) },
					Gone:    m.Gone,
				}, nil
			})
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// client is a browser on a live stream: it sends frames and keeps the
// co-browsing frames pushed to it.
type client struct {
	t  *testing.T
	ws *websocket.Conn

	mu  sync.Mutex
	got []cobrowse.Out
}

func (d *desk) client(t *testing.T, token string) *client {
	t.Helper()
	return dial(t, d.url, token)
}

// dial opens a live stream at url as the client token names.
func dial(t *testing.T, url, token string) *client {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(live.Hello{After: "0", Token: token}); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, ws: ws}
	go func() {
		for {
			var f struct {
				Type string       `json:"type"`
				Body cobrowse.Out `json:"body"`
			}
			if err := ws.ReadJSON(&f); err != nil {
				return
			}
			if f.Type == "cobrowse" {
				c.mu.Lock()
				c.got = append(c.got, f.Body)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *client) send(f map[string]any) {
	c.t.Helper()
	f["type"] = "cobrowse"
	if err := c.ws.WriteJSON(f); err != nil {
		c.t.Fatal(err)
	}
}

// count says how many frames of op the client was pushed, and with what
// data.
func (c *client) count(op string) (n int, data []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range c.got {
		if o.Op == op {
			n++
			data = append(data, o.Data)
		}
	}
	return n, data
}

func (c *client) waitFor(op string, n int) {
	c.t.Helper()
	testwait.Eventually(c.t, "a "+op+" frame", func() bool { got, _ := c.count(op); return got >= n })
}

// TestCobrowseForwarding: the consenting customer's page reaches the
// owner and the invited technician and nobody else; a viewer's arrival
// asks for a snapshot; frames before consent, after stop or from the wrong
// customer are refused.
func TestCobrowseForwarding(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := newDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
		other := d.Live(t)
		if _, err := e.InviteTechnician(ctx, alice, id, d.Bob.ID); err != nil {
			t.Fatal(err)
		}

		page := d.client(t, "c:"+o.Participant.ID+":"+id)
		stranger := d.client(t, "c:"+other.Participant.ID+":"+other.Request.ID)
		aliceC, bobC := d.client(t, "t:"+d.Alice.ID), d.client(t, "t:"+d.Bob.ID)
		carolC, daveC := d.client(t, "t:"+d.Carol.ID), d.client(t, "t:"+d.Dave.ID)

		// Before consent: nothing is accepted.
		page.send(map[string]any{"op": "share"})
		page.waitFor("error", 1)
		page.send(map[string]any{"op": "data", "parts": 1, "data": `[{"before":"consent"}]`})
		page.waitFor("error", 2)
		aliceC.send(map[string]any{"op": "watch", "request": id})
		aliceC.waitFor("error", 1)

		if _, err := e.RequestCobrowse(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.AnswerCobrowse(ctx, cust, true); err != nil {
			t.Fatal(err)
		}
		page.send(map[string]any{"op": "share"})
		page.waitFor("sharing", 1)
		for _, c := range []*client{aliceC, bobC, carolC, daveC} {
			c.send(map[string]any{"op": "watch", "request": id})
		}
		// The owner's and Bob's arrival each ask the page for a snapshot;
		// Carol (another company) and Dave (not invited) are refused.
		page.waitFor("snapshot", 2)
		carolC.waitFor("error", 1)
		daveC.waitFor("error", 1)
		// Another request's customer cannot send into this request.
		stranger.send(map[string]any{"op": "share", "request": id})
		stranger.waitFor("error", 1)
		stranger.send(map[string]any{"op": "data", "request": id, "parts": 1, "data": `[{"from":"stranger"}]`})
		stranger.waitFor("error", 2)

		page.send(map[string]any{"op": "data", "seq": 1, "parts": 1, "data": `[{"type":2,"text":"Acme Printers"}]`})
		aliceC.waitFor("data", 1)
		bobC.waitFor("data", 1)
		// A technician points; the page alone hears it.
		bobC.send(map[string]any{"op": "point", "request": id, "x": 10, "y": 20})
		page.waitFor("point", 1)
		// A technician cannot send page data.
		aliceC.send(map[string]any{"op": "data", "request": id, "parts": 1, "data": `[{"from":"tech"}]`})
		aliceC.waitFor("error", 2)

		if _, err := e.StopCobrowse(ctx, cust, ""); err != nil {
			t.Fatal(err)
		}
		aliceC.waitFor("ended", 1)
		bobC.waitFor("ended", 1)
		page.waitFor("ended", 1)
		page.send(map[string]any{"op": "data", "seq": 2, "parts": 1, "data": `[{"after":"stop"}]`})
		page.waitFor("error", 3)

		for name, c := range map[string]*client{"alice": aliceC, "bob": bobC} {
			if n, data := c.count("data"); n != 1 || !strings.Contains(data[0], "Acme Printers") {
				t.Errorf("%s got %d data frames: %q", name, n, data)
			}
		}
		for name, c := range map[string]*client{"carol": carolC, "dave": daveC, "stranger": stranger, "page": page} {
			if n, data := c.count("data"); n != 0 {
				t.Errorf("%s got data: %q", name, data)
			}
		}
		if _, data := page.count("error"); len(data) > 0 {
			b, _ := json.Marshal(data)
			t.Logf("page errors: %s", b)
		}
	})
}

// TestCobrowseChunks: a snapshot cut into pieces reaches the viewer whole
// and in order; a malformed piece is refused.
func TestCobrowseChunks(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.SQLite(t))
	ctx := context.Background()
	o := d.Live(t)
	id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
	if _, err := d.Engine.RequestCobrowse(ctx, storetest.Actor(d.Alice), id); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Engine.AnswerCobrowse(ctx, cust, true); err != nil {
		t.Fatal(err)
	}
	page, viewer := d.client(t, "c:"+o.Participant.ID+":"+id), d.client(t, "t:"+d.Alice.ID)
	page.send(map[string]any{"op": "share"})
	page.waitFor("sharing", 1)
	viewer.send(map[string]any{"op": "watch", "request": id})
	page.waitFor("snapshot", 1)
	big := strings.Repeat("x", 3*40<<10)
	for i := range 3 {
		page.send(map[string]any{"op": "data", "seq": 5, "part": i, "parts": 3, "data": big[i*40<<10 : (i+1)*40<<10]})
	}
	page.send(map[string]any{"op": "data", "seq": 6, "part": 3, "parts": 3, "data": "x"})
	page.waitFor("error", 1)
	viewer.waitFor("data", 3)
	if _, data := viewer.count("data"); strings.Join(data, "") != big {
		t.Fatalf("reassembled %d bytes, want %d", len(strings.Join(data, "")), len(big))
	}
}

// TestCobrowseAcrossProcesses: two relaydesk processes on one PostgreSQL
// database, the customer's page on one, the technician's console on the
// other: the page reaches the console, the pointer reaches the page, and
// the end reaches both.
func TestCobrowseAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := storetest.MigratedPostgresURL(t)
	a, b := storetest.Open(t, url), storetest.Open(t, url)
	storetest.Listen(t, a)
	storetest.Listen(t, b)
	d := storetest.NewDesk(t, a)
	engB := core.NewEngine(core.Config{Store: b, Blobs: d.Blobs})
	manager := func(e cobrowse.Engine, s *sqlstore.Store) *cobrowse.Manager {
		router := liveroute.New(s, nil)
		m := cobrowse.New(cobrowse.Config{Engine: e, Hub: s.Hub(), Router: router})
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := router.Run(ctx); err != nil {
				t.Error(err)
			}
		}()
		t.Cleanup(func() { cancel(); <-done; m.Close() })
		return m
	}
	ma, mb := manager(d.Engine, a), manager(engB, b)
	urlA, urlB := serve(t, a.Hub(), ma), serve(t, b.Hub(), mb)

	alice := storetest.Actor(d.Alice)
	o := d.Live(t)
	id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
	if _, err := d.Engine.RequestCobrowse(ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Engine.AnswerCobrowse(ctx, cust, true); err != nil {
		t.Fatal(err)
	}
	page := dial(t, urlA, "c:"+o.Participant.ID+":"+id)
	page.send(map[string]any{"op": "share"})
	page.waitFor("sharing", 1)
	console := dial(t, urlB, "t:"+d.Alice.ID)
	console.send(map[string]any{"op": "watch", "request": id})
	console.waitFor("watching", 1)
	page.waitFor("snapshot", 1) // asked for across the processes
	page.send(map[string]any{"op": "data", "seq": 1, "parts": 1, "data": `[{"type":2,"text":"Acme Printers"}]`})
	console.waitFor("data", 1)
	console.send(map[string]any{"op": "point", "request": id, "x": 1, "y": 2})
	page.waitFor("point", 1)
	if ma.Sessions() != 1 || mb.Sessions() != 0 {
		t.Errorf("sessions: %d in the page's process, %d in the console's; want 1 and 0", ma.Sessions(), mb.Sessions())
	}
	// Another company's technician is refused there too.
	carol := dial(t, urlB, "t:"+d.Carol.ID)
	carol.send(map[string]any{"op": "watch", "request": id})
	carol.waitFor("error", 1)

	if _, err := engB.StopCobrowse(ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	console.waitFor("ended", 1)
	page.waitFor("ended", 1)
	if _, data := console.count("data"); len(data) != 1 || !strings.Contains(data[0], "Acme Printers") {
		t.Errorf("the console got %q", data)
	}
}
