package screen_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/liveroute"
	"github.com/relaydesk/relaydesk/web/screen"
	"github.com/relaydesk/relaydesk/web/sfu"
)

// desk is a support desk whose live streams carry screen shares, as the
// widget's and console's do. The test server stands in for their
// authentication: the Hello's token says who the client is ("t:<technician
// ID>" or "c:<participant ID>:<request ID>").
type desk struct {
	*storetest.Desk
	m   *screen.Manager
	url string
}

func newDesk(t *testing.T, store *sqlstore.Store) *desk {
	t.Helper()
	d := &desk{Desk: storetest.NewDesk(t, store)}
	m, err := screen.New(screen.Config{Engine: d.Engine, Hub: store.Hub(), SFU: sfu.Config{IncludeLoopback: true},
		ICEServers: []string{"stun:stun.example.com:3478", "turn:turn.example.com:3478?transport=udp"}, TURNSecret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	d.m = m
	d.url = serve(t, store.Hub(), m)
	return d
}

// serve serves live streams that carry m's frames on loopback.
func serve(t *testing.T, h *hub.Hub, m *screen.Manager) string {
	t.Helper()
	streams := live.New(live.Config{Hub: h})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		streams.ServeSource(w, r, func(*http.Request) bool { return true },
			func(ctx context.Context, h live.Hello, follow live.Follow) (live.Source, error) {
				var who screen.Who
				if id, ok := strings.CutPrefix(h.Token, "t:"); ok {
					who.Actor = core.TechnicianActor(id)
				} else {
					p, req, _ := strings.Cut(strings.TrimPrefix(h.Token, "c:"), ":")
					who = screen.Who{Actor: core.CustomerActor(p), RequestID: req}
				}
				return live.Source{
					Fetch: func(context.Context, string) ([]any, string, bool, error) { return nil, "0", false, nil },
					Receive: func(c *live.Conn, data []byte) {
						m.Receive(context.Background(), who, c, data)
					},
					Gone: m.Gone,
				}, nil
			})
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// browser is a Pion peer on a live stream, standing in for the widget or
// the console: it joins a share, answers the room's offers, publishes a
// screen when it is the customer, and counts what it receives.
type browser struct {
	t       *testing.T
	ws      *websocket.Conn
	request string
	session string // "" (a screen share) or "call"
	pub     bool   // it will publish: its join says so
	wmu     sync.Mutex

	mu    sync.Mutex
	pc    *webrtc.PeerConnection
	early []webrtc.ICECandidateInit

	joined  chan []json.RawMessage // the ICE servers of each "joined"
	ice     []json.RawMessage      // those of the last join
	errs    chan string
	stopped chan string
	packets atomic.Int64
}

func (d *desk) browser(t *testing.T, token, request string) *browser {
	t.Helper()
	return dial(t, d.url, token, request)
}

// dial opens a live stream at url as the client token names.
func dial(t *testing.T, url, token, request string) *browser {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(live.Hello{After: "0", Token: token}); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ws: ws, request: request, pub: strings.HasPrefix(token, "c:"), joined: make(chan []json.RawMessage, 4),
		errs: make(chan string, 16), stopped: make(chan string, 4)}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.pc != nil {
			b.pc.Close()
		}
	})
	go b.read()
	return b
}

func (b *browser) send(op string, msg *sfu.Message) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	f := map[string]any{"type": "rtc", "request": b.request, "op": op, "session": b.session, "publish": b.pub}
	if msg != nil {
		f["msg"] = msg
	}
	if err := b.ws.WriteJSON(f); err != nil {
		b.t.Error(err)
	}
}

type pushed struct {
	Type string `json:"type"`
	Body struct {
		Request    string            `json:"request"`
		Op         string            `json:"op"`
		Msg        *sfu.Message      `json:"msg"`
		ICEServers []json.RawMessage `json:"ice_servers"`
		Error      string            `json:"error"`
	} `json:"body"`
}

