// Package slowbody bounds how long a client may take to send a request
// body, so that a client sending a byte now and then cannot hold a
// connection and a handler forever. Small bodies (JSON, forms, webhooks)
// must arrive whole within a fixed time; an upload, which may rightly take
// long, must keep up a minimum average rate instead.
//
// The bound is the connection's read deadline, set through
// http.ResponseController when the request starts and moved on as the body
// is read, and cleared once the whole body has been read: a handler that
// runs long afterwards (a slow database) is not cut short by it. A body
// that failed or was left unread keeps its deadline, so that the server,
// which reads what is left of a body after the handler, gives up on a
// stalled client too and closes its connection.
package slowbody

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Policy says how fast bodies must arrive. Zero fields take the defaults.
type Policy struct {
	// Timeout is how long a body may take in all, from the moment the
	// request's headers were read; default 10s.
	Timeout time.Duration
	// MinRate is the least average rate, in bytes per second, of an
	// upload (see Upload) once Grace has passed; default 8 KiB/s.
	MinRate int64
	// Grace is how long an upload may send nothing at its start; default 10s.
	Grace time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Defaults of Policy.
const (
	DefaultTimeout = 10 * time.Second
	DefaultMinRate = 8 << 10
	DefaultGrace   = 10 * time.Second
)

func (p Policy) withDefaults() Policy {
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.MinRate <= 0 {
		p.MinRate = DefaultMinRate
	}
	if p.Grace <= 0 {
		p.Grace = DefaultGrace
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// Limit bounds r's body by p: a fixed deadline, until a handler calls
// Upload. Requests without a body are left alone.
func Limit(w http.ResponseWriter, r *http.Request, p Policy) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	p = p.withDefaults()
	b := &body{ReadCloser: r.Body, rc: http.NewResponseController(w), p: p, start: p.Now()}
	b.rc.SetReadDeadline(b.deadline())
	r.Body = b
}

// Upload lets r's body, bounded by Limit, arrive at the policy's minimum
// rate rather than within its fixed time: for routes that take files.
// Call it before reading the body or wrapping it.
func Upload(r *http.Request) {
	if b, ok := r.Body.(*body); ok {
		b.upload = true
	}
}

// body sets the connection's read deadline before each read of the body
// and clears it once the body has been read to its end.
type body struct {
	io.ReadCloser
	rc     *http.ResponseController
	p      Policy
	start  time.Time
	upload bool
	n      int64 // bytes read so far
	done   bool
}

// deadline is when the next byte must have come.
func (b *body) deadline() time.Time {
	if !b.upload {
		return b.start.Add(b.p.Timeout)
	}
	return b.start.Add(b.p.Grace + time.Duration(b.n*int64(time.Second)/b.p.MinRate))
}

func (b *body) Read(p []byte) (int, error) {
	if !b.done {
		// Where deadlines are not supported there is nothing to bound with.
		b.rc.SetReadDeadline(b.deadline())
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err != nil && !b.done {
		b.done = true
		if errors.Is(err, io.EOF) {
			// The server now watches the idle connection for the client
			// going away, as long as the handler runs: no deadline there.
			b.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}
