package discordtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Discord's limits (docs.discord.com/developers/topics/rate-limits): "all
// bots can make up to 50 requests per second", except to interaction
// endpoints, which "are not bound to the bot's Global Rate Limit"; and
// per-route buckets, counted separately for each top-level resource (here
// the channel), which Discord announces in headers rather than documents.
const (
	globalRequests = 50          // a sliding window, the literal reading:
	globalWindow   = time.Second // at most 50 requests in any second
)

// bucket is a route's limit: limit requests per fixed window of per,
// which starts with the first request after the last one ended. That is
// the window discordgo and Discord's headers describe: Remaining counts
// down, and everything resets Reset-After later.
type bucket struct {
	limit int
	per   time.Duration
}

// routeBucket is the bucket of a route (as route names it), each route a
// bucket of its own. Sending messages is 5 per 5 s per channel, the figure
// Discord's headers announce for it, and editing is held to the same; the
// 10 per 10 s for starting threads is an assumption (Discord publishes no
// figure); everything else gets 50 per second.
func routeBucket(name string) bucket {
	switch name {
	case "createMessage", "editMessage":
		return bucket{5, 5 * time.Second}
	case "startThread":
		return bucket{10, 10 * time.Second}
	}
	return bucket{50, time.Second}
}

// SetDelay makes every API call (not file downloads, not the gateway/socket) wait d before it is answered.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// EnforceLimits turns on the platform's published rate limits (below).
//
// Every REST call is counted against its route's bucket for its channel
// (see routeBucket) and, interaction callbacks excepted, against the
// global 50 per second. Every answer then carries X-RateLimit-Limit,
// -Remaining, -Reset, -Reset-After and -Bucket. A call over a route's
// limit is answered 429 with X-RateLimit-Scope: user and
// {"message":"You are being rate limited.","retry_after":secs,"global":false};
// one over the global limit 429 with X-RateLimit-Global: true,
// X-RateLimit-Scope: global and "global":true. Either is recorded as
// Failed and is not counted.
func (s *Server) EnforceLimits() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limits == nil {
		s.limits = &limits{windows: map[string]*fixedWindow{}}
	}
}

// Throttled returns how many calls the enforced limits answered with 429 (not those made to fail by Fail).
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// limits is the state of the enforced limits; Server.mu guards it.
type limits struct {
	windows map[string]*fixedWindow // by route name and channel
	global  []time.Time             // the last globalRequests calls allowed, oldest first
}

type fixedWindow struct {
	end   time.Time
	count int
}

// verdict is what the limits made of a call: the bucket it was counted in
// (or refused by), and when refused, by which limit and until when.
type verdict struct {
	bucket
	hash    string
	w       *fixedWindow
	refused bool
	global  bool // refused by the global limit
	until   time.Time
}

// admit counts a call of route name for its channel (or interaction)
// arriving at now, unless a limit refuses it.
func (l *limits) admit(name, major string, now time.Time) verdict {
	v := l.peek(name, major, now)
	if v.w.count >= v.limit {
		v.refused, v.until = true, v.w.end
		return v
	}
	if name != "callback" { // interactions are not bound to the global limit
		if n := len(l.global); n >= globalRequests {
			if free := l.global[n-globalRequests].Add(globalWindow); free.After(now) {
				v.refused, v.global, v.until = true, true, free
				return v
			}
		}
		l.global = append(l.global, now)
		if n := len(l.global); n > globalRequests {
			l.global = l.global[n-globalRequests:]
		}
	}
	v.w.count++
	l.windows[name+"/"+major] = v.w
	return v
}

// peek is the call's bucket as it stands, counting nothing: after a window
// ended, the one a call now would start.
func (l *limits) peek(name, major string, now time.Time) verdict {
	b := routeBucket(name)
	w := l.windows[name+"/"+major]
	if w == nil || !now.Before(w.end) {
		w = &fixedWindow{end: now.Add(b.per)}
	}
	sum := sha256.Sum256([]byte(name)) // the route, not its channel, as Discord's hashes
	return verdict{bucket: b, hash: hex.EncodeToString(sum[:8]), w: w}
}

// headers sets the rate-limit headers of the answer to a call the limits
// judged, written at now. A window that ended meanwhile (the delay
// outlasted it) is announced as resetting at once.
func (v verdict) headers(h http.Header, now time.Time) {
	if v.global {
		h.Set("X-RateLimit-Global", "true")
		h.Set("X-RateLimit-Scope", "global")
	} else if v.refused {
		h.Set("X-RateLimit-Scope", "user")
	}
	after := v.retryAfter(now)
	h.Set("X-RateLimit-Limit", strconv.Itoa(v.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(v.limit-v.w.count))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(now.UnixMilli())/1e3+after, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(after, 'f', 3, 64))
	h.Set("X-RateLimit-Bucket", v.hash)
	if v.refused { // whole seconds, rounded up from the exact wait
		wait := v.until.Sub(now)
		h.Set("Retry-After", strconv.Itoa(max(int((wait+time.Second-1)/time.Second), 1)))
	}
}

// retryAfter is, in seconds, how long after now the call's bucket resets
// or, when the global limit refused it, the global limit allows it again:
// discordgo holds every bucket back only for the Reset-After of an answer
// with X-RateLimit-Global, so that is the global wait there.
func (v verdict) retryAfter(now time.Time) float64 {
	if v.global {
		return seconds(v.until.Sub(now))
	}
	return seconds(v.w.end.Sub(now))
}

// seconds is d as the float seconds Discord writes, in milliseconds
// rounded up, plus one: discordgo reads the fraction's milliseconds
// truncated (4.899 is 4.89899... to a float64, read as 4.898), and must not
// come back before the limit allows it.
func seconds(d time.Duration) float64 {
	ms := (max(d, 0) + time.Millisecond - 1) / time.Millisecond
	return float64(ms+1) / 1e3
}

// pause holds an answer back for d, as a real API's latency does; false
// when the client gave up meanwhile.
func pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
