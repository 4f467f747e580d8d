package discordtest

import "time"

// SetClock makes s read the time from now: the clock of the enforced
// limits and of Call.At, so that tests need not wait for them.
func SetClock(s *Server, now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}
