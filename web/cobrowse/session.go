package cobrowse

import (
	"context"
	"errors"
	"sync"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
)

// session is one live co-browsing: the clients in it and the engine's
// word on who may take part, refreshed after every commit on the request.
type session struct {
	watch *hub.Watch
	wake  chan struct{}
	done  chan struct{}
	once  sync.Once

	mu      sync.Mutex
	ended   bool
	policy  core.CobrowseSession
	sharers map[client]string // the customer's pages, by participant ID
	viewers map[client]string // the consoles watching, by technician ID
}

// session returns the request's session, opening it for a live one.
func (m *Manager) session(s core.CobrowseSession) (*session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("relaydesk is shutting down")
	}
	if ss := m.sessions[s.RequestID]; ss != nil {
		return ss, nil
	}
	ss := &session{policy: s, wake: make(chan struct{}, 1), done: make(chan struct{}),
		sharers: make(map[client]string), viewers: make(map[client]string)}
	ss.watch = m.hub.Watch(func() {
		select {
		case ss.wake <- struct{}{}:
		default:
		}
	}, hub.Request(s.RequestID))
	m.sessions[s.RequestID] = ss
	ss.wake <- struct{}{} // a commit between the read of s and the watch
	go m.follow(s.RequestID, ss)
	return ss, nil
}

// follow asks the engine again after each commit on the request, until the
// session ends: co-browsing no longer live ends it; a client no longer
// allowed is told so and dropped at once.
func (m *Manager) follow(requestID string, ss *session) {
	defer ss.watch.Stop()
	for {
		select {
		case <-ss.done:
			return
		case <-ss.wake:
		}
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		s, err := m.eng.CobrowseSession(ctx, requestID)
		cancel()
		if err != nil && core.ErrorCode(err) != core.CodeNotFound {
			m.log.Warn("co-browsing not rechecked", "request", requestID, "err", err)
			continue // the next commit asks again
		}
		if err != nil || s.State != core.ScreenLive {
			m.drop(requestID, ss)
			ss.end("co-browsing ended")
			return
		}
		ss.apply(s)
	}
}

// drop forgets ss as the request's session.
func (m *Manager) drop(requestID string, ss *session) {
	m.mu.Lock()
	dropped := m.sessions[requestID] == ss
	if dropped {
		delete(m.sessions, requestID)
	}
	m.mu.Unlock()
	if dropped && m.router != nil {
		m.router.Release(roomKey(requestID))
	}
}

// apply takes the engine's new word and drops whoever it no longer allows.
func (ss *session) apply(s core.CobrowseSession) {
	ss.mu.Lock()
	ss.policy = s
	var out []client
	for c, p := range ss.sharers {
		if !s.MayShare(p) {
			delete(ss.sharers, c)
			out = append(out, c)
		}
	}
	for c, t := range ss.viewers {
		if !s.MayView(t) {
			delete(ss.viewers, c)
			out = append(out, c)
		}
	}
	ss.mu.Unlock()
	for _, c := range out {
		push(c, Out{Request: s.RequestID, Op: "ended"})
	}
}

// end tells every client the session is over and forgets them.
func (ss *session) end(reason string) {
	ss.once.Do(func() { close(ss.done) })
	ss.mu.Lock()
	ss.ended = true
	id := ss.policy.RequestID
	ss.policy = core.CobrowseSession{RequestID: id}
	var all []client
	for c := range ss.sharers {
		all = append(all, c)
	}
	for c := range ss.viewers {
		all = append(all, c)
	}
	clear(ss.sharers)
	clear(ss.viewers)
	ss.mu.Unlock()
	for _, c := range all {
		push(c, Out{Request: id, Op: "ended", Error: reason})
	}
}

// sharerConns and viewerConns copy the clients out; ss.mu is held.
func (ss *session) sharerConns() []client {
	out := make([]client, 0, len(ss.sharers))
	for c := range ss.sharers {
		out = append(out, c)
	}
	return out
}

func (ss *session) viewerConns() []client {
	out := make([]client, 0, len(ss.viewers))
	for c := range ss.viewers {
		out = append(out, c)
	}
	return out
}
