package sfu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/web/sfu"
)

// within is how long a test waits for media on loopback before failing:
// generous, as the machine is shared; the benchmark measures real times.
const within = 20 * time.Second

func waitFor[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(within):
		tb.Fatalf("no %s within %v", what, within)
	}
	var zero T
	return zero
}

func TestForwardsPublisherToAllowedViewer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	room := newServer(t).NewRoom("r1", newPolicy().allow("customer", "tech"))
	defer room.Close(ctx, "test over")

	pub := joinPublisher(t, api, room, "customer")
	pub.publish(ctx, 1000, 0)
	viewer := join(t, api, room, "tech")

	track := waitFor(t, viewer.tracks, "track at the viewer")
	if track.StreamID() != "customer" || track.Codec().MimeType != webrtc.MimeTypeVP8 {
		t.Errorf("viewer got stream %q codec %q, want customer's VP8", track.StreamID(), track.Codec().MimeType)
	}
	viewer.waitFrames(t, 30, within)
	// The viewer's keyframe request reached the publisher through the room.
	waitFor(t, pub.pliSeen, "keyframe request at the publisher")
}

func TestRefusedPeersGetNothing(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	pol := newPolicy().allow("customer", "owner")
	// May join (a colleague in the call, say), may not receive the customer.
	pol.set(func(p *policy) { p.join["early"], p.join["late"] = true, true })
	room := newServer(t).NewRoom("r1", pol)
	defer room.Close(ctx, "test over")

	if _, err := tryJoin(t, api, room, "stranger"); !errors.Is(err, sfu.ErrRefused) {
		t.Fatalf("stranger joined: err %v, want ErrRefused", err)
	}
	pub := joinPublisher(t, api, room, "customer")
	pub.publish(ctx, 1000, 0)
	early := join(t, api, room, "early") // before the track exists
	owner := join(t, api, room, "owner")
	owner.waitFrames(t, 10, within)
	late := join(t, api, room, "late") // while it is forwarded

	// Once the allowed viewer has had another second of frames, the
	// refused ones would have had theirs too.
	owner.waitFrames(t, 30, within)
	for _, c := range []*client{early, late} {
		if n := c.packets.Load(); n != 0 {
			t.Errorf("refused viewer %s received %d packets", c.id, n)
		}
		select {
		case tr := <-c.tracks:
			t.Errorf("refused viewer %s got track %s", c.id, tr.ID())
		default:
		}
	}
}

func TestRefusedPublisherIsNotForwarded(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	pol := newPolicy().allow("customer", "tech")
	pol.set(func(p *policy) { p.publish["tech"] = false; p.receive[[2]string{"customer", "tech"}] = true })
	room := newServer(t).NewRoom("r1", pol)
	defer room.Close(ctx, "test over")

	cust := joinPublisher(t, api, room, "customer")
	cust.publish(ctx, 1000, 1)
	tech := joinPublisher(t, api, room, "tech")
	tech.publish(ctx, 1000, 2) // not allowed: no consent to forward it

	tech.waitFrames(t, 30, within)
	if n := cust.packets.Load(); n != 0 {
		t.Errorf("customer received %d packets of a refused publisher", n)
	}
}

func TestRecheckStopsMediaAtOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	pol := newPolicy().allow("customer", "owner", "invited")
	room := newServer(t).NewRoom("r1", pol)
	defer room.Close(ctx, "test over")

	pub := joinPublisher(t, api, room, "customer")
	pub.publish(ctx, 1000, 0)
	owner := join(t, api, room, "owner")
	invited := join(t, api, room, "invited")
	invited.waitFrames(t, 10, within)
	owner.waitFrames(t, 10, within)

	// The owner removes the invited technician from the session.
	pol.set(func(p *policy) { delete(p.receive, [2]string{"invited", "customer"}) })
	room.Recheck(ctx)
	after := invited.packets.Load()

	waitFor(t, invited.ended, "end of the removed viewer's track")
	owner.waitFrames(t, 30, within)
	// Packets already on the wire when Recheck returned may still land.
	if n := invited.packets.Load() - after; n > 10 {
		t.Errorf("removed viewer received %d packets after Recheck", n)
	}

	// Allowed again (re-invited): media flows again.
	pol.set(func(p *policy) { p.receive[[2]string{"invited", "customer"}] = true })
	room.Recheck(ctx)
	waitFor(t, invited.tracks, "track after re-invitation") // the first one
	waitFor(t, invited.tracks, "track after re-invitation")
}