func (b *browser) read() {
	for {
		var f pushed
		if err := b.ws.ReadJSON(&f); err != nil {
			return
		}
		if f.Type != "rtc" {
			continue
		}
		switch f.Body.Op {
		case "joined":
			b.newPC()
			b.joined <- f.Body.ICEServers
		case "error":
			b.errs <- f.Body.Error
		case "signal":
			b.onSignal(*f.Body.Msg)
		}
	}
}

func (b *browser) newPC() {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		b.t.Error(err)
		return
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		b.t.Error(err)
		return
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			init := c.ToJSON()
			b.send("signal", &sfu.Message{Kind: sfu.Candidate, Candidate: &init})
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			b.packets.Add(1)
		}
	})
	b.mu.Lock()
	if b.pc != nil {
		b.pc.Close()
	}
	b.pc, b.early = pc, nil
	b.mu.Unlock()
}

func (b *browser) onSignal(m sfu.Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	pc := b.pc
	switch m.Kind {
	case sfu.Stop:
		b.stopped <- m.Reason
	case sfu.Offer:
		if pc.SignalingState() != webrtc.SignalingStateStable {
			return // our own offer is out: the room, the polite side, gives way
		}
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}); err != nil {
			b.t.Error(err)
			return
		}
		b.flush()
		answer, err := pc.CreateAnswer(nil)
		if err == nil {
			err = pc.SetLocalDescription(answer)
		}
		if err != nil {
			b.t.Error(err)
			return
		}
		go b.send("signal", &sfu.Message{Kind: sfu.Answer, SDP: answer.SDP})
	case sfu.Answer:
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
			b.t.Error(err)
		}
		b.flush()
	case sfu.Candidate:
		if pc.RemoteDescription() == nil {
			b.early = append(b.early, *m.Candidate)
			return
		}
		_ = pc.AddICECandidate(*m.Candidate)
	}
}

func (b *browser) flush() {
	for _, c := range b.early {
		_ = b.pc.AddICECandidate(c)
	}
	b.early = nil
}

// join asks to join the share and waits for the answer: "" once joined,
// else the error the server gave.
func (b *browser) join() string {
	b.t.Helper()
	b.send("join", nil)
	select {
	case b.ice = <-b.joined:
		return ""
	case e := <-b.errs:
		return e
	case <-time.After(testwait.Deadline):
		b.t.Fatal("no answer to join")
		return ""
	}
}

// publish sends a synthetic VP8 screen at 30 frames a second until ctx ends.
func (b *browser) publish(ctx context.Context) {
	b.t.Helper()
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "screen", "screen")
	if err != nil {
		b.t.Fatal(err)
	}
	b.mu.Lock()
	if _, err := b.pc.AddTrack(track); err != nil {
		b.mu.Unlock()
		b.t.Fatal(err)
	}
	offer, err := b.pc.CreateOffer(nil)
	if err == nil {
		err = b.pc.SetLocalDescription(offer)
	}
	b.mu.Unlock()
	if err != nil {
		b.t.Fatal(err)
	}
	b.send("signal", &sfu.Message{Kind: sfu.Offer, SDP: offer.SDP})
	go func() {
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			frame := make([]byte, 1200)
			frame[0] = 0x11
			if i%30 == 0 { // a keyframe: 1280×720, as a recording reads it
				frame[0] = 0x10
				copy(frame[3:], []byte{0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02})
			}
			if track.WriteSample(media.Sample{Data: frame, Duration: time.Second / 30}) != nil {
				return
			}
		}
	}()
}

func (b *browser) waitPackets(what string, n int64) {
	b.t.Helper()
	from := b.packets.Load()
	testwait.Eventually(b.t, what, func() bool { return b.packets.Load()-from >= n })
}

