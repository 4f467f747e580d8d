package screen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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

	// rec is the recording under way and file where it is written; only
	// follow's goroutine touches them.
	rec  *sfu.Recording
	file *os.File
}

// refreshTimeout bounds one read of the session after a commit.
const refreshTimeout = 10 * time.Second

// room returns the session's room, opening it for a live session.
func (m *Manager) room(s core.LiveSession) (*room, error) {
	if !s.Live {
		return nil, errNotShared
	}
	key := roomKey(s.Kind, s.RequestID)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("relaydesk is shutting down")
	}
	if rm := m.rooms[key]; rm != nil {
		select {
		case <-rm.r.Done():
		default:
			return rm, nil
		}
	}
	rm := &room{policy: &policy{s: s}, wake: make(chan struct{}, 1), viewed: make(map[string]bool)}
	rm.r = m.sfu.NewRoom(key, rm.policy)
	rm.r.StayWhenAlone()
	rm.watch = m.hub.Watch(func() {
		select {
		case rm.wake <- struct{}{}:
		default:
		}
	}, hub.Request(s.RequestID))
	m.rooms[key] = rm
	rm.wake <- struct{}{} // a commit between the read of s and the watch
	m.follows.Go(func() { m.follow(s.Kind, s.RequestID, rm) })
	m.log.Info("live session room opened", "kind", s.Kind, "request", s.RequestID)
	return rm, nil
}

// follow asks the engine again after each commit on the request, until
// the room ends: a share no longer live closes it, a change of who may take
// part is applied at once (sfu.Room.Recheck).
func (m *Manager) follow(kind core.LiveKind, requestID string, rm *room) {
	key := roomKey(kind, requestID)
	defer func() {
		rm.watch.Stop()
		m.mu.Lock()
		if m.rooms[key] == rm {
			delete(m.rooms, key)
		}
		m.mu.Unlock()
		if m.router != nil {
			m.router.Release(key)
		}
		m.log.Info("live session room closed", "kind", kind, "request", requestID, "reason", rm.r.Reason())
	}()
	var number int64
	defer func() { m.finishRecording(requestID, number, rm) }()
	for {
		var late <-chan struct{}
		if rm.rec != nil {
			late = rm.rec.Late()
		}
		select {
		case <-rm.r.Done():
			return
		case <-rm.wake:
		case <-late:
			// A track this file cannot hold: it is stored as it is and
			// the recording goes on in a new file, with every track.
			m.finishRecording(requestID, number, rm)
			m.startRecording(requestID, rm)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		s, err := m.eng.LiveSession(ctx, kind, requestID)
		if err != nil {
			cancel()
			m.log.Warn("screen share not rechecked", "request", requestID, "err", err)
			continue // the next commit asks again
		}
		rm.policy.set(s)
		number = s.Number
		if !s.Live {
			rm.r.Close(ctx, map[core.LiveKind]string{core.LiveScreen: "screen sharing ended", core.LiveCall: "the call ended"}[kind])
		} else {
			rm.r.Recheck(ctx)
			switch {
			case s.Recording && rm.rec == nil:
				m.startRecording(requestID, rm)
			case !s.Recording && rm.rec != nil:
				m.finishRecording(requestID, s.Number, rm)
			}
		}
		cancel()
	}
}

// startRecording writes the room's media to a temporary file, once the
// customer allowed it.
func (m *Manager) startRecording(requestID string, rm *room) {
	f, err := os.CreateTemp("", "relaydesk-recording-*.webm")
	if err != nil {
		m.log.Error("recording not started: no temporary file", "request", requestID, "err", err)
		return
	}
	rec, err := rm.r.Record(f)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		m.log.Error("recording not started", "request", requestID, "err", err)
		return
	}
	rm.rec, rm.file = rec, f
	m.log.Info("recording started", "request", requestID)
}

// finishRecording ends the recording under way, if any, and stores it as
// a private file of the request.
func (m *Manager) finishRecording(requestID string, number int64, rm *room) {
	rec, f := rm.rec, rm.file
	if rec == nil {
		return
	}
	rm.rec, rm.file = nil, nil
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	if err := rec.Stop(); err != nil {
		m.log.Error("recording not finished", "request", requestID, "err", err)
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		m.log.Error("recording not read back", "request", requestID, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	name := fmt.Sprintf("%s-recording-%d-%s.webm", rm.policy.kind(), number, m.now().UTC().Format("20060102-150405"))
	_, file, err := m.eng.StoreRecording(ctx, requestID, name, f)
	switch {
	case core.ErrorCode(err) == core.CodeInvalid:
		m.log.Info("recording held no frame: nothing stored", "request", requestID)
	case err != nil:
		m.log.Error("recording not stored", "request", requestID, "err", err)
	default:
		m.log.Info("recording stored", "request", requestID, "file", file.ID, "bytes", file.Size, "dropped_packets", rec.Dropped())
	}
}

// storeTimeout bounds storing one recording.
const storeTimeout = 10 * time.Minute

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
	s  core.LiveSession
}

func (p *policy) set(s core.LiveSession) {
	p.mu.Lock()
	p.s = s
	p.mu.Unlock()
}

func (p *policy) allowed(peer string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch kind, id := peerKind(peer); kind {
	case "c":
		return p.s.MayCustomer(id)
	case "t":
		return p.s.MayTechnician(id)
	}
	return false
}

func (p *policy) kind() core.LiveKind {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.s.Kind
}

func (p *policy) MayJoin(_ context.Context, peer string) error {
	if !p.allowed(peer) {
		return errNotShared
	}
	return nil
}

// MayPublish: in a share, only the consenting customer's media flows (a
// technician's viewer sends nothing; a tampered page that does is not
// forwarded); in a call, everyone who takes part may.
func (p *policy) MayPublish(_ context.Context, peer string) bool {
	kind, _ := peerKind(peer)
	if p.kind() == core.LiveCall {
		return p.allowed(peer)
	}
	return kind == "c" && p.allowed(peer)
}

// MayReceive: in a share, the technicians allowed to watch receive the
// sharer's media; in a call, everyone who takes part receives the others.
func (p *policy) MayReceive(_ context.Context, peer, from string) bool {
	kind, _ := peerKind(peer)
	fromKind, _ := peerKind(from)
	if p.kind() == core.LiveCall {
		return peer != from && p.allowed(peer) && p.allowed(from)
	}
	return kind == "t" && fromKind == "c" && p.allowed(peer) && p.allowed(from)
}