func TestRecheckRemovesPeerNoLongerAllowed(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	pol := newPolicy().allow("customer", "owner", "invited")
	room := newServer(t).NewRoom("r1", pol)
	defer room.Close(ctx, "test over")

	pub := joinPublisher(t, api, room, "customer")
	pub.publish(ctx, 1000, 0)
	invited := join(t, api, room, "invited")
	invited.waitFrames(t, 10, within)

	pol.set(func(p *policy) { delete(p.join, "invited") })
	room.Recheck(ctx)
	if m := waitFor(t, invited.stopped, "stop at the removed peer"); m.Reason == "" {
		t.Error("stop without a reason")
	}
	waitFor(t, invited.ended, "end of the removed peer's track")
}

func TestStopOnEitherSideEndsForBoth(t *testing.T) {
	t.Parallel()
	for _, stopper := range []string{"customer", "tech"} {
		t.Run(stopper+" stops", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			api := clientAPI(t)
			room := newServer(t).NewRoom("r1", newPolicy().allow("customer", "tech"))
			defer room.Close(ctx, "test over")
			clients := map[string]*client{"customer": join(t, api, room, "customer")}
			clients["customer"].publish(ctx, 1000, 0)
			clients["tech"] = join(t, api, room, "tech")
			clients["tech"].waitFrames(t, 10, within)

			if err := room.Handle(ctx, stopper, sfu.Message{Kind: sfu.Stop}); err != nil {
				t.Fatal(err)
			}
			other := clients["tech"]
			if stopper == "tech" {
				other = clients["customer"]
			}
			m := waitFor(t, other.stopped, "stop at the other side")
			if !strings.Contains(m.Reason, stopper) {
				t.Errorf("stop reason %q does not name %s", m.Reason, stopper)
			}
			waitFor(t, room.Done(), "room's end")
			if err := room.Handle(ctx, stopper, sfu.Message{Kind: sfu.Stop}); !errors.Is(err, sfu.ErrClosed) {
				t.Errorf("message to the ended room: %v, want ErrClosed", err)
			}
		})
	}
}

func TestRoomsDoNotLeak(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	srv := newServer(t)
	var viewers []*client
	for i, tag := range []byte{0xA1, 0xB2} {
		// Same peer names in both rooms: only the room tells them apart.
		room := srv.NewRoom(string(rune('a'+i)), newPolicy().allow("customer", "tech"))
		defer room.Close(ctx, "test over")
		pub := joinPublisher(t, api, room, "customer")
		pub.publish(ctx, 1000, tag)
		v := join(t, api, room, "tech")
		v.tag.Store(uint32(tag))
		viewers = append(viewers, v)
	}
	for _, v := range viewers {
		v.waitFrames(t, 60, within)
		if n := v.foreign.Load(); n != 0 {
			t.Errorf("viewer got %d frames of the other room", n)
		}
	}
}

