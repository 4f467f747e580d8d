// Package live pushes relaydesk's events to browsers as they commit: over a
// WebSocket, or by long polling where WebSockets do not get through. Either
// way the client says where it is ("after"), so a reconnecting browser
// catches up from the event log and misses nothing.
//
// A stream is woken only by commits that touch what it follows (one
// request, a technician's companies), as the store's hub announces them.
// An idle WebSocket costs its connection and one goroutine that reads the
// client's control frames: nothing else runs for it, and it holds no write
// buffer, until a wake-up starts a goroutine that reads what is new, writes
// it and ends.
//
// A stream may also pass on signals: what is shown live and never stored
// (someone typing), sent through the hub to what the stream follows. They
// go out as frames of their own that leave the client's cursor as it is.
package live

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
)

// Fetch returns what happened after the cursor after, and the cursor to
// continue from (after itself when nothing happened). more says there is
// more after next already: the stream fetches again at once rather than
// waiting to be woken. It returns ErrHeld when nothing can be shown yet but
// something has happened: the wake-up for it came already, so the streamer
// looks again shortly instead of waiting.
type Fetch func(ctx context.Context, after string) (items []any, next string, more bool, err error)

// Follow sets what wakes a stream: commits that touch one of keys. It
// replaces what the stream followed before. A Fetch that finds that what it
// follows has changed (a technician given another company) calls it again
// and says more, so that the stream reads what committed meanwhile.
type Follow func(keys ...hub.Key)

// ErrHeld is Fetch's "look again in a moment" (on PostgreSQL, events wait
// until every older transaction has committed).
var ErrHeld = errors.New("events held back by an older transaction")

// heldRecheck is how soon a held stream looks again.
const heldRecheck = 20 * time.Millisecond

// Source is what a stream's open function returns: how to read the stream
// and, optionally, which signals to pass on to its client.
type Source struct {
	Fetch Fetch
	// Signal turns a signal sent to what the stream follows (hub.Signal)
	// into a frame for the client, or says false to leave it out (the
	// client's own typing, say); TypingFrames is the one for typing. Nil
	// passes on no signals. It runs on the sender's goroutine: it must be
	// quick and block on nothing. The stream sets the frame's Next to the
	// client's cursor: a signal never moves it.
	Signal func(payload any) (Frame, bool)
	// Receive, when set, is handed each frame the WebSocket client sends
	// after its Hello (at most MaxClientFrame bytes), with the Conn that
	// answers this client alone; it runs on the stream's reading goroutine,
	// one frame at a time, so it sees them in order. Long polls never call
	// it. Gone is called once when the stream ends.
	Receive func(c *Conn, data []byte)
	Gone    func(c *Conn)
}

// MaxClientFrame bounds a frame a client sends after its Hello (an SDP
// offer is 2–6 KB).
const MaxClientFrame = 64 << 10

// Conn is one WebSocket client, for Source.Receive: what is pushed through
// it reaches this client only, in order, and is never dropped while the
// client reads.
type Conn struct{ st *stream }

// maxDirect bounds the pushed frames a client has not read yet. One that
// falls this far behind is not following: its stream is ended.
const maxDirect = 256

// ErrGone is Conn.Push's answer once the stream has ended.
var ErrGone = errors.New("live: the stream has ended")

// Push queues fr for the client. The stream sets its Next to the client's
// cursor, as for a signal.
func (c *Conn) Push(fr Frame) error {
	st := c.st
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return ErrGone
	}
	if len(st.direct) == maxDirect {
		st.mu.Unlock()
		st.close()
		return ErrGone
	}
	st.direct = append(st.direct, fr)
	run := !st.running
	st.running = true
	st.mu.Unlock()
	if run {
		go st.flush()
	}
	return nil
}

// Frame is what the server sends: a batch of items and the cursor after
// them, a signal, or an error after which the server closes the stream.
type Frame struct {
	Type  string `json:"type"` // "events", "typing" or "error"
	Items []any  `json:"events,omitempty"`
	// Next is the cursor after Items. A signal's frame carries the
	// client's cursor unchanged, so that a client that takes Next from
	// every frame stays where it is.
	Next   string  `json:"next,omitempty"`
	Typing *Typing `json:"typing,omitempty"`
	Error  string  `json:"error,omitempty"`
	// Body is a pushed frame's content (Conn.Push), such as WebRTC
	// signalling.
	Body any `json:"body,omitempty"`
}

