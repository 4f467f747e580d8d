package dispatch

import (
	"sync"

	"github.com/relaydesk/relaydesk/core"
)

// Delivery is one event on its way to a destination. It lives as long as
// the event is being tried, across retries in this process, so that a
// destination which makes several platform calls for one event (a card
// edit, then a thread line) can skip on a retry the calls that already went
// out.
type Delivery struct {
	Event   core.Event
	Attempt int // 1 on the first try

	mu   sync.Mutex
	sent map[string]bool
}

// NewDelivery returns the first attempt at delivering e.
func NewDelivery(e core.Event) *Delivery { return &Delivery{Event: e, Attempt: 1} }

// Sent reports whether the part named part was sent on an earlier attempt.
func (d *Delivery) Sent(part string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sent[part]
}

// MarkSent records that part went out. A delivery that marked nothing sent
// nothing: the destination had nothing to show of the event.
func (d *Delivery) MarkSent(part string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sent == nil {
		d.sent = map[string]bool{}
	}
	d.sent[part] = true
}

// used reports whether anything was sent.
func (d *Delivery) used() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.sent) > 0
}

// parked keeps the deliveries of conversations that wait for a retry, so
// that when this process claims them again it knows what went out.
type parked struct {
	mu sync.Mutex
	m  map[string]*Delivery // by request ID
}

func (p *parked) put(requestID string, d *Delivery) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// A conversation another process claimed meanwhile never comes back
	// for its entry: start afresh rather than grow without end.
	if p.m == nil || len(p.m) > 10000 {
		p.m = map[string]*Delivery{}
	}
	p.m[requestID] = d
}

// take returns the parked delivery of e, if it is the one parked.
func (p *parked) take(e core.Event) *Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.m[e.RequestID]
	if d == nil {
		return nil
	}
	delete(p.m, e.RequestID)
	if d.Event.RSeq != e.RSeq {
		return nil
	}
	return d
}
