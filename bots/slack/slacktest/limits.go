package slacktest

import (
	"context"
	"time"

	"github.com/relaydesk/relaydesk/bots/internal/flood"
)

// Slack's Web API limits (docs.slack.dev/apis/web-api/rate-limits): each
// method has a tier, a number of calls per minute "per API method per
// workspace/team per app" (Tier 1: 1+, Tier 2: 20+, Tier 3: 50+, Tier 4:
// 100+), with bursts "tolerated" (Tier 1) up to "generous" (Tier 4).
// chat.postMessage has its own: "one message per second per channel",
// "short bursts >1 allowed", plus a workspace-wide limit whose figure Slack
// does not publish, so it is not enforced here.
const (
	postEvery = time.Second // chat.postMessage per channel: a token bucket of rate 1/s...
	postBurst = 3           // ...and burst 3 ("a few"; Slack gives no figure)
)

// tier is the calls per minute of a method's tier, as its reference page
// on docs.slack.dev states it. Each is enforced as a token bucket of that
// rate whose burst is a tenth of it (at least 1): Slack publishes no burst
// sizes, and a tenth lets short bursts through while no minute sees more
// than 1.1 times the tier's figure, which Slack gives as a minimum ("50+").
func tier(method string) int {
	switch method {
	case "chat.update", "chat.delete", // Tier 3
		"conversations.history", "conversations.replies", // Tier 3 for internal apps; 1/min only for commercially distributed non-Marketplace apps
		"conversations.info", "conversations.open", "conversations.join":
		return 50
	case "chat.postEphemeral", "files.getUploadURLExternal", "files.completeUploadExternal", "users.info": // Tier 4
		return 100
	case "auth.test": // special: "hundreds of requests per minute"; held to Tier 4's floor
		return 100
	}
	return 20 // Tier 2, the tier of most methods: for any the fake does not know
}

// SetDelay makes every API call (not file downloads, not the gateway/socket) wait d before it is answered.
//
// Neither apps.connections.open (the socket's handshake) nor the upload of
// a file's bytes to the URL files.getUploadURLExternal gave waits.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// EnforceLimits turns on the platform's published rate limits (below).
//
// chat.postMessage is limited per channel, every other Web API method per
// method by its tier (see tier), all for the one workspace the fake is. A
// call over a limit is answered HTTP 429 with Retry-After (the whole
// seconds until the limit allows it, rounded up) and
// {"ok":false,"error":"ratelimited"}, is recorded as Failed, and is not
// counted against the limit. apps.connections.open is not limited.
func (s *Server) EnforceLimits() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limits == nil {
		s.limits = &limits{posts: map[string]*flood.Bucket{}, methods: map[string]*flood.Bucket{}}
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
	posts   map[string]*flood.Bucket // chat.postMessage by channel
	methods map[string]*flood.Bucket // the others by method
}

// admit counts a call of method (to channel) arriving at now and reports
// true, or, when its limit refuses it, false and when it would be allowed.
func (l *limits) admit(method, channel string, now time.Time) (until time.Time, ok bool) {
	var b *flood.Bucket
	if method == "chat.postMessage" {
		if b = l.posts[channel]; b == nil {
			b = &flood.Bucket{Every: postEvery, Burst: postBurst}
			l.posts[channel] = b
		}
	} else if b = l.methods[method]; b == nil {
		n := tier(method)
		b = &flood.Bucket{Every: (time.Minute + time.Duration(n) - 1) / time.Duration(n), Burst: max(n/10, 1)}
		l.methods[method] = b
	}
	if until = b.Free(now); until.After(now) {
		return until, false
	}
	b.Take(now)
	return time.Time{}, true
}

// retryAfter is Slack's Retry-After for a call allowed again at until:
// whole seconds, rounded up so that waiting them is always enough.
func retryAfter(until, now time.Time) int {
	secs := int((until.Sub(now) + time.Second - 1) / time.Second)
	return max(secs, 1)
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
