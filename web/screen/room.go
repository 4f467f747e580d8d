package screen

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/web/sfu"
)

// room is one live share: its media room and the engine's word on who
// takes part, refreshed after every commit on the request.
type room struct {
	r      *sfu.Room
	policy *policy
	watch  *hub.Watch
	wake   chan struct{} // a commit on the request: read the session again

	mu     sync.Mutex
	viewed map[string]bool // technicians whose view was recorded
}

// refreshTimeout bounds one read of the session after a commit.
const refreshTimeout = 10 * time.Second

// room returns the share's room, opening it for a live share.
func (m *Manager) room(s core.ScreenSession) (*room, error) {
	if s.State != core.ScreenLive {
		return nil, errNotShared
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("relaydesk is shutting down")
	}
	if rm := m.rooms[s.RequestID]; rm != nil {
		select {
		case <-rm.r.Done():
		default:
			return rm, nil
		}
	}
	rm := &room{policy: &policy{s: s}, wake: make(chan struct{}, 1), viewed: make(map[string]bool)}
	rm.r = m.sfu.NewRoom(s.RequestID, rm.policy)
	rm.r.StayWhenAlone()
	rm.watch = m.hub.Watch(func() {
		select {
		case rm.wake <- struct{}{}:
		default:
		}
	}, hub.Request(s.RequestID))
	m.rooms[s.RequestID] = rm
	rm.wake <- struct{}{} // a commit between the read of s and the watch
	go m.follow(s.RequestID, rm)
	m.log.Info("screen share room opened", "request", s.RequestID)
	return rm, nil
}

// follow asks the engine again after each commit on the request, until
// the room ends: a share no longer live closes it, a change of who may take
// part is applied at once (sfu.Room.Recheck).
func (m *Manager) follow(requestID string, rm *room) {
	defer func() {
		rm.watch.Stop()
		m.mu.Lock()
		if m.rooms[requestID] == rm {
			delete(m.rooms, requestID)
		}
		m.mu.Unlock()
		if m.relay != nil {
			ctx, cancel := context.WithTimeout(context.Background(), mailTimeout)
			if err := m.relay.ReleaseRoom(ctx, requestID); err != nil {
				m.log.Warn("screen share room not released", "request", requestID, "err", err)
			}
			cancel()
		}
		m.log.Info("screen share room closed", "request", requestID, "reason", rm.r.Reason())
	}()
	for {
		select {
		case <-rm.r.Done():
			return
		case <-rm.wake:
		}
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		s, err := m.eng.ScreenSession(ctx, requestID)
		if err != nil {
			cancel()
			m.log.Warn("screen share not rechecked", "request", requestID, "err", err)
			continue // the next commit asks again
		}
		rm.policy.set(s)
		if s.State != core.ScreenLive {
			rm.r.Close(ctx, "screen sharing ended")
		} else {
			rm.r.Recheck(ctx)
		}
		cancel()
	}
}

// firstView reports whether technician id watches this share for the
// first time.
func (rm *room) firstView(id string) bool {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.viewed[id] {
		return false
	}
	rm.viewed[id] = true
	return true
}

// policy answers the room from the last session the engine gave.
type policy struct {
	mu sync.Mutex
	s  core.ScreenSession
}

func (p *policy) set(s core.ScreenSession) {
	p.mu.Lock()
	p.s = s
	p.mu.Unlock()
}

func (p *policy) allowed(peer string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch kind, id := peerKind(peer); kind {
	case "c":
		return p.s.MayShare(id)
	case "t":
		return p.s.MayView(id)
	}
	return false
}

func (p *policy) MayJoin(_ context.Context, peer string) error {
	if !p.allowed(peer) {
		return errNotShared
	}
	return nil
}

// MayPublish: only the consenting customer's media flows; a technician's
// viewer sends nothing (a tampered page that does is not forwarded).
func (p *policy) MayPublish(_ context.Context, peer string) bool {
	kind, _ := peerKind(peer)
	return kind == "c" && p.allowed(peer)
}

// MayReceive: technicians allowed to watch receive the sharer's media.
func (p *policy) MayReceive(_ context.Context, peer, from string) bool {
	kind, _ := peerKind(peer)
	fromKind, _ := peerKind(from)
	return kind == "t" && fromKind == "c" && p.allowed(peer) && p.allowed(from)
}
