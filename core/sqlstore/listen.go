package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// listen wakes this process's subscribers whenever another process
// NOTIFYs. A nil notification is lib/pq saying the connection was lost and
// re-established: anything may have been missed, so it wakes everyone too.
func (s *Store) listen(ctx context.Context) error {
	l := pq.NewListener(s.dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventConnectionAttemptFailed, pq.ListenerEventDisconnected:
			s.log.Warn("event listener lost the database", "err", err)
		case pq.ListenerEventReconnected:
			s.log.Info("event listener reconnected")
		}
	})
	defer l.Close()
	if err := l.Listen(notifyChannel); err != nil {
		return fmt.Errorf("listen for other relaydesk processes: %w", err)
	}
	// Commits made before LISTEN took effect were not announced to us.
	s.wake()
	s.markListening()
	// Pings find a dead connection even when nobody writes.
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.Notify:
			s.wake()
		case <-ping.C:
			go l.Ping()
		}
	}
}