func (b *browser) waitError(want string) {
	b.t.Helper()
	select {
	case e := <-b.errs:
		if !strings.Contains(e, want) {
			b.t.Fatalf("error %q, want one saying %q", e, want)
		}
	case <-time.After(testwait.Deadline):
		b.t.Fatalf("no error saying %q", want)
	}
}

// TestShareReachesWhoMayWatch: the consenting customer's screen reaches
// the owner and the invited technician, nobody else; Stop ends it for all.
func TestShareReachesWhoMayWatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		d := newDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
		other := d.Live(t) // another request of Acme's, another customer
		if _, err := e.InviteTechnician(ctx, alice, id, d.Bob.ID); err != nil {
			t.Fatal(err)
		}

		// Before consent, nobody joins.
		early := d.browser(t, "t:"+d.Alice.ID, id)
		if e := early.join(); !strings.Contains(e, "not shared") {
			t.Fatalf("join before consent: %q", e)
		}
		if _, err := e.RequestScreenShare(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{Width: 1280, Height: 720}); err != nil {
			t.Fatal(err)
		}

		sharer := d.browser(t, "c:"+o.Participant.ID+":"+id, id)
		if e := sharer.join(); e != "" {
			t.Fatalf("customer join: %s", e)
		}
		sharer.publish(ctx)
		checkICE(t, sharer.ice, "c:"+o.Participant.ID)
		owner := d.browser(t, "t:"+d.Alice.ID, id)
		if e := owner.join(); e != "" {
			t.Fatalf("owner join: %s", e)
		}
		invited := d.browser(t, "t:"+d.Bob.ID, id)
		if e := invited.join(); e != "" {
			t.Fatalf("invited join: %s", e)
		}
		owner.waitPackets("the screen at the owner", 60)
		invited.waitPackets("the screen at the invited technician", 60)

		// Another company's technician, a colleague not invited, and the
		// customer of another request get nothing.
		for _, tc := range []struct{ name, token, request string }{
			{"another company's technician", "t:" + d.Carol.ID, id},
			{"a colleague not invited", "t:" + d.Dave.ID, id},
			{"the customer of another request", "c:" + other.Participant.ID + ":" + other.Request.ID, id},
		} {
			b := d.browser(t, tc.token, tc.request)
			b.send("join", nil)
			b.waitError("not shared")
		}
		// Signals before a join, and frames that are not rtc, are refused.
		stray := d.browser(t, "t:"+d.Bob.ID, id)
		stray.send("signal", &sfu.Message{Kind: sfu.Offer, SDP: "v=0"})
		stray.waitError("join the screen share first")
		stray.send("dance", nil)
		stray.waitError("unknown op")

		// Bob leaves the chat: his viewer is cut off at once.
		if _, err := e.LeaveChat(ctx, storetest.Actor(d.Bob), id); err != nil {
			t.Fatal(err)
		}
		select {
		case <-invited.stopped:
		case <-time.After(testwait.Deadline):
			t.Fatal("the technician who left still watches")
		}
		owner.waitPackets("the screen at the owner after Bob left", 30)

		// The customer stops: both sides are told and the room goes.
		if _, err := e.StopScreenShare(ctx, cust, ""); err != nil {
			t.Fatal(err)
		}
		for _, b := range []*browser{sharer, owner} {
			select {
			case <-b.stopped:
			case <-time.After(testwait.Deadline):
				t.Fatal("a side was not told the share stopped")
			}
		}
		testwait.Eventually(t, "the room to close", func() bool { return d.m.Rooms() == 0 })

		// Who watched is on the request, once each.
		evs, err := e.Events(ctx, alice, id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		viewed := map[string]int{}
		for _, ev := range evs {
			if ev.Type == core.EventScreenViewed {
				viewed[ev.Actor.ID]++
			}
		}
		if viewed[d.Alice.ID] != 1 || viewed[d.Bob.ID] != 1 || len(viewed) != 2 {
			t.Errorf("viewed events %v", viewed)
		}
	})
}

