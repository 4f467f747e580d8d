package sfu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/pion/webrtc/v4"
)

// ErrClosed is returned for a room that has ended.
var ErrClosed = errors.New("sfu: room closed")

// Room is one live session's media: who is connected, what they publish
// and who receives it. Its methods are safe for concurrent use.
type Room struct {
	id     string
	srv    *Server
	policy Policy
	log    *slog.Logger
	ctx    context.Context // for the room's own sends; ends with the room
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex // guards what follows; taken before any peer's mu
	closed   bool
	reason   string
	stay     bool // see StayWhenAlone
	peers    map[string]*peer
	forwards map[*forward]struct{}
	recs     map[*Recording]struct{}
}

// NewRoom returns an empty room; id names it in logs (the request's ID).
// policy decides who joins, publishes and receives.
func (s *Server) NewRoom(id string, policy Policy) *Room {
	ctx, cancel := context.WithCancel(context.Background())
	return &Room{
		id:       id,
		srv:      s,
		policy:   policy,
		log:      s.log.With("room", id),
		ctx:      ctx,
		cancel:   cancel,
		done:     make(chan struct{}),
		peers:    make(map[string]*peer),
		forwards: make(map[*forward]struct{}),
		recs:     make(map[*Recording]struct{}),
	}
}

// Done is closed when the room has ended.
func (r *Room) Done() <-chan struct{} { return r.done }

// Reason says why the room ended ("" while it runs).
func (r *Room) Reason() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

// Join connects a peer (a browser, named by the caller) to the room if the
// policy lets it; the room's messages to it go through out. The peer then
// offers its own tracks, or waits for the room's offer of the tracks it may
// receive.
func (r *Room) Join(ctx context.Context, id string, out Sender) error {
	return r.join(ctx, id, out, false)
}

// JoinPublisher is Join for a browser that offers its own tracks first (a
// sharer, anyone in a call): the room offers what it may receive only once
// that first offer is answered, so the two never offer at once.
func (r *Room) JoinPublisher(ctx context.Context, id string, out Sender) error {
	return r.join(ctx, id, out, true)
}

func (r *Room) join(ctx context.Context, id string, out Sender, publisher bool) error {
	if id == "" || out == nil {
		return errors.New("sfu: join needs a peer ID and a sender")
	}
	if err := r.policy.MayJoin(ctx, id); err != nil {
		return fmt.Errorf("join room %s as %s: %w: %w", r.id, id, ErrRefused, err)
	}
	pc, err := r.srv.api.NewPeerConnection(webrtc.Configuration{ICEServers: r.srv.ice})
	if err != nil {
		return fmt.Errorf("join room %s as %s: %w", r.id, id, err)
	}
	p := newPeer(r, id, pc, out)
	p.first = publisher

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		_ = pc.Close()
		return fmt.Errorf("join room %s as %s: %w", r.id, id, ErrClosed)
	}
	if _, ok := r.peers[id]; ok {
		r.mu.Unlock()
		_ = pc.Close()
		return fmt.Errorf("join room %s: %s is already in it", r.id, id)
	}
	r.peers[id] = p
	p.start()
	attached := false
	for f := range r.forwards {
		if r.policy.MayReceive(ctx, id, f.pub.id) {
			p.attach(f)
			attached = true
		}
	}
	r.mu.Unlock()

	r.log.Info("peer joined", "peer", id)
	if attached {
		p.negotiate()
	}
	return nil
}

// StayWhenAlone keeps the room open when fewer than two peers remain: the
// caller ends it (a screen share goes on while one of its viewers
// reconnects, and ends when the engine says so).
func (r *Room) StayWhenAlone() {
	r.mu.Lock()
	r.stay = true
	r.mu.Unlock()
}