// Typing is what a "typing" frame says: someone other than the client is
// writing in a request's chat. A surface shows it for core.TypingShown
// after the frame arrives, or until a message of theirs arrives.
type Typing struct {
	RequestID string         `json:"request_id"`
	ActorKind core.ActorKind `json:"actor_kind"` // "technician" or "customer"
	// ActorID is given to technicians only: a customer learns a name.
	ActorID string    `json:"actor_id,omitempty"`
	Name    string    `json:"name"`
	At      time.Time `json:"at"`
}

// TypingFrames is the Signal of a stream that viewer reads: every typing
// signal sent to what the stream follows, as a "typing" frame, but the
// viewer's own. A customer's stream follows their request alone, and so
// hears of that request alone; a technician's follows companies.
func TypingFrames(viewer core.Actor) func(payload any) (Frame, bool) {
	return func(payload any) (Frame, bool) {
		t, ok := payload.(core.Typing)
		if !ok || t.Actor == viewer {
			return Frame{}, false
		}
		ty := &Typing{RequestID: t.RequestID, ActorKind: t.Actor.Kind, Name: t.Name, At: t.At}
		if viewer.Kind == core.ActorTechnician {
			ty.ActorID = t.Actor.ID
		}
		return Frame{Type: "typing", Typing: ty}, true
	}
}

// maxPendingSignals bounds the signal frames a WebSocket holds while it
// writes; the oldest go first, as the newest say more.
const maxPendingSignals = 16

// Hello is the first frame a WebSocket client sends: where it is, and the
// credential of APIs whose browsers cannot set headers on a WebSocket.
type Hello struct {
	After string `json:"after"`
	Token string `json:"token,omitempty"`
}

// Config is what a Streamer needs. Logger, Ping and PollWait are optional.
type Config struct {
	// Hub says when what a stream follows has committed: the store's.
	Hub    *hub.Hub
	Logger *slog.Logger
	// Ping is how often a WebSocket is pinged; default 25s.
	Ping time.Duration
	// PollWait is how long a long poll waits for something new; default 25s.
	PollWait time.Duration
	// Reads bounds how many WebSockets fetch at once; default 32. When a
	// commit wakes many (or a lost connection to the database wakes all),
	// the rest wait their turn instead of all reading the store at once.
	Reads int
}

// Streamer serves live streams.
type Streamer struct {
	hub      *hub.Hub
	log      *slog.Logger
	ping     time.Duration
	pollWait time.Duration
	// buffers are the WebSockets' write buffers, taken for the length of
	// one frame: an idle socket holds none.
	buffers *sync.Pool
	// reads holds a token for each WebSocket fetch under way.
	reads chan struct{}
	// sockets and polls count the clients connected now, for metrics.
	sockets, polls atomic.Int64

	mu      sync.Mutex
	streams map[*stream]struct{} // the WebSockets streaming now
	closing bool                 // Shutdown was called: refuse new ones
	// gone is closed by Shutdown: long polls answer at once.
	gone chan struct{}
}

// Shutdown ends every WebSocket stream with a Going Away close frame, so
// that browsers reconnect at once (to another process, behind a load
// balancer) and resume from their cursor, instead of noticing a dead
// connection later. Streams that start afterwards end the same way.
func (s *Streamer) Shutdown() {
	s.mu.Lock()
	if !s.closing {
		close(s.gone)
	}
	s.closing = true
	all := make([]*stream, 0, len(s.streams))
	for st := range s.streams {
		all = append(all, st)
	}
	s.mu.Unlock()
	for _, st := range all {
		st.goAway()
	}
}

// Clients says how many clients follow a stream now: over WebSockets, and
// waiting in a long poll.
func (s *Streamer) Clients() (sockets, polls int64) { return s.sockets.Load(), s.polls.Load() }

// readBufferSize is a WebSocket's read buffer: the client sends only its
// Hello and control frames (at most 125 bytes each).
const readBufferSize = 512

// writeBufferSize is the size of the pooled write buffers; a longer frame
// goes out in several writes.
const writeBufferSize = 4096