// checkICE: a browser is told the STUN server as it is, and the TURN
// server with credentials of its own that coturn can check with the
// shared secret alone.
func checkICE(t *testing.T, got []json.RawMessage, peer string) {
	t.Helper()
	var servers []struct {
		URLs       []string `json:"urls"`
		Username   string   `json:"username"`
		Credential string   `json:"credential"`
	}
	for _, raw := range got {
		var s struct {
			URLs       []string `json:"urls"`
			Username   string   `json:"username"`
			Credential string   `json:"credential"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	if len(servers) != 2 || servers[0].URLs[0] != "stun:stun.example.com:3478" || servers[0].Username != "" {
		t.Fatalf("ICE servers %+v", servers)
	}
	turn := servers[1]
	expiry, who, _ := strings.Cut(turn.Username, ":")
	exp, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || who != peer || time.Until(time.Unix(exp, 0)) < time.Hour {
		t.Fatalf("TURN username %q", turn.Username)
	}
	mac := hmac.New(sha1.New, []byte("s3cret"))
	mac.Write([]byte(turn.Username))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); turn.Credential != want {
		t.Fatalf("TURN credential %q, want %q", turn.Credential, want)
	}
}

// TestShareAcrossProcesses: two relaydesk processes on one PostgreSQL
// database. The customer's stream is on one, the technician's on the
// other: the technician's signalling reaches the room in the customer's
// process, the screen reaches the technician, and Stop ends it for both.
func TestShareAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := storetest.MigratedPostgresURL(t)
	a, b := storetest.Open(t, url), storetest.Open(t, url)
	storetest.Listen(t, a)
	storetest.Listen(t, b)
	d := storetest.NewDesk(t, a)
	engB := core.NewEngine(core.Config{Store: b, Blobs: d.Blobs})
	manager := func(e screen.Engine, s *sqlstore.Store) *screen.Manager {
		router := liveroute.New(s, nil)
		m, err := screen.New(screen.Config{Engine: e, Hub: s.Hub(), SFU: sfu.Config{IncludeLoopback: true}, Router: router})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := router.Run(ctx); err != nil {
				t.Error(err)
			}
		}()
		t.Cleanup(func() { cancel(); <-done; m.Close(context.Background()) })
		return m
	}
	ma, mb := manager(d.Engine, a), manager(engB, b)
	urlA, urlB := serve(t, a.Hub(), ma), serve(t, b.Hub(), mb)

	alice := storetest.Actor(d.Alice)
	o := d.Live(t)
	id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
	if _, err := d.Engine.RequestScreenShare(ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Engine.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{}); err != nil {
		t.Fatal(err)
	}
	sharer := dial(t, urlA, "c:"+o.Participant.ID+":"+id, id)
	if e := sharer.join(); e != "" {
		t.Fatalf("customer join: %s", e)
	}
	sharer.publish(ctx)
	owner := dial(t, urlB, "t:"+d.Alice.ID, id)
	if e := owner.join(); e != "" {
		t.Fatalf("owner join through the other process: %s", e)
	}
	owner.waitPackets("the screen at the owner, through the other process", 60)
	if ma.Rooms() != 1 || mb.Rooms() != 0 {
		t.Errorf("rooms: %d in the customer's process, %d in the technician's; want 1 and 0", ma.Rooms(), mb.Rooms())
	}
	// A technician of another company is refused there too.
	carol := dial(t, urlB, "t:"+d.Carol.ID, id)
	carol.send("join", nil)
	carol.waitError("not shared")

	// Stopped in the technician's process: both sides are told.
	if _, err := engB.StopScreenShare(ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	for _, br := range []*browser{sharer, owner} {
		select {
		case <-br.stopped:
		case <-time.After(testwait.Deadline):
			t.Fatal("a side was not told the share stopped")
		}
	}
	testwait.Eventually(t, "the room to close", func() bool { return ma.Rooms() == 0 })
}

// TestRecordingStoredPrivately: a share recorded with the customer's
// consent is stored, once stopped, as a well-formed WebM file that only
// technicians see; a declined ask records nothing.
func TestRecordingStoredPrivately(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		d := newDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
		if _, err := e.RequestScreenShare(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{}); err != nil {
			t.Fatal(err)
		}
		sharer := d.browser(t, "c:"+o.Participant.ID+":"+id, id)
		if e := sharer.join(); e != "" {
			t.Fatal(e)
		}
		sharer.publish(ctx)
		owner := d.browser(t, "t:"+d.Alice.ID, id)
		if e := owner.join(); e != "" {
			t.Fatal(e)
		}
		owner.waitPackets("the screen", 30)
		files := func() []core.Event {
			evs, err := e.Events(ctx, alice, id, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			var out []core.Event
			for _, ev := range evs {
				if ev.Type == core.EventFile {
					out = append(out, ev)
				}
			}
			return out
		}

		// Declined: nothing is written.
		if _, err := e.RequestRecording(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.AnswerRecording(ctx, cust, false); err != nil {
			t.Fatal(err)
		}
		owner.waitPackets("the screen after the decline", 60)
		if f := files(); len(f) != 0 {
			t.Fatalf("a declined recording stored %v", f)
		}

		// Allowed: about three seconds are recorded (a frame is two packets;
		// the file starts at the next keyframe, one a second), then the
		// owner stops.
		if _, err := e.RequestRecording(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.AnswerRecording(ctx, cust, true); err != nil {
			t.Fatal(err)
		}
		owner.waitPackets("the screen while recording", 200)
		if _, err := e.StopRecording(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
		var ev core.Event
		testwait.Eventually(t, "the recording to be stored", func() bool {
			f := files()
			if len(f) == 1 {
				ev = f[0]
			}
			return len(f) == 1
		})
		if ev.Audience != core.AudienceTechnicians || ev.Data.File.ContentType != "video/webm" || !strings.HasSuffix(ev.Data.File.Name, ".webm") {
			t.Fatalf("stored %+v for %s", ev.Data.File, ev.Audience)
		}
		if _, _, err := e.OpenFile(ctx, cust, ev.Data.File.ID); err == nil {
			t.Fatal("the customer opens the recording")
		}
		_, rc, err := e.OpenFile(ctx, alice, ev.Data.File.ID)
		if err != nil {
			t.Fatal(err)
		}
		webm, _ := io.ReadAll(rc)
		rc.Close()
		checkWebM(t, webm, 1500*time.Millisecond)
	})
}

// checkWebM: an EBML header of DocType webm, and a Duration of at least
// least.
func checkWebM(t *testing.T, b []byte, least time.Duration) {
	t.Helper()
	if len(b) < 1000 || !bytes.HasPrefix(b, []byte{0x1a, 0x45, 0xdf, 0xa3}) || !bytes.Contains(b[:64], []byte("webm")) {
		t.Fatalf("not a WebM file (%d bytes): % x", len(b), b[:min(len(b), 32)])
	}
	// Duration (0x4489) is a float in milliseconds (the default timecode
	// scale), 4 or 8 bytes long.
	i := bytes.Index(b, []byte{0x44, 0x89})
	if i < 0 || i+3 > len(b) {
		t.Fatal("the file has no duration")
	}
	var ms float64
	switch size := b[i+2]; size {
	case 0x84:
		ms = float64(math.Float32frombits(binary.BigEndian.Uint32(b[i+3:])))
	case 0x88:
		ms = math.Float64frombits(binary.BigEndian.Uint64(b[i+3:]))
	default:
		t.Fatalf("duration of size byte %#x", size)
	}
	if got := time.Duration(ms * float64(time.Millisecond)); got < least || got > time.Minute {
		t.Fatalf("duration %s, want at least %s", got, least)
	}
}

// TestCallCarriesEveryone: in a call the customer and the owner hear and
// see each other, the invited technician takes part, and another company's
// technician gets nothing.
func TestCallCarriesEveryone(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		d := newDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
		if _, err := e.InviteTechnician(ctx, alice, id, d.Bob.ID); err != nil {
			t.Fatal(err)
		}
		call := func(token string) *browser {
			b := d.browser(t, token, id)
			b.session = "call"
			return b
		}
		ringing := call("t:" + d.Alice.ID)
		if _, err := e.StartCall(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
		if e := ringing.join(); !strings.Contains(e, "not shared") {
			t.Fatalf("joined a call nobody answered: %q", e)
		}
		if _, err := e.AnswerCall(ctx, cust, true); err != nil {
			t.Fatal(err)
		}
		customer, owner, invited := call("c:"+o.Participant.ID+":"+id), call("t:"+d.Alice.ID), call("t:"+d.Bob.ID)
		customer.pub, owner.pub = true, true // the invited technician only listens
		for _, b := range []*browser{customer, owner, invited} {
			if e := b.join(); e != "" {
				t.Fatalf("join the call: %s", e)
			}
		}
		customer.publish(ctx)
		owner.publish(ctx)
		owner.waitPackets("the customer at the owner", 60)
		customer.waitPackets("the owner at the customer", 60)
		invited.waitPackets("the call at the invited technician", 120)
		// A screen share's room is another: the call is not in it.
		if share := d.browser(t, "t:"+d.Alice.ID, id); share.join() == "" {
			t.Fatal("a call's technician joined a screen share nobody started")
		}
		stranger := call("t:" + d.Carol.ID)
		stranger.send("join", nil)
		stranger.waitError("not shared")

		if _, err := e.EndCall(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
		for _, b := range []*browser{customer, owner, invited} {
			select {
			case <-b.stopped:
			case <-time.After(testwait.Deadline):
				t.Fatal("a side was not told the call ended")
			}
		}
		testwait.Eventually(t, "the room to close", func() bool { return d.m.Rooms() == 0 })
	})
}

// TestRecordingTakesLateTracks: a track that starts while a call is being
// recorded (an invited technician joining) cannot join the file under way:
// that file is stored, and the recording goes on in a second one that
// holds every track.
func TestRecordingTakesLateTracks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDesk(t, storetest.SQLite(t))
	e := d.Engine
	alice := storetest.Actor(d.Alice)
	o := d.Live(t)
	id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
	for _, step := range []func() (core.Request, error){
		func() (core.Request, error) { return e.InviteTechnician(ctx, alice, id, d.Bob.ID) },
		func() (core.Request, error) { return e.StartCall(ctx, alice, id) },
		func() (core.Request, error) { return e.AnswerCall(ctx, cust, true) },
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	call := func(token string) *browser {
		b := d.browser(t, token, id)
		b.session, b.pub = "call", true
		if e := b.join(); e != "" {
			t.Fatal(e)
		}
		b.publish(ctx)
		return b
	}
	customer, owner := call("c:"+o.Participant.ID+":"+id), call("t:"+d.Alice.ID)
	owner.waitPackets("the customer at the owner", 30)
	if _, err := e.RequestRecording(ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.AnswerRecording(ctx, cust, true); err != nil {
		t.Fatal(err)
	}
	owner.waitPackets("the customer while recording", 150) // the file has begun
	call("t:" + d.Bob.ID)                                  // a late track
	files := func() int {
		evs, err := e.Events(ctx, alice, id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Type == core.EventFile {
				n++
			}
		}
		return n
	}
	testwait.Eventually(t, "the first file to be stored", func() bool { return files() == 1 })
	customer.waitPackets("the call at the customer", 150)
	if _, err := e.StopRecording(ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	testwait.Eventually(t, "the second file to be stored", func() bool { return files() == 2 })
}