// Handle acts on a message from peer's browser.
func (r *Room) Handle(ctx context.Context, peerID string, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	p, closed := r.peers[peerID], r.closed
	r.mu.Unlock()
	if p == nil && closed {
		return fmt.Errorf("room %s: %w", r.id, ErrClosed)
	}
	if p == nil {
		return fmt.Errorf("sfu: room %s has no peer %s", r.id, peerID)
	}
	switch m.Kind {
	case Offer:
		return p.onOffer(m.SDP)
	case Answer:
		return p.onAnswer(m.SDP)
	case Candidate:
		return p.onCandidate(*m.Candidate)
	default: // Stop
		r.leave(ctx, peerID, peerID+" stopped")
		return nil
	}
}

// leave removes a peer that stopped or lost its connection. A session needs
// two sides: when fewer than two peers remain, the room ends for the rest.
func (r *Room) leave(ctx context.Context, id, reason string) {
	if r.Remove(ctx, id, reason) != nil {
		return
	}
	r.mu.Lock()
	end := !r.closed && !r.stay && len(r.peers) < 2
	r.mu.Unlock()
	if end {
		r.Close(ctx, reason)
	}
}

// Remove disconnects a peer at once: it stops receiving before it is told,
// and what it published is withdrawn from everyone.
func (r *Room) Remove(ctx context.Context, id, reason string) error {
	r.mu.Lock()
	p := r.peers[id]
	if p == nil {
		r.mu.Unlock()
		return fmt.Errorf("sfu: room %s has no peer %s", r.id, id)
	}
	delete(r.peers, id)
	changed := r.withdrawLocked(func(f *forward) bool { return f.pub == p })
	r.mu.Unlock()

	p.close(reason)
	renegotiate(changed)
	r.log.Info("peer removed", "peer", id, "reason", reason)
	return nil
}

// Recheck asks the policy again about everyone: a peer no longer allowed to
// join is removed, media no longer allowed stops flowing at once, media now
// allowed starts. The caller calls it whenever consent or membership
// changes.
func (r *Room) Recheck(ctx context.Context) {
	r.mu.Lock()
	var gone []*peer
	for id, p := range r.peers {
		if r.policy.MayJoin(ctx, id) != nil {
			delete(r.peers, id)
			gone = append(gone, p)
		}
	}
	changed := r.withdrawLocked(func(f *forward) bool {
		return r.peers[f.pub.id] != f.pub || !r.policy.MayPublish(ctx, f.pub.id)
	})
	for f := range r.forwards {
		for _, q := range r.peers {
			if q == f.pub {
				continue
			}
			allowed := r.policy.MayReceive(ctx, q.id, f.pub.id)
			if allowed != q.receives(f) {
				if allowed {
					q.attach(f)
				} else {
					q.detach(f)
				}
				changed[q] = true
			}
		}
	}
	r.mu.Unlock()

	for _, p := range gone {
		p.close("no longer allowed")
		r.log.Info("peer removed", "peer", p.id, "reason", "no longer allowed")
	}
	renegotiate(changed)
}

// withdrawLocked stops the forwards that match and detaches them from every
// receiver, returning the peers to renegotiate. r.mu is held.
func (r *Room) withdrawLocked(match func(*forward) bool) map[*peer]bool {
	changed := make(map[*peer]bool)
	for f := range r.forwards {
		if !match(f) {
			continue
		}
		delete(r.forwards, f)
		f.stop()
		for _, q := range r.peers {
			if q.receives(f) {
				q.detach(f)
				changed[q] = true
			}
		}
	}
	return changed
}

func renegotiate(peers map[*peer]bool) {
	for p := range peers {
		p.negotiate()
	}
}

// Close ends the room for everyone: each peer is told (reason) and
// disconnected, and recordings are finished.
func (r *Room) Close(ctx context.Context, reason string) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.reason = reason
	peers := r.peers
	r.peers = make(map[string]*peer)
	for f := range r.forwards {
		f.stop()
	}
	r.forwards = make(map[*forward]struct{})
	recs := r.recs
	r.recs = make(map[*Recording]struct{})
	r.mu.Unlock()

	for _, p := range peers {
		p.close(reason)
	}
	for rec := range recs {
		if err := rec.finish(); err != nil {
			r.log.ErrorContext(ctx, "recording not finished", "err", err)
		}
	}
	r.cancel()
	close(r.done)
	r.log.Info("room closed", "reason", reason)
}