// New returns a streamer. It does no I/O.
func New(cfg Config) *Streamer {
	s := &Streamer{hub: cfg.Hub, log: cfg.Logger, ping: cfg.Ping, pollWait: cfg.PollWait, buffers: &sync.Pool{},
		gone: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ping <= 0 {
		s.ping = 25 * time.Second
	}
	if s.pollWait <= 0 {
		s.pollWait = 25 * time.Second
	}
	if cfg.Reads <= 0 {
		cfg.Reads = 32
	}
	s.reads = make(chan struct{}, cfg.Reads)
	return s
}

// ServeWS is ServeSource for a stream that passes on no signals.
func (s *Streamer) ServeWS(w http.ResponseWriter, r *http.Request, sameOrigin func(*http.Request) bool,
	open func(ctx context.Context, h Hello, follow Follow) (Fetch, error)) {
	s.ServeSource(w, r, sameOrigin, func(ctx context.Context, h Hello, follow Follow) (Source, error) {
		fetch, err := open(ctx, h, follow)
		return Source{Fetch: fetch}, err
	})
}

// ServeSource upgrades to a WebSocket, reads the client's Hello, asks open
// for the stream it may follow, and sends Frames until the client leaves.
// sameOrigin refuses pages of other sites: a browser sends cookies with a
// cross-site WebSocket too. open tells follow what wakes the stream before
// it returns; its context is r's. ServeWS returns once the stream runs: the
// stream outlives the request, and the Fetch is called with contexts of the
// stream's own.
func (s *Streamer) ServeSource(w http.ResponseWriter, r *http.Request, sameOrigin func(*http.Request) bool,
	open func(ctx context.Context, h Hello, follow Follow) (Source, error)) {
	up := websocket.Upgrader{CheckOrigin: sameOrigin, ReadBufferSize: readBufferSize, WriteBufferSize: writeBufferSize,
		WriteBufferPool: s.buffers}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the client already
	}
	conn.SetReadLimit(4096)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var h Hello
	if err := conn.ReadJSON(&h); err != nil {
		s.closeWith(conn, "send {\"after\": \"...\"} first")
		conn.Close()
		return
	}
	st := &stream{s: s, conn: conn, after: h.After, running: true, woken: true}
	st.self = &Conn{st: st}
	// Wake-ups during open wait for the first flush below: running is set.
	st.watch = s.hub.Watch(st.wake)
	src, err := open(r.Context(), h, st.watch.Follow)
	if err != nil {
		s.closeWith(conn, err.Error())
		st.watch.Stop()
		conn.Close()
		return
	}
	st.fetch = src.Fetch
	st.receiver, st.gone = src.Receive, src.Gone
	if src.Signal != nil {
		st.signal = src.Signal
		st.watch.OnSignal(st.push)
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		st.watch.Stop()
		st.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, goingAway),
			time.Now().Add(time.Second))
		conn.Close()
		return
	}
	if s.streams == nil {
		s.streams = map[*stream]struct{}{}
	}
	s.streams[st] = struct{}{}
	s.mu.Unlock()
	s.sockets.Add(1)
	// The client sends nothing more; reading still answers pings and
	// notices when it leaves.
	conn.SetReadDeadline(time.Time{})
	conn.SetPongHandler(func(string) error { return nil })
	st.timer = time.AfterFunc(s.ping, st.pingSoon)
	go st.receive()
	st.flush()
}

// stream is one WebSocket client.
type stream struct {
	s      *Streamer
	conn   *websocket.Conn
	watch  *hub.Watch
	fetch  Fetch
	signal func(any) (Frame, bool) // nil: no signals
	// receiver takes the client's frames and gone is told of the end
	// (Source.Receive, Source.Gone); nil when the stream takes none.
	receiver func(*Conn, []byte)
	gone     func(*Conn)
	self     *Conn       // this client, as receiver and gone are told
	timer    *time.Timer // the next ping
	after    string      // the client's cursor; only the flushing goroutine uses it

	mu      sync.Mutex
	running bool               // a goroutine is flushing
	woken   bool               // woken: fetch (again)
	pingDue bool               // the ping timer fired
	signals []Frame            // signal frames to write, oldest first
	direct  []Frame            // pushed frames to write, oldest first
	closed  bool               // the stream has ended
	cancel  context.CancelFunc // ends the running flush's context
}

