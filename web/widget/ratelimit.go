package widget

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/web/clientip"
	"github.com/relaydesk/relaydesk/web/jsonapi"
	"github.com/relaydesk/relaydesk/web/ratelimit"
)

// Limits on the two anonymous calls that create something, per client
// address within limitWindow: opening a request (each one lands in the
// technicians' queue) and joining an invitation (a wrong code is a guess).
// They are far above what one person needs because an office behind one
// NAT shares an address, and all its people count together. Joining is
// allowed more often: a technician may invite several people of one office
// to one session.
const (
	limitWindow = 10 * time.Minute
	opensPerIP  = 10
	joinsPerIP  = 30
	// maxLimiterKeys bounds the limiter's memory: past it, stale keys are
	// swept on the next attempt.
	maxLimiterKeys = 50_000
)

// admit counts an attempt of kind ("open", "join") from the request's
// client address, limited to limit. Over the limit it answers 429 with
// Retry-After and a message starting with tooMany, and returns false,
// having counted nothing. Otherwise it
// returns the key the attempt was counted under, for undoRefused.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, kind string, limit int, tooMany string) (string, bool) {
	key := kind + ":" + addressKey(clientip.Of(r, h.trusted))
	wait := h.limits.Attempt(h.now(), ratelimit.Key{Name: key, Limit: limit})
	if wait <= 0 {
		return key, true
	}
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	jsonapi.Problem(w, http.StatusTooManyRequests, "rate_limited",
		fmt.Sprintf("%s from your network; try again in %s", tooMany, minutes(secs)))
	return "", false
}

// undoRefused takes back the attempt counted under key when err refused it
// for how it was written (bad JSON, a missing or malformed field): the
// person corrects it and sends it again, and such a refusal revealed
// nothing. Every other outcome counts, an unknown invitation code above
// all.
func (h *Handler) undoRefused(key string, err error) {
	switch core.ErrorCode(err) {
	case core.CodeInvalid, core.CodeUnsupported, core.CodeTooLarge:
		h.limits.Undo(key)
	}
}

// addressKey is what attempts are counted by: an IPv4 address, or an IPv6
// address's /64, since one customer's network is given at least a /64 and
// may use any address in it.
func addressKey(a netip.Addr) string {
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.String()
		}
	}
	return a.String()
}

// minutes says secs, rounded up to whole minutes.
func minutes(secs int) string {
	if m := (secs + 59) / 60; m > 1 {
		return strconv.Itoa(m) + " minutes"
	}
	return "1 minute"
}
