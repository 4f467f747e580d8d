package techchat

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core/dispatch"
)

// Names finds the names behind the IDs a platform writes in messages
// (users, channels, roles) through the platform's API, and keeps each
// for a while: a thread's messages mention the same few people again and
// again, and the API's budget is small. A name that cannot be found (the
// API failed, refused, or is busy) is not retried for a shorter while, and
// the caller shows the ID instead: a message is never held up or lost
// for a name.
type Names struct {
	lookup func(ctx context.Context, id string) (string, error)
	ttl    time.Duration // how long a name is kept
	miss   time.Duration // how long a failed lookup is not repeated
	max    int           // names kept at most

	mu  sync.Mutex
	m   map[string]nameEntry
	now func() time.Time
}

type nameEntry struct {
	name    string // "" for a failed lookup
	expires time.Time
}

// A name lookup waits this long at most: an inbound message is handled
// while the platform waits for its acknowledgement (see also
// LookupBudget).
const lookupTimeout = 2 * time.Second

// LookupBudget is how long the lookups of one message may take together:
// an adapter gives them a context that ends then, and the names not found
// by then show as IDs. Slack wants its events acknowledged within three
// seconds.
const LookupBudget = 2 * time.Second

// Names are kept NameTTL and NameLimit of each kind at most, on every
// platform: a name changed there shows in relaydesk within ten minutes.
const (
	NameTTL   = 10 * time.Minute
	NameLimit = 2000
)

// NewNames returns a cache of lookup's answers, kept ttl each, at most max
// of them. It does no I/O.
func NewNames(lookup func(ctx context.Context, id string) (string, error), ttl time.Duration, max int) *Names {
	return &Names{lookup: lookup, ttl: ttl, miss: min(ttl, time.Minute), max: max, m: map[string]nameEntry{}, now: time.Now}
}

// Name is the name of id, and false when it cannot be found now. A
// lookup that did not happen (ctx ended, the budget for calls spent) is
// not remembered as failed.
func (n *Names) Name(ctx context.Context, id string) (string, bool) {
	now := n.now()
	n.mu.Lock()
	e, ok := n.m[id]
	n.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.name, e.name != ""
	}
	if ctx.Err() != nil {
		return "", false
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	name, err := n.lookup(lctx, id)
	var wait *dispatch.WaitError
	if err != nil && (ctx.Err() != nil || errors.As(err, &wait)) {
		return "", false
	}
	e = nameEntry{name: name, expires: now.Add(n.ttl)}
	if err != nil || name == "" {
		e = nameEntry{expires: now.Add(n.miss)}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.m) >= n.max {
		n.evict(now)
	}
	n.m[id] = e
	return e.name, e.name != ""
}

// evict makes room: the expired entries go, and if none has, the one
// that expires first.
func (n *Names) evict(now time.Time) {
	var oldest string
	for id, e := range n.m {
		if !now.Before(e.expires) {
			delete(n.m, id)
			continue
		}
		if oldest == "" || e.expires.Before(n.m[oldest].expires) {
			oldest = id
		}
	}
	if len(n.m) >= n.max && oldest != "" {
		delete(n.m, oldest)
	}
}
