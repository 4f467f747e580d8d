package sfu_test

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/relaydesk/relaydesk/web/sfu"
)

// policy is a Policy the test changes as it goes: who may join, publish,
// and receive from whom.
type policy struct {
	mu      sync.Mutex
	join    map[string]bool
	publish map[string]bool
	receive map[[2]string]bool // {peer, from}
}

func newPolicy() *policy {
	return &policy{join: map[string]bool{}, publish: map[string]bool{}, receive: map[[2]string]bool{}}
}

// allow lets pub publish and each of subs join and receive pub's media.
func (p *policy) allow(pub string, subs ...string) *policy {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.join[pub], p.publish[pub] = true, true
	for _, s := range subs {
		p.join[s] = true
		p.receive[[2]string{s, pub}] = true
	}
	return p
}

func (p *policy) set(f func(p *policy)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *policy) MayJoin(_ context.Context, peer string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.join[peer] {
		return errors.New("not in this session")
	}
	return nil
}

func (p *policy) MayPublish(_ context.Context, peer string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.publish[peer]
}

func (p *policy) MayReceive(_ context.Context, peer, from string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.receive[[2]string{peer, from}]
}

func newServer(tb testing.TB) *sfu.Server {
	tb.Helper()
	s, err := sfu.New(sfu.Config{IncludeLoopback: true}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// clientAPI is the Pion API of the test's browsers: loopback only, so the
// tests need no network.
func clientAPI(tb testing.TB) *webrtc.API {
	tb.Helper()
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		tb.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithSettingEngine(se))
}

// client is a Pion peer standing in for a browser: it answers the room's
// offers, offers its own tracks, and counts what it receives. Like the
// browser code will, it is the impolite side of perfect negotiation: it
// ignores the room's offer while its own is outstanding.
type client struct {
	tb   testing.TB
	id   string
	room *sfu.Room
	pc   *webrtc.PeerConnection
	in   chan sfu.Message

	mu       sync.Mutex
	offering bool
	again    bool // offer again when the answer comes
	hold     bool // add tracks without offering yet (publishAV)
	early    []webrtc.ICECandidateInit

	packets   atomic.Int64  // RTP packets received
	frames    atomic.Int64  // video frames received (marker bits)
	foreign   atomic.Int64  // packets whose tag is not the room's
	tag       atomic.Uint32 // what every received frame must end with (0: any)
	tracks    chan *webrtc.TrackRemote
	ended     chan string      // the kind of each received track that ends
	stopped   chan sfu.Message // the room's stop
	firstFrom time.Time
	firstAt   chan time.Duration // since firstFrom, when the client's first full frame came
	pliSeen   chan struct{}      // closed when this client's sent track got a keyframe request
	pliOnce   sync.Once
	frameCh   chan struct{} // signalled at each frame received
	descs     chan sfu.Kind // the kind of each offer or answer the room sent, in order
	sent      atomic.Int64  // frames the generator sent (when publishing)

	byStream sync.Map // stream ID (publisher) -> *atomic.Int64 packets received

	latMu sync.Mutex
	lats  []time.Duration // send-to-receive time of each frame's first packet
	vp8   codecs.VP8Packet
}

// streamPackets counts the packets received from one publisher.
func (c *client) streamPackets(id string) *atomic.Int64 {
	n, _ := c.byStream.LoadOrStore(id, new(atomic.Int64))
	return n.(*atomic.Int64)
}

// latency notes how long a frame's first packet took from the generator,
// which stamps the send time into each frame.
func (c *client) latency(pkt *rtp.Packet) {
	c.latMu.Lock()
	defer c.latMu.Unlock()
	data, err := c.vp8.Unmarshal(pkt.Payload)
	if err != nil || c.vp8.S != 1 || c.vp8.PID != 0 || len(data) < 18 {
		return
	}
	sent := time.Unix(0, int64(binary.BigEndian.Uint64(data[10:18])))
	c.lats = append(c.lats, time.Since(sent))
}

// takeLatencies returns the latencies noted since the last call.
func (c *client) takeLatencies() []time.Duration {
	c.latMu.Lock()
	defer c.latMu.Unlock()
	l := c.lats
	c.lats = nil
	return l
}

// join connects a client to room as id; it fails the test if the room
// refuses, unless refused is wanted (then it returns nil).
func join(tb testing.TB, api *webrtc.API, room *sfu.Room, id string) *client {
	tb.Helper()
	c, err := tryJoin(tb, api, room, id)
	if err != nil {
		tb.Fatalf("join %s: %v", id, err)
	}
	return c
}

func tryJoin(tb testing.TB, api *webrtc.API, room *sfu.Room, id string) (*client, error) {
	tb.Helper()
	return tryJoinAs(tb, api, room, id, false)
}

// joinPublisher joins as a browser that offers its own tracks first.
func joinPublisher(tb testing.TB, api *webrtc.API, room *sfu.Room, id string) *client {
	tb.Helper()
	c, err := tryJoinAs(tb, api, room, id, true)
	if err != nil {
		tb.Fatalf("join %s: %v", id, err)
	}
	return c
}

func tryJoinAs(tb testing.TB, api *webrtc.API, room *sfu.Room, id string, publisher bool) (*client, error) {
	tb.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		tb.Fatal(err)
	}
	c := &client{
		tb: tb, id: id, room: room, pc: pc,
		in:      make(chan sfu.Message, 256),
		tracks:  make(chan *webrtc.TrackRemote, 8),
		ended:   make(chan string, 8),
		stopped: make(chan sfu.Message, 1),
		firstAt: make(chan time.Duration, 1),
		pliSeen: make(chan struct{}),
		frameCh: make(chan struct{}, 1),
		descs:   make(chan sfu.Kind, 64),
	}
	tb.Cleanup(func() { _ = pc.Close() })
	ctx := context.Background()
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil {
			return
		}
		init := cand.ToJSON()
		if err := room.Handle(ctx, id, sfu.Message{Kind: sfu.Candidate, Candidate: &init}); err != nil {
			tb.Logf("%s: candidate: %v", id, err)
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		c.tracks <- t
		// A browser asks for a keyframe when it starts on a track.
		_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(t.SSRC())}})
		first := true
		for {
			pkt, _, err := t.ReadRTP()
			if err != nil {
				c.ended <- t.Kind().String()
				return
			}
			c.packets.Add(1)
			c.streamPackets(t.StreamID()).Add(1)
			c.latency(pkt)
			if n, tag := len(pkt.Payload), byte(c.tag.Load()); pkt.Marker && tag != 0 && n > 0 && pkt.Payload[n-1] != tag {
				c.foreign.Add(1)
			}
			if pkt.Marker && t.Kind() == webrtc.RTPCodecTypeVideo {
				c.frames.Add(1)
				select {
				case c.frameCh <- struct{}{}:
				default:
				}
				if first {
					first = false
					// Only the client's first frame is timed. A blocking
					// send here stalled every later video track (a second
					// publisher's, a re-invited viewer's) after its first
					// packet; a browser plays each track on its own.
					select {
					case c.firstAt <- time.Since(c.firstFrom):
					default:
					}
				}
			}
		}
	})
	c.firstFrom = time.Now()
	joinRoom := room.Join
	if publisher {
		joinRoom = room.JoinPublisher
	}
	if err := joinRoom(ctx, id, sfu.SenderFunc(func(_ context.Context, m sfu.Message) error {
		if m.Kind == sfu.Offer || m.Kind == sfu.Answer {
			select {
			case c.descs <- m.Kind:
			default:
			}
		}
		c.in <- m
		return nil
	})); err != nil {
		return nil, err
	}
	go c.loop(ctx)
	return c, nil
}