// wake makes the stream fetch: at once on a goroutine of its own, or, when
// one is flushing already, again when it is done.
func (st *stream) wake() { st.kick(true, false, nil) }

// pingSoon has the stream ping its client, the same way.
func (st *stream) pingSoon() { st.kick(false, true, nil) }

// push has the stream write a signal's frame, the same way, if it is one
// for this client.
func (st *stream) push(payload any) {
	if fr, ok := st.signal(payload); ok {
		st.kick(false, false, &fr)
	}
}

func (st *stream) kick(fetch, ping bool, signal *Frame) {
	st.mu.Lock()
	st.woken = st.woken || fetch
	st.pingDue = st.pingDue || ping
	if signal != nil && !st.closed {
		if len(st.signals) == maxPendingSignals {
			st.signals = slices.Delete(st.signals, 0, 1)
		}
		st.signals = append(st.signals, *signal)
	}
	if st.running || st.closed {
		st.mu.Unlock()
		return
	}
	st.running = true
	st.mu.Unlock()
	go st.flush()
}

// flush fetches and writes, and pings when due, until nothing is left to
// do. Only one flush runs at a time: it is the stream's one writer.
func (st *stream) flush() {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return
	}
	// The stream outlives the request and keeps nothing of it (r's context
	// holds the connection's HTTP state, hundreds of bytes a socket). It
	// holds no context while idle: each flush makes its own, which closing
	// the stream cancels.
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	st.mu.Unlock()
	defer cancel()
	for {
		st.mu.Lock()
		fetch, ping, signals, direct := st.woken, st.pingDue, st.signals, st.direct
		st.woken, st.pingDue, st.signals, st.direct = false, false, nil, nil
		st.mu.Unlock()
		if ping {
			if err := st.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(10*time.Second)); err != nil {
				st.close()
				return
			}
			st.mu.Lock()
			if !st.closed {
				st.timer.Reset(st.s.ping)
			}
			st.mu.Unlock()
		}
		// Signals first: a message that follows its author's typing
		// then comes after it, and clears it.
		for _, fr := range append(direct, signals...) {
			fr.Next = st.after
			st.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := st.conn.WriteJSON(fr); err != nil {
				st.close()
				return
			}
		}
		if fetch && !st.pump(ctx) {
			st.close()
			return
		}
		st.mu.Lock()
		if st.closed || (!st.woken && !st.pingDue && len(st.signals) == 0 && len(st.direct) == 0) {
			st.running, st.cancel = false, nil
			st.mu.Unlock()
			return
		}
		st.mu.Unlock()
	}
}

// pump fetches and writes until the fetch has nothing more. It reports
// false when the stream must end.
func (st *stream) pump(ctx context.Context) bool {
	for {
		items, next, more, err := st.read(ctx)
		if errors.Is(err, ErrHeld) {
			time.AfterFunc(heldRecheck, st.wake)
			return true
		}
		if err != nil {
			if ctx.Err() == nil {
				st.s.closeWith(st.conn, err.Error())
			}
			return false
		}
		if len(items) > 0 || next != st.after {
			st.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := st.conn.WriteJSON(Frame{Type: "events", Items: items, Next: next}); err != nil {
				return false
			}
			st.after = next
		}
		if !more {
			return true
		}
	}
}

// read fetches after the client's cursor, once a read is free.
func (st *stream) read(ctx context.Context) ([]any, string, bool, error) {
	select {
	case st.s.reads <- struct{}{}:
	case <-ctx.Done():
		return nil, st.after, false, ctx.Err()
	}
	defer func() { <-st.s.reads }()
	return st.fetch(ctx, st.after)
}

// receive reads the client's frames until it leaves, then closes the
// stream. A stream without a receiver reads and drops them.
func (st *stream) receive() {
	defer st.close()
	if st.receiver == nil {
		for {
			if _, _, err := st.conn.NextReader(); err != nil {
				return
			}
		}
	}
	st.conn.SetReadLimit(MaxClientFrame)
	c := st.self
	limit := newFrameLimit(time.Now())
	for {
		_, data, err := st.conn.ReadMessage()
		if err != nil {
			return
		}
		if !limit.allow(time.Now()) {
			// The flush goroutine may be writing: only a control frame may
			// be written beside it.
			st.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation,
				"too many frames: slow down"), time.Now().Add(time.Second))
			return
		}
		st.receiver(c, data)
	}
}

