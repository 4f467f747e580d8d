package sqlstore

import (
	"context"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// stmtCache keeps prepared statements by SQL text for the life of the pool,
// so the hot paths skip the database's parsing and planning. A statement is
// prepared in the background the first time it is seen (that run goes
// unprepared): preparing on the pool while every connection is held by a
// transaction waiting for that very statement would deadlock. Statements
// are prepared one at a time: a new process sees dozens of new statements
// at once, and preparing them together opened a connection each (a new
// PostgreSQL session costs the server tens of milliseconds of CPU).
type stmtCache struct {
	db      *sqlx.DB
	prepare chan struct{} // held while a statement is prepared

	mu      sync.Mutex
	ready   map[string]*sqlx.Stmt
	pending map[string]bool
	closed  bool
	wg      sync.WaitGroup
}

func newStmtCache(db *sqlx.DB) *stmtCache {
	return &stmtCache{db: db, prepare: make(chan struct{}, 1), ready: map[string]*sqlx.Stmt{}, pending: map[string]bool{}}
}

// get returns the prepared statement for query, or nil if it is not ready
// yet, in which case it starts preparing it.
func (c *stmtCache) get(query string) *sqlx.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.ready[query]; st != nil || c.closed || c.pending[query] {
		return st
	}
	c.pending[query] = true
	c.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c.prepare <- struct{}{}
		st, err := c.db.PreparexContext(ctx, query)
		<-c.prepare
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.pending, query)
		switch {
		case err != nil: // it runs unprepared; the next use tries again
		case c.closed:
			st.Close()
		default:
			c.ready[query] = st
		}
	})
	return nil
}

// close releases every prepared statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
	for _, st := range c.ready {
		st.Close()
	}
}