// loop acts on the room's messages.
func (c *client) loop(ctx context.Context) {
	for m := range c.in {
		switch m.Kind {
		case sfu.Offer:
			c.mu.Lock()
			if c.offering {
				c.mu.Unlock()
				continue // impolite: the room rolls back and offers again
			}
			err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP})
			var answer webrtc.SessionDescription
			if err == nil {
				c.flushLocked()
				answer, err = c.pc.CreateAnswer(nil)
			}
			if err == nil {
				err = c.pc.SetLocalDescription(answer)
			}
			c.mu.Unlock()
			if err == nil {
				err = c.room.Handle(ctx, c.id, sfu.Message{Kind: sfu.Answer, SDP: answer.SDP})
			}
			// Once the room has ended the session, closing our connection
			// (DTLS close), an offer still queued cannot be answered.
			ended := errors.Is(err, sfu.ErrClosed) || errors.Is(err, webrtc.ErrConnectionClosed)
			if err != nil && !ended {
				c.tb.Errorf("%s: answering: %v", c.id, err)
			}
		case sfu.Answer:
			c.mu.Lock()
			err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP})
			c.offering = false
			c.flushLocked()
			if err == nil && c.again {
				c.again = false
				err = c.offerLocked(ctx)
			}
			c.mu.Unlock()
			if err != nil && !errors.Is(err, webrtc.ErrConnectionClosed) {
				c.tb.Errorf("%s: answer: %v", c.id, err)
			}
		case sfu.Candidate:
			c.mu.Lock()
			if c.pc.RemoteDescription() == nil {
				c.early = append(c.early, *m.Candidate)
			} else if err := c.pc.AddICECandidate(*m.Candidate); err != nil {
				c.tb.Logf("%s: candidate: %v", c.id, err)
			}
			c.mu.Unlock()
		case sfu.Stop:
			c.stopped <- m
			return
		}
	}
}

func (c *client) flushLocked() {
	for _, cand := range c.early {
		_ = c.pc.AddICECandidate(cand)
	}
	c.early = nil
}

// publish adds a synthetic VP8 track and offers it to the room; frames
// go out from a generator until ctx ends. Each frame's bytes end with tag.
func (c *client) publish(ctx context.Context, bytesPerFrame int, tag byte) *webrtc.RTPSender {
	c.tb.Helper()
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "screen", c.id)
	if err != nil {
		c.tb.Fatal(err)
	}
	sender, err := c.pc.AddTrack(track)
	if err != nil {
		c.tb.Fatal(err)
	}
	keyframe := make(chan struct{}, 1)
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					c.pliOnce.Do(func() { close(c.pliSeen) })
					select {
					case keyframe <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	c.offer(ctx)
	go generate(ctx, track, bytesPerFrame, tag, keyframe, &c.sent)
	return sender
}