// A client may send clientBurst frames at once, then clientRate a second:
// a WebRTC set-up sends a few dozen, a flood ends the stream.
const (
	clientBurst = 100
	clientRate  = 20
)

// frameLimit is a token bucket over a client's frames.
type frameLimit struct {
	tokens float64
	last   time.Time
}

func newFrameLimit(now time.Time) *frameLimit { return &frameLimit{tokens: clientBurst, last: now} }

func (l *frameLimit) allow(now time.Time) bool {
	l.tokens = min(clientBurst, l.tokens+now.Sub(l.last).Seconds()*clientRate)
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// close ends the stream: its flush, if one runs, its watch, its pings and
// its connection.
func (st *stream) close() {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return
	}
	st.closed, st.signals, st.direct = true, nil, nil
	if st.cancel != nil {
		st.cancel()
	}
	st.mu.Unlock()
	if st.gone != nil {
		st.gone(st.self)
	}
	st.s.sockets.Add(-1)
	st.s.mu.Lock()
	delete(st.s.streams, st)
	st.s.mu.Unlock()
	st.watch.Stop()
	st.timer.Stop()
	st.conn.Close()
}

// goingAway is the reason of the close frame a stream gets at shutdown.
const goingAway = "relaydesk is restarting: reconnect"

// goAway tells the client the server is going away, then closes.
func (st *stream) goAway() {
	st.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, goingAway),
		time.Now().Add(time.Second))
	st.close()
}

func (s *Streamer) closeWith(conn *websocket.Conn, reason string) {
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	conn.WriteJSON(Frame{Type: "error", Error: reason})
	if len(reason) > 120 {
		reason = reason[:120]
	}
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, reason),
		time.Now().Add(5*time.Second))
}

// Poll is PollSource for a stream that passes on no signals.
func (s *Streamer) Poll(r *http.Request, after string, open func(follow Follow) (Fetch, error)) (Frame, error) {
	return s.PollSource(r, after, func(follow Follow) (Source, error) {
		fetch, err := open(follow)
		return Source{Fetch: fetch}, err
	})
}

// PollSource answers one long poll: what happened after after, waiting up
// to PollWait for something to happen if nothing has yet. open says what
// wakes the poll through follow and returns how to read it. The answer is
// a Frame, as JSON. A signal for the client that arrives while the poll
// waits answers it at once, as a frame whose Next is after: the client
// polls again from where it was. Signals sent between two polls are not
// seen.
func (s *Streamer) PollSource(r *http.Request, after string, open func(follow Follow) (Source, error)) (Frame, error) {
	ctx, cancel := context.WithTimeout(r.Context(), s.pollWait)
	defer cancel()
	s.polls.Add(1)
	defer s.polls.Add(-1)
	wake := make(chan struct{}, 1)
	w := s.hub.Watch(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	defer w.Stop()
	src, err := open(w.Follow)
	if err != nil {
		return Frame{}, err
	}
	fetch := src.Fetch
	var signals chan Frame
	if src.Signal != nil {
		signals = make(chan Frame, 1)
		w.OnSignal(func(payload any) {
			if fr, ok := src.Signal(payload); ok {
				select {
				case signals <- fr:
				default:
				}
			}
		})
	}
	for {
		items, next, more, err := fetch(r.Context(), after)
		var recheck <-chan time.Time
		if errors.Is(err, ErrHeld) {
			recheck, err = time.After(heldRecheck), nil
		}
		if err != nil {
			return Frame{}, err
		}
		if len(items) > 0 || next != after {
			return Frame{Type: "events", Items: items, Next: next}, nil
		}
		if more {
			continue
		}
		select {
		case <-ctx.Done():
			return Frame{Type: "events", Next: after}, nil
		case <-s.gone:
			// Shutting down: the client polls again, elsewhere.
			return Frame{Type: "events", Next: after}, nil
		case fr := <-signals:
			fr.Next = after
			return fr, nil
		case <-wake:
		case <-recheck:
		}
	}
}

// Encode is a helper for Fetch implementations: it turns typed items into
// the []any a Frame carries.
func Encode[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
