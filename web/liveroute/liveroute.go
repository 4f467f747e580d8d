// Package liveroute passes live sessions' frames between relaydesk
// processes on one PostgreSQL database. A session (a screen share's or a
// call's media room, a co-browsing session) lives in the process that
// first had a browser join it: that process claims it under a lease,
// renewed while the session is open. A browser connected to another
// process has its frames mailed there (rows, announced by NOTIFY, through
// the store), and what the session sends it comes back the same way, to be
// written to its socket. One Router per process reads the mail and hands
// each piece to the manager of its topic ("screen", "cobrowse").
package liveroute

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/web/live"
)

// Relay passes mail between processes and says which holds a session: the
// store (sqlstore.Store).
type Relay interface {
	Process() string
	ClaimRoom(ctx context.Context, key string, ttl time.Duration) (owner string, err error)
	RenewRooms(ctx context.Context, keys []string, ttl time.Duration) error
	ReleaseRoom(ctx context.Context, key string) error
	SendMail(ctx context.Context, to, body string) error
	TakeMail(ctx context.Context) ([]string, error)
	OnMail(fn func()) (stop func())
}

const (
	// Lease is how long a process holds a session it no longer renews.
	Lease = 30 * time.Second
	// renewEvery is how often the leases of open sessions are renewed.
	renewEvery = 10 * time.Second
	// mailCheck is how often mail is looked for without a NOTIFY, one of
	// which may have been lost.
	mailCheck = 5 * time.Second
	// mailTimeout bounds sending one piece of mail.
	mailTimeout = 10 * time.Second
)

// Kinds of mail.
const (
	kindFrame = "frame" // a browser's frame, for the session's process
	kindGone  = "gone"  // a browser's stream ended, for the session's process
	kindPush  = "push"  // a frame for a browser, for its stream's process
)

// Mail is one message between processes.
type Mail struct {
	Topic     string          `json:"topic,omitempty"`
	Kind      string          `json:"kind"`
	From      string          `json:"from"` // the sending process
	Conn      string          `json:"conn"` // the browser's stream, as its process names it
	ActorKind core.ActorKind  `json:"actor_kind,omitempty"`
	ActorID   string          `json:"actor_id,omitempty"`
	RequestID string          `json:"request_id,omitempty"` // a customer's own request
	Data      json.RawMessage `json:"data,omitempty"`       // the frame
}

// Who is the browser a frame came from, as its process authenticated it:
// relaydesk processes sharing a database trust each other.
func (m Mail) Who() (core.Actor, string) {
	return core.Actor{Kind: m.ActorKind, ID: m.ActorID}, m.RequestID
}

// Topic is what a manager does with its mail: a browser's frame from
// another process (answered through rc), the end of such a browser's
// stream, and the sessions it holds, whose leases the router renews.
type Topic struct {
	Frame func(ctx context.Context, m Mail, rc *Remote)
	Gone  func(rc *Remote)
	Held  func() []string
}

// Router is one process's side of the mail.
type Router struct {
	relay  Relay
	log    *slog.Logger
	mailed chan bool

	mu      sync.Mutex
	lastID  uint64
	ids     map[*live.Conn]string // this process's streams that other processes serve
	byID    map[string]*live.Conn
	remotes map[string]*Remote // other processes' streams this one serves, by topic/process/ID
	topics  map[string]Topic
}

// New returns a router over relay; it does no I/O until Run.
func New(relay Relay, log *slog.Logger) *Router {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Router{relay: relay, log: log, mailed: make(chan bool, 1), ids: make(map[*live.Conn]string),
		byID: make(map[string]*live.Conn), remotes: make(map[string]*Remote), topics: make(map[string]Topic)}
}

// Register makes t the receiver of topic's mail.
func (r *Router) Register(topic string, t Topic) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.topics[topic] = t
}

// Process names this process.
func (r *Router) Process() string { return r.relay.Process() }

// Claim makes this process the home of the session key unless another
// holds it; it returns the process that holds it.
func (r *Router) Claim(ctx context.Context, key string) (string, error) {
	return r.relay.ClaimRoom(ctx, key, Lease)
}

// Release gives up this process's claim to key.
func (r *Router) Release(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), mailTimeout)
	defer cancel()
	if err := r.relay.ReleaseRoom(ctx, key); err != nil {
		r.log.Warn("live session not released", "session", key, "err", err)
	}
}

