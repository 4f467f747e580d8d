package telegramtest

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/bots/internal/flood"
)

// Telegram's flood control, as the Bots FAQ states it
// (core.telegram.org/bots/faq, "My bot is hitting limits, how do I avoid
// this?"): in one chat "avoid sending more than one message per second"
// ("we may allow short bursts"), to many users "not more than 30 messages
// per second or so", and "not more than 20 messages per minute to the same
// group". Telegram publishes no burst sizes; those below are the fake's
// choice.
const (
	chatEvery = time.Second // per chat: a token bucket of rate 1/s...
	chatBurst = 3           // ...that lets a short burst of 3 through

	groupMessages = 20          // per group (chat_id < 0): a sliding window,
	groupWindow   = time.Minute // the literal "20 per minute" in any minute

	botEvery = (time.Second + 29) / 30 // per bot: a token bucket of rate 30/s (rounded down)...
	botBurst = 30                      // ...and burst 30
)

// SetDelay makes every API call (not file downloads, not the gateway/socket) wait d before it is answered.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// EnforceLimits turns on the platform's published rate limits (below).
//
// Telegram counts messages sent and edited (sendMessage, sendPhoto,
// sendDocument, sendMediaGroup, copyMessage, forwardMessage,
// editMessageText, editMessageReplyMarkup and the like), each call as one
// message, per destination chat_id, per group and per bot (see the
// constants above).
// Other methods (getUpdates, getMe, getFile...) are not limited. A call
// over a limit is answered 429 with retry_after the whole seconds until
// every limit it hit allows it again, is recorded as Failed, and is not
// counted against the limits.
func (s *Server) EnforceLimits() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limits == nil {
		s.limits = &limits{chats: map[string]*flood.Bucket{}, groups: map[string]*flood.Window{},
			bot: flood.Bucket{Every: botEvery, Burst: botBurst}}
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
	chats  map[string]*flood.Bucket // by chat_id
	groups map[string]*flood.Window // by chat_id, groups only
	bot    flood.Bucket
}

// sendsMessage reports whether Telegram's flood control counts method:
// every method that sends or edits a message (sendMessage, sendPhoto,
// sendDocument, sendMediaGroup..., copyMessage, forwardMessage,
// editMessageText, editMessageReplyMarkup...).
func sendsMessage(method string) bool {
	switch method {
	case "sendChatAction": // a typing indicator, not a message
		return false
	case "copyMessage", "copyMessages", "forwardMessage", "forwardMessages":
		return true
	}
	return strings.HasPrefix(method, "send") || strings.HasPrefix(method, "editMessage")
}

// admit counts a call of method to chat arriving at now and reports true,
// or, when a limit refuses it, reports false and when it would be allowed.
func (l *limits) admit(method, chat string, now time.Time) (until time.Time, ok bool) {
	if !sendsMessage(method) {
		return time.Time{}, true
	}
	var c *flood.Bucket
	var g *flood.Window
	if chat != "" { // edits of inline messages name no chat
		if c = l.chats[chat]; c == nil {
			c = &flood.Bucket{Every: chatEvery, Burst: chatBurst}
			l.chats[chat] = c
		}
		if isGroup(chat) {
			if g = l.groups[chat]; g == nil {
				g = &flood.Window{N: groupMessages, Per: groupWindow}
				l.groups[chat] = g
			}
		}
	}
	until = l.bot.Free(now)
	if c != nil {
		until = flood.Later(until, c.Free(now))
	}
	if g != nil {
		until = flood.Later(until, g.Free(now))
	}
	if until.After(now) {
		return until, false
	}
	l.bot.Take(now)
	if c != nil {
		c.Take(now)
	}
	if g != nil {
		g.Take(now)
	}
	return time.Time{}, true
}

// isGroup: groups, supergroups and channels have negative IDs, and only
// they are addressed by @username.
func isGroup(chat string) bool {
	n, err := strconv.ParseInt(chat, 10, 64)
	return n < 0 || (err != nil && len(chat) > 1 && chat[0] == '@')
}

// retryAfter is Telegram's retry_after for a call allowed again at until:
// whole seconds, rounded up so that waiting them is always enough.
func retryAfter(until, now time.Time) int {
	d := until.Sub(now)
	secs := int((d + time.Second - 1) / time.Second)
	return max(secs, 1)
}

// pause holds an answer back for d, as a real API's latency does; false
// when the client gave up or the server is closing meanwhile.
func pause(ctx context.Context, closed <-chan struct{}, d time.Duration) bool {
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
	case <-closed:
		return false
	}
}
