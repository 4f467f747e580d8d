package sfu

import (
	"errors"
	"fmt"

	"sync"

	"github.com/pion/webrtc/v4"
)

// maxEarlyCandidates bounds the candidates kept before the first offer or
// answer, so a misbehaving browser cannot grow them without end.
const maxEarlyCandidates = 64

// peer is one browser's PeerConnection in a room. Negotiation follows the
// "perfect negotiation" pattern with the room as the impolite side: when
// both sides offer at once, the room's offer stands and the browser rolls
// its own back (Pion cannot roll back an offer of its own).
type peer struct {
	id   string
	room *Room
	pc   *webrtc.PeerConnection

	outMu  sync.Mutex // guards out against sends after close
	out    chan Message
	sender Sender
	ended  bool

	mu       sync.Mutex // guards negotiation and senders
	senders  map[*forward]*webrtc.RTPSender
	offering bool // the room's offer awaits its answer
	again    bool // offer again once the current exchange is over
	// first: the browser offers first (it publishes); the room's offers
	// wait until that offer is answered. Pion cannot roll back an offer of
	// its own, so the room avoids the glare instead of settling it.
	first  bool
	early  []webrtc.ICECandidateInit
	closed bool // the room closed the connection
}

func newPeer(r *Room, id string, pc *webrtc.PeerConnection, s Sender) *peer {
	return &peer{
		id:      id,
		room:    r,
		pc:      pc,
		out:     make(chan Message, 256),
		sender:  s,
		senders: make(map[*forward]*webrtc.RTPSender),
	}
}

// start wires the connection's events and the goroutine that sends the
// room's messages in order, so a slow stream never holds up media set-up.
func (p *peer) start() {
	r := p.room
	p.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		init := c.ToJSON()
		p.send(Message{Kind: Candidate, Candidate: &init})
	})
	p.pc.OnTrack(func(t *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		r.publish(p, t, recv)
	})
	p.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed {
			r.leave(r.ctx, p.id, p.id+" lost its connection")
		}
	})
	go func() {
		for m := range p.out {
			if err := p.sender.Send(r.ctx, m); err != nil {
				r.log.Warn("signal not sent", "peer", p.id, "kind", m.Kind, "err", err)
			}
		}
	}()
}

// send queues m for the browser. A browser that lets 256 messages pile up
// is not following the session any more: it is removed.
func (p *peer) send(m Message) {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	if p.ended {
		return
	}
	select {
	case p.out <- m:
	default:
		p.room.log.Warn("signalling backed up", "peer", p.id)
		go p.room.leave(p.room.ctx, p.id, p.id+" stopped reading")
	}
}

// close tells the browser why it is out, then ends the connection.
func (p *peer) close(reason string) {
	p.outMu.Lock()
	if !p.ended {
		select {
		case p.out <- Message{Kind: Stop, Reason: reason}:
		default:
		}
		p.ended = true
		close(p.out)
	}
	p.outMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if err := p.pc.Close(); err != nil {
		p.room.log.Warn("peer connection not closed", "peer", p.id, "err", err)
	}
}

func (p *peer) negotiate() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.offerLocked(); err != nil {
		p.room.log.Warn("offer failed", "peer", p.id, "err", err)
	}
}

// offerLocked offers the room's current tracks now, or as soon as the
// exchange under way ends. p.mu is held.
func (p *peer) offerLocked() error {
	if p.closed {
		return nil
	}
	if p.first || p.offering || p.pc.SignalingState() != webrtc.SignalingStateStable {
		p.again = true
		return nil
	}
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("create offer: %w", err)
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("set offer: %w", err)
	}
	p.offering = true
	p.send(Message{Kind: Offer, SDP: offer.SDP})
	return nil
}

func (p *peer) onOffer(sdp string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("peer %s: %w", p.id, ErrClosed)
	}
	if p.offering {
		// Both sides offered. Pion cannot roll an offer of its own back, so
		// ours stands: the browser, the polite side, rolls its own back,
		// answers ours, and offers again. (JoinPublisher keeps a publisher's
		// first offer from ever meeting one of ours.)
		p.room.log.Info("offer ignored: the room's own is out", "peer", p.id)
		return nil
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return fmt.Errorf("peer %s: offer: %w", p.id, err)
	}
	p.flushEarlyLocked()
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("peer %s: create answer: %w", p.id, err)
	}
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return fmt.Errorf("peer %s: set answer: %w", p.id, err)
	}
	p.send(Message{Kind: Answer, SDP: answer.SDP})
	p.first = false
	if p.again {
		p.again = false
		return p.offerLocked()
	}
	return nil
}

func (p *peer) onAnswer(sdp string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("peer %s: %w", p.id, ErrClosed)
	}
	if !p.offering {
		return fmt.Errorf("peer %s: answer without an offer", p.id)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("peer %s: answer: %w", p.id, err)
	}
	p.offering = false
	p.flushEarlyLocked()
	if p.again {
		p.again = false
		return p.offerLocked()
	}
	return nil
}

func (p *peer) onCandidate(c webrtc.ICECandidateInit) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("peer %s: %w", p.id, ErrClosed)
	}
	if p.pc.RemoteDescription() == nil {
		if len(p.early) >= maxEarlyCandidates {
			return fmt.Errorf("peer %s: too many candidates before an offer", p.id)
		}
		p.early = append(p.early, c)
		return nil
	}
	if err := p.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("peer %s: candidate: %w", p.id, err)
	}
	return nil
}

func (p *peer) flushEarlyLocked() {
	for _, c := range p.early {
		if err := p.pc.AddICECandidate(c); err != nil {
			p.room.log.Warn("candidate refused", "peer", p.id, "err", err)
		}
	}
	p.early = nil
}

// attach starts sending f to the peer (negotiation follows). The packets
// flow as soon as the browser has answered.
func (p *peer) attach(f *forward) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.senders[f]; ok {
		return
	}
	s, err := p.pc.AddTrack(f.local)
	if err != nil {
		p.room.log.Warn("track not added", "peer", p.id, "err", err)
		return
	}
	p.senders[f] = s
	go f.relayRTCP(s)
}

// detach stops sending f to the peer at once; the browser learns of it
// with the next offer.
func (p *peer) detach(f *forward) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.senders[f]
	if !ok {
		return
	}
	delete(p.senders, f)
	if err := p.pc.RemoveTrack(s); err != nil && !errors.Is(err, webrtc.ErrConnectionClosed) {
		p.room.log.Warn("track not removed", "peer", p.id, "err", err)
	}
}

func (p *peer) receives(f *forward) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.senders[f]
	return ok
}
