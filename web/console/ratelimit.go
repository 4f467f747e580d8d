package console

import (
	"time"

	"github.com/relaydesk/relaydesk/web/ratelimit"
)

// Login limits: this many failed sign-ins for one e-mail address, or from
// one client address, within loginWindow, and the next attempt waits. The
// per-address limit is higher: an office behind one NAT shares it.
const (
	loginWindow   = 15 * time.Minute
	perEmailLimit = 5
	perIPLimit    = 20
	// maxLimiterKeys bounds the limiter's memory: past it, stale keys are
	// swept on the next attempt.
	maxLimiterKeys = 50_000
)

// newLimiter counts sign-in attempts: each is counted when it starts, so a
// burst of parallel guesses cannot all pass before the first failure is
// recorded; a success takes its count back.
func newLimiter() *ratelimit.Limiter { return ratelimit.New(loginWindow, maxLimiterKeys) }