// Forward mails a browser's frame to the process holding its session.
func (r *Router) Forward(ctx context.Context, topic, owner string, c *live.Conn, who core.Actor, requestID string, data []byte) error {
	return r.send(ctx, owner, Mail{Topic: topic, Kind: kindFrame, Conn: r.idOf(c), ActorKind: who.Kind,
		ActorID: who.ID, RequestID: requestID, Data: data})
}

// Gone says to the processes of topic's sessions c took part in that its
// stream ended, and forgets c.
func (r *Router) Gone(topic string, c *live.Conn, processes []string) {
	r.mu.Lock()
	id, ok := r.ids[c]
	r.mu.Unlock()
	if !ok {
		return
	}
	for _, p := range processes {
		if err := r.send(context.Background(), p, Mail{Topic: topic, Kind: kindGone, Conn: id}); err != nil {
			r.log.Warn("live stream's end not passed on", "process", p, "err", err)
		}
	}
}

// Forget drops c's name: its stream has ended for every topic.
func (r *Router) Forget(c *live.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id, ok := r.ids[c]; ok {
		delete(r.ids, c)
		delete(r.byID, id)
	}
}

func (r *Router) send(ctx context.Context, to string, m Mail) error {
	m.From = r.relay.Process()
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
	defer cancel()
	return r.relay.SendMail(ctx, to, string(b))
}

func (r *Router) idOf(c *live.Conn) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id, ok := r.ids[c]; ok {
		return id
	}
	r.lastID++
	id := strconv.FormatUint(r.lastID, 10)
	r.ids[c], r.byID[id] = id, c
	return id
}

// Remote is a browser's stream in another process: what is pushed to it
// goes there as mail.
type Remote struct {
	r                    *Router
	topic, process, conn string
}

// Push mails fr to the browser's process.
func (rc *Remote) Push(fr live.Frame) error {
	b, err := json.Marshal(fr)
	if err != nil {
		return err
	}
	return rc.r.send(context.Background(), rc.process, Mail{Topic: rc.topic, Kind: kindPush, Conn: rc.conn, Data: b})
}

func (r *Router) remote(topic, process, conn string) *Remote {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := topic + "/" + process + "/" + conn
	rc := r.remotes[k]
	if rc == nil {
		rc = &Remote{r: r, topic: topic, process: process, conn: conn}
		r.remotes[k] = rc
	}
	return rc
}

// Run passes mail and renews the leases of the sessions the topics hold
// until ctx ends.
func (r *Router) Run(ctx context.Context) error {
	stop := r.relay.OnMail(func() {
		select {
		case r.mailed <- true:
		default:
		}
	})
	defer stop()
	renew := time.NewTicker(renewEvery)
	defer renew.Stop()
	check := time.NewTicker(mailCheck)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-renew.C:
			r.renew(ctx)
			continue
		case <-r.mailed:
		case <-check.C:
		}
		msgs, err := r.relay.TakeMail(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("live mail not read", "err", err)
			}
			continue
		}
		for _, b := range msgs {
			r.deliver(ctx, b)
		}
	}
}

func (r *Router) renew(ctx context.Context) {
	r.mu.Lock()
	var keys []string
	for _, t := range r.topics {
		if t.Held != nil {
			keys = append(keys, t.Held()...)
		}
	}
	r.mu.Unlock()
	if err := r.relay.RenewRooms(ctx, keys, Lease); err != nil && ctx.Err() == nil {
		r.log.Warn("live session leases not renewed", "err", err)
	}
}

// deliver acts on one piece of mail.
func (r *Router) deliver(ctx context.Context, body string) {
	var m Mail
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		r.log.Warn("live mail not understood", "err", err)
		return
	}
	r.mu.Lock()
	t, known := r.topics[m.Topic]
	r.mu.Unlock()
	switch m.Kind {
	case kindFrame:
		if known && t.Frame != nil {
			t.Frame(ctx, m, r.remote(m.Topic, m.From, m.Conn))
		}
	case kindGone:
		r.mu.Lock()
		k := m.Topic + "/" + m.From + "/" + m.Conn
		rc := r.remotes[k]
		delete(r.remotes, k)
		r.mu.Unlock()
		if rc != nil && known && t.Gone != nil {
			t.Gone(rc)
		}
	case kindPush:
		r.mu.Lock()
		c := r.byID[m.Conn]
		r.mu.Unlock()
		var fr struct {
			Type string          `json:"type"`
			Body json.RawMessage `json:"body"`
		}
		if c != nil && json.Unmarshal(m.Data, &fr) == nil {
			_ = c.Push(live.Frame{Type: fr.Type, Body: fr.Body})
		}
	}
}