// publishAudio adds a synthetic Opus track: 20 ms packets of filler.
func (c *client) publishAudio(ctx context.Context) {
	c.tb.Helper()
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "mic", c.id)
	if err != nil {
		c.tb.Fatal(err)
	}
	if _, err := c.pc.AddTrack(track); err != nil {
		c.tb.Fatal(err)
	}
	c.offer(ctx)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if err := track.WriteSample(media.Sample{Data: make([]byte, 80), Duration: 20 * time.Millisecond}); err != nil {
				return
			}
		}
	}()
}

// unpublish withdraws a track the client sends, as a browser does when
// the customer turns the camera off.
func (c *client) unpublish(ctx context.Context, s *webrtc.RTPSender) {
	c.tb.Helper()
	if err := c.pc.RemoveTrack(s); err != nil {
		c.tb.Fatal(err)
	}
	c.offer(ctx)
}

// offer sends the client's current tracks to the room.
func (c *client) offer(ctx context.Context) {
	c.tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.offerLocked(ctx); err != nil {
		c.tb.Fatal(err)
	}
}

// offerLocked offers now, or once the exchange under way is over.
func (c *client) offerLocked(ctx context.Context) error {
	if c.hold {
		return nil // publishAV offers once, with every track
	}
	if c.offering || c.pc.SignalingState() != webrtc.SignalingStateStable {
		c.again = true
		return nil
	}
	offer, err := c.pc.CreateOffer(nil)
	if err == nil {
		err = c.pc.SetLocalDescription(offer)
	}
	if err != nil {
		return err
	}
	c.offering = true
	return c.room.Handle(ctx, c.id, sfu.Message{Kind: sfu.Offer, SDP: offer.SDP})
}

// generate writes synthetic VP8 frames at 30 per second: a keyframe (with a
// real keyframe header, 1280x720) every 3 s or when asked, interframes
// otherwise; the bytes are filler ending in tag. The payload is not
// decodable video, which an SFU never looks into anyway.
func generate(ctx context.Context, track *webrtc.TrackLocalStaticSample, size int, tag byte, keyframe <-chan struct{}, sent *atomic.Int64) {
	const fps = 30
	tick := time.NewTicker(time.Second / fps)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		key := i%(3*fps) == 0
		select {
		case <-keyframe:
			key = true
		default:
		}
		frame := make([]byte, size)
		for j := range frame {
			frame[j] = byte(j)
		}
		if key {
			frame[0] = 0x10 // keyframe, version 0, shown
			copy(frame[3:], []byte{0x9d, 0x01, 0x2a})
			binary.LittleEndian.PutUint16(frame[6:], 1280)
			binary.LittleEndian.PutUint16(frame[8:], 720)
		} else {
			frame[0] = 0x11
		}
		binary.BigEndian.PutUint64(frame[10:], uint64(time.Now().UnixNano()))
		frame[size-1] = tag
		if err := track.WriteSample(media.Sample{Data: frame, Duration: time.Second / fps}); err != nil {
			return
		}
		sent.Add(1)
	}
}

// waitStreamPackets waits until c has received n more packets from the
// publisher from than it had; the publisher's track must be video, whose
// frames wake the wait.
func (c *client) waitStreamPackets(tb testing.TB, from string, n int64, within time.Duration) {
	tb.Helper()
	count := c.streamPackets(from)
	target := count.Load() + n
	timer := time.NewTimer(within)
	defer timer.Stop()
	for count.Load() < target {
		select {
		case <-c.frameCh:
		case <-timer.C:
			tb.Fatalf("%s: %d packets of %s within %v, want %d", c.id, count.Load(), from, within, target)
		}
	}
}

// waitFrames waits until c has received n more frames than it had.
func (c *client) waitFrames(tb testing.TB, n int64, within time.Duration) {
	tb.Helper()
	target := c.frames.Load() + n
	timer := time.NewTimer(within)
	defer timer.Stop()
	for c.frames.Load() < target {
		select {
		case <-c.frameCh:
		case <-timer.C:
			tb.Fatalf("%s: %d frames within %v, want %d", c.id, c.frames.Load(), within, target)
		}
	}
}

// publishAV publishes a screen and a microphone in one offer, as a browser
// in a call does: one exchange, so it never meets an offer of the room's
// (neither side of two Pion peers can roll an offer back).
func (c *client) publishAV(ctx context.Context) {
	c.tb.Helper()
	c.mu.Lock()
	c.hold = true
	c.mu.Unlock()
	c.publish(ctx, 1000, 0)
	c.publishAudio(ctx)
	c.mu.Lock()
	c.hold = false
	err := c.offerLocked(ctx)
	c.mu.Unlock()
	if err != nil {
		c.tb.Fatal(err)
	}
}
