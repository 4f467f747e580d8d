package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"time"
)

// How often Lead tries to take a lock someone else holds, unless
// Store.LeadRetry says otherwise, and how often the leader checks that its
// lock's connection is alive. Another process takes over within about the
// retry interval of the leader's end, or that plus leadPing of its
// connection's death.
const (
	defaultLeadRetry = 2 * time.Second
	leadPing         = 2 * time.Second
)

// Lead runs fn while this process is the only one of those sharing the
// database to do so under name: for connections a platform allows only once
// (Telegram long polling, a gateway). On PostgreSQL it holds a session
// advisory lock on a connection of its own, trying again every LeadRetry
// while another process holds it; fn's context ends when the lock is lost
// (its connection died), and Lead then tries to lead again. Lead returns
// when ctx ends (nil), or with fn's error when fn fails while leading, after
// releasing the lock. On SQLite, which one process uses, it just runs fn.
func (s *Store) Lead(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	if s.d.name != "postgres" {
		return fn(ctx)
	}
	key := leadKey(name)
	retry := s.LeadRetry
	if retry <= 0 {
		retry = defaultLeadRetry
	}
	for ctx.Err() == nil {
		conn, err := s.tryLock(ctx, key)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("cannot try the leader lock", "name", name, "err", err)
		}
		if conn == nil {
			if !sleep(ctx, retry) {
				break
			}
			continue
		}
		s.log.Info("leading", "name", name)
		lost, err := s.leadOn(ctx, conn, fn)
		if ctx.Err() != nil {
			return nil
		}
		if !lost {
			return err // fn ended by itself
		}
		s.log.Warn("lost the leader lock: its database connection died", "name", name, "err", err)
	}
	return nil
}

// leadOn runs fn while conn holds the lock, and releases it by closing the
// connection, which ends the session and with it every lock it held. lost
// reports that fn was stopped because conn died.
func (s *Store) leadOn(ctx context.Context, conn *sql.Conn, fn func(context.Context) error) (lost bool, err error) {
	defer func() {
		// Never return a connection that may still hold the lock to the
		// pool: ErrBadConn makes database/sql close it.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan error, 1)
	go func() { done <- fn(fctx) }()
	tick := time.NewTicker(leadPing)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if cause := context.Cause(fctx); cause != nil && ctx.Err() == nil {
				return true, cause
			}
			return false, err
		case <-tick.C:
			pctx, pcancel := context.WithTimeout(ctx, leadPing)
			err := conn.PingContext(pctx)
			pcancel()
			if err != nil && ctx.Err() == nil {
				cancel(fmt.Errorf("leader lock connection: %w", err))
			}
		}
	}
}

// tryLock returns a connection holding the advisory lock key, or nil if
// another session holds it.
func (s *Store) tryLock(ctx context.Context, key int64) (*sql.Conn, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+schemaKey+`)`, key).Scan(&ok); err != nil || !ok {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// schemaKey is the advisory lock key of $1 (leadKey) in the connection's
// schema: advisory locks are the database's, but two desks kept in two
// schemas of one database (search_path) are not one desk and must not
// wait for each other's leader. The public schema keeps the bare key, so
// that processes of an older version, which knew no other, and of this
// one still exclude each other during a rolling upgrade.
const schemaKey = `CASE WHEN current_schema() = 'public' THEN $1::bigint ELSE $1::bigint # hashtextextended(current_schema(), 0) END`

// leadKey turns a leader name into an advisory lock key.
func leadKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("relaydesk:lead:" + name))
	return int64(h.Sum64())
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
