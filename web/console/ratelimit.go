package console

import (
	"time"

	"github.com/relaydesk/relaydesk/web/ratelimit"
)

// Login limits, each within loginWindow, after which the next attempt waits:
//
//   - perPairLimit failed sign-ins for one e-mail address from one client
//     address: the guesser waits, and nobody else.
//   - perEmailLimit for one e-mail address from anywhere: guessing from
//     many addresses is bounded too, but strangers need that many
//     failures (from at least perEmailLimit/perPairLimit addresses) before
//     the technician is locked out, and an admin can clear it at once
//     (core.Engine.ClearSignInFailures).
//   - perIPLimit from one client address, whatever the e-mail: higher than
//     perPairLimit, since an office behind one NAT shares it.
const (
	loginWindow   = 15 * time.Minute
	perPairLimit  = 5
	perEmailLimit = 50
	perIPLimit    = 20
	// maxLimiterKeys bounds the limiter's memory: past it, stale keys are
	// swept on the next attempt.
	maxLimiterKeys = 50_000
)

// newLimiter counts sign-in attempts: each is counted when it starts, so a
// burst of parallel guesses cannot all pass before the first failure is
// recorded; a success takes its count back.
func newLimiter() *ratelimit.Limiter { return ratelimit.New(loginWindow, maxLimiterKeys) }