func TestFirstFrameSoonAfterJoin(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	room := newServer(t).NewRoom("r1", newPolicy().allow("customer", "tech"))
	defer room.Close(ctx, "test over")
	pub := joinPublisher(t, api, room, "customer")
	pub.publish(ctx, 6000, 0)
	tech := join(t, api, room, "tech")
	d := waitFor(t, tech.firstAt, "first frame")
	t.Logf("join to first frame: %v", d)
	if d > 2*time.Second {
		t.Errorf("first frame %v after join, want under 2s", d)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	room := newServer(t).NewRoom("r1", newPolicy().allow("customer", "tech"))
	defer room.Close(ctx, "test over")
	api := clientAPI(t)
	join(t, api, room, "customer")

	cases := []struct {
		name string
		peer string
		msg  sfu.Message
		want string
	}{
		{"no kind", "customer", sfu.Message{}, "without a kind"},
		{"unknown kind", "customer", sfu.Message{Kind: "dance"}, "unknown message kind"},
		{"offer without SDP", "customer", sfu.Message{Kind: sfu.Offer}, "without SDP"},
		{"candidate without candidate", "customer", sfu.Message{Kind: sfu.Candidate}, "without a candidate"},
		{"malformed offer", "customer", sfu.Message{Kind: sfu.Offer, SDP: "v=banana"}, "offer"},
		{"answer without offer", "customer", sfu.Message{Kind: sfu.Answer, SDP: "v=0"}, "answer without an offer"},
		{"unknown peer", "nobody", sfu.Message{Kind: sfu.Stop}, "no peer nobody"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := room.Handle(ctx, tc.peer, tc.msg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Handle: %v, want an error with %q", err, tc.want)
			}
		})
	}
	t.Run("join without a name or a sender", func(t *testing.T) {
		noop := sfu.SenderFunc(func(context.Context, sfu.Message) error { return nil })
		if err := room.Join(ctx, "", noop); err == nil {
			t.Error("join without a peer ID accepted")
		}
		if err := room.Join(ctx, "tech", nil); err == nil {
			t.Error("join without a sender accepted")
		}
	})
	t.Run("joined twice", func(t *testing.T) {
		if _, err := tryJoin(t, api, room, "customer"); err == nil {
			t.Error("second join with the same ID accepted")
		}
	})
	t.Run("join a closed room", func(t *testing.T) {
		r := newServer(t).NewRoom("r2", newPolicy().allow("customer"))
		r.Close(ctx, "over")
		if _, err := tryJoin(t, api, r, "customer"); !errors.Is(err, sfu.ErrClosed) {
			t.Errorf("join a closed room: %v, want ErrClosed", err)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  sfu.Config
		want string // "" for valid
	}{
		{"zero value", sfu.Config{}, ""},
		{"full", sfu.Config{
			ICEServers: []sfu.ICEServer{{URLs: []string{"turn:turn.example.com:3478"}, Username: "u", Credential: "p"}},
			PublicIPs:  []string{"203.0.113.7"}, PortMin: 50000, PortMax: 50100,
		}, ""},
		{"bad IP", sfu.Config{PublicIPs: []string{"example.com"}}, "not an IP"},
		{"half a range", sfu.Config{PortMin: 50000}, "port range"},
		{"range upside down", sfu.Config{PortMin: 50100, PortMax: 50000}, "port range"},
		{"server without URL", sfu.Config{ICEServers: []sfu.ICEServer{{}}}, "no URL"},
		{"TURN without credentials", sfu.Config{ICEServers: []sfu.ICEServer{{URLs: []string{"turn:turn.example.com:3478"}}}}, "needs a username"},
		{"not an ICE URL", sfu.Config{ICEServers: []sfu.ICEServer{{URLs: []string{"http://turn.example.com"}}}}, "ICE server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sfu.New(tc.cfg, nil)
			if tc.want == "" && err != nil {
				t.Errorf("New: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestTracksAddedAndRemovedRenegotiate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	room := newServer(t).NewRoom("r1", newPolicy().allow("customer", "tech"))
	defer room.Close(ctx, "test over")

	pub := join(t, api, room, "customer")
	screen := pub.publish(ctx, 1000, 0)
	viewer := join(t, api, room, "tech")
	if tr := waitFor(t, viewer.tracks, "screen at the viewer"); tr.Kind() != webrtc.RTPCodecTypeVideo {
		t.Fatalf("first track %s, want video", tr.Kind())
	}

	// The customer accepts a call: the microphone comes on mid-session.
	pub.publishAudio(ctx)
	if tr := waitFor(t, viewer.tracks, "microphone at the viewer"); tr.Codec().MimeType != webrtc.MimeTypeOpus {
		t.Fatalf("second track %s, want Opus", tr.Codec().MimeType)
	}

	// The customer stops sharing the screen but stays in the call.
	pub.unpublish(ctx, screen)
	if kind := waitFor(t, viewer.ended, "end of the screen track at the viewer"); kind != "video" {
		t.Errorf("the %s track ended, want the screen (video)", kind)
	}
	select {
	case <-room.Done():
		t.Fatal("room ended with a track")
	default:
	}
}

func TestCallCarriesBothDirections(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	pol := newPolicy().allow("customer", "tech")
	pol.allow("tech", "customer")
	room := newServer(t).NewRoom("r1", pol)
	defer room.Close(ctx, "test over")

	// Both publish at about the same time, each offering first: the room
	// answers each before offering it the other's tracks.
	cust := joinPublisher(t, api, room, "customer")
	tech := joinPublisher(t, api, room, "tech")
	cust.publishAV(ctx)
	tech.publishAV(ctx)
	for _, c := range []*client{cust, tech} {
		c.waitFrames(t, 30, within)
		kinds := map[string]bool{}
		for range 2 {
			tr := waitFor(t, c.tracks, "the other side's tracks")
			kinds[tr.Kind().String()] = true
			if tr.StreamID() == c.id {
				t.Errorf("%s received its own track", c.id)
			}
		}
		if !kinds["video"] || !kinds["audio"] {
			t.Errorf("%s received %v, want video and audio", c.id, kinds)
		}
	}
}

func TestRemovedPublisherEndsItsTracksOnly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	pol := newPolicy().allow("customer", "owner", "invited")
	pol.allow("invited", "owner", "customer")
	room := newServer(t).NewRoom("r1", pol)
	defer room.Close(ctx, "test over")

	cust := joinPublisher(t, api, room, "customer")
	cust.publish(ctx, 1000, 0)
	invited := joinPublisher(t, api, room, "invited")
	invited.publish(ctx, 1000, 0)
	owner := join(t, api, room, "owner")
	owner.waitFrames(t, 60, within)
	for _, from := range []string{"customer", "invited"} {
		owner.waitStreamPackets(t, from, 30, within) // both tracks flowing
	}
	waitFor(t, owner.tracks, "a track at the owner")
	waitFor(t, owner.tracks, "a track at the owner")

	if err := room.Remove(ctx, "invited", "removed by the owner"); err != nil {
		t.Fatal(err)
	}
	if m := waitFor(t, invited.stopped, "stop at the removed technician"); m.Reason != "removed by the owner" {
		t.Errorf("stop reason %q", m.Reason)
	}
	from, other := owner.streamPackets("invited").Load(), owner.streamPackets("customer").Load()
	owner.waitFrames(t, 30, within) // the customer's screen goes on
	// Packets already on the wire when Remove returned may still land.
	if n := owner.streamPackets("invited").Load() - from; n > 10 {
		t.Errorf("owner received %d packets of the removed technician after Remove", n)
	}
	if owner.streamPackets("customer").Load()-other < 30 {
		t.Error("the customer's media stopped too")
	}
	select {
	case <-room.Done():
		t.Error("room ended when one of three left")
	default:
	}
	if err := room.Remove(ctx, "invited", "again"); err == nil {
		t.Error("removing a peer twice succeeded")
	}
}

func TestCloseEndsSessionForEveryone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	room := newServer(t).NewRoom("r1", newPolicy().allow("customer", "owner", "invited"))
	pub := joinPublisher(t, api, room, "customer")
	pub.publish(ctx, 1000, 0)
	viewers := []*client{join(t, api, room, "owner"), join(t, api, room, "invited")}
	for _, v := range viewers {
		v.waitFrames(t, 10, within)
	}
	var buf bytes.Buffer
	rec, err := room.Record(&buf)
	if err != nil {
		t.Fatal(err)
	}

	room.Close(ctx, "request closed")
	for _, c := range append(viewers, pub) {
		if m := waitFor(t, c.stopped, "stop"); m.Reason != "request closed" {
			t.Errorf("%s: stop reason %q", c.id, m.Reason)
		}
	}
	for _, v := range viewers {
		waitFor(t, v.ended, "end of the viewer's track")
	}
	if err := rec.Stop(); err != nil {
		t.Fatalf("recording after close: %v", err)
	}
	if room.Reason() != "request closed" {
		t.Errorf("room reason %q", room.Reason())
	}
	if err := room.Join(ctx, "owner", sfu.SenderFunc(func(context.Context, sfu.Message) error { return nil })); !errors.Is(err, sfu.ErrClosed) {
		t.Errorf("join after close: %v, want ErrClosed", err)
	}
}

// TestMessageJSON pins the wire shape the widget's and console's scripts
// read and write: the browser's own RTCSessionDescription and
// RTCIceCandidate.toJSON() fields.
func TestMessageJSON(t *testing.T) {
	t.Parallel()
	idx := uint16(0)
	mid := "0"
	cases := []struct {
		msg  sfu.Message
		want string
	}{
		{sfu.Message{Kind: sfu.Offer, SDP: "v=0"}, `{"kind":"offer","sdp":"v=0"}`},
		{sfu.Message{Kind: sfu.Answer, SDP: "v=0"}, `{"kind":"answer","sdp":"v=0"}`},
		{sfu.Message{Kind: sfu.Candidate, Candidate: &webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", SDPMid: &mid, SDPMLineIndex: &idx}},
			`{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":null}}`},
		{sfu.Message{Kind: sfu.Stop, Reason: "c:carol stopped"}, `{"kind":"stop","reason":"c:carol stopped"}`},
	}
	for _, tc := range cases {
		t.Run(string(tc.msg.Kind), func(t *testing.T) {
			b, err := json.Marshal(tc.msg)
			if err != nil || string(b) != tc.want {
				t.Fatalf("marshal: %s, %v; want %s", b, err, tc.want)
			}
			var back sfu.Message
			if err := json.Unmarshal(b, &back); err != nil || back.Validate() != nil {
				t.Fatalf("unmarshal: %+v, %v", back, err)
			}
		})
	}
}

// TestPublisherOffersFirst: a browser that joins to publish (a call) offers
// first; the room, which already has tracks for it, sends its own offer
// only once it has answered, so the two never offer at once (Pion cannot
// roll an offer back).
func TestPublisherOffersFirst(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := clientAPI(t)
	pol := newPolicy().allow("customer", "tech")
	pol.allow("tech", "customer")
	room := newServer(t).NewRoom("r1", pol)
	defer room.Close(ctx, "test over")

	cust := joinPublisher(t, api, room, "customer")
	cust.publish(ctx, 1000, 0)
	if k := waitFor(t, cust.descs, "the room's answer"); k != sfu.Answer {
		t.Fatalf("the room sent the customer an %s first", k)
	}
	tech := joinPublisher(t, api, room, "tech")
	tech.publish(ctx, 1000, 0)
	if k := waitFor(t, tech.descs, "the room's first description"); k != sfu.Answer {
		t.Fatalf("the room offered before answering the technician's offer (%s)", k)
	}
	if k := waitFor(t, tech.descs, "the room's offer of the customer's track"); k != sfu.Offer {
		t.Fatalf("then %s", k)
	}
	tech.waitFrames(t, 30, within)
	cust.waitFrames(t, 30, within)
}
