package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		d := storetest.NewDesk(t, s)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		sess := func(hash string, tech core.Technician, expires time.Time) sqlstore.Session {
			return sqlstore.Session{IDHash: hash, TechnicianID: tech.ID, CSRF: "csrf-" + hash,
				CreatedAt: now, LastSeenAt: now, ExpiresAt: expires}
		}
		live := func(hash string) error {
			_, err := s.Session(ctx, hash)
			return err
		}

		a1 := sess("alice-1", d.Alice, now.Add(12*time.Hour))
		for _, x := range []sqlstore.Session{a1, sess("alice-2", d.Alice, now.Add(time.Hour)),
			sess("bob-1", d.Bob, now.Add(time.Hour)), sess("old", d.Bob, now.Add(-time.Second))} {
			if err := s.CreateSession(ctx, x); err != nil {
				t.Fatalf("create %s: %v", x.IDHash, err)
			}
		}

		t.Run("round trip", func(t *testing.T) {
			got, err := s.Session(ctx, "alice-1")
			if err != nil || got != a1 {
				t.Fatalf("got %+v, %v; want %+v", got, err, a1)
			}
		})
		t.Run("unknown and expired are not found", func(t *testing.T) {
			for _, h := range []string{"nope", "old", ""} {
				if err := live(h); !errors.Is(err, core.ErrNotFound) {
					t.Errorf("%q: %v, want not found", h, err)
				}
			}
		})
		t.Run("a hash is used once", func(t *testing.T) {
			err := s.CreateSession(ctx, sess("alice-1", d.Bob, now.Add(time.Hour)))
			if core.ErrorCode(err) != core.CodeConflict {
				t.Fatalf("duplicate: %v, want conflict", err)
			}
		})
		t.Run("only for technicians that exist", func(t *testing.T) {
			x := sess("ghost", core.Technician{ID: "tec_ghost"}, now.Add(time.Hour))
			if err := s.CreateSession(ctx, x); err == nil {
				t.Fatal("a session of an unknown technician was stored")
			}
		})
		t.Run("touch moves the expiry", func(t *testing.T) {
			seen, exp := now.Add(time.Minute), now.Add(13*time.Hour)
			if err := s.TouchSession(ctx, "alice-1", seen, exp); err != nil {
				t.Fatal(err)
			}
			got, err := s.Session(ctx, "alice-1")
			if err != nil || !got.LastSeenAt.Equal(seen) || !got.ExpiresAt.Equal(exp) || !got.CreatedAt.Equal(now) {
				t.Fatalf("after touch %+v, %v", got, err)
			}
			if err := s.TouchSession(ctx, "nope", seen, exp); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("touch unknown: %v", err)
			}
		})
		t.Run("expired sessions are purged", func(t *testing.T) {
			n, err := s.DeleteExpiredSessions(ctx, now)
			if err != nil || n != 1 {
				t.Fatalf("purged %d, %v; want 1", n, err)
			}
			if err := live("alice-2"); err != nil {
				t.Fatalf("a live session was purged: %v", err)
			}
		})
		t.Run("sign out one browser", func(t *testing.T) {
			if err := s.DeleteSession(ctx, "alice-2"); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteSession(ctx, "alice-2"); err != nil {
				t.Fatalf("deleting twice: %v", err)
			}
			if err := live("alice-2"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("deleted session: %v", err)
			}
			if err := live("alice-1"); err != nil {
				t.Fatalf("the other session: %v", err)
			}
		})
		t.Run("sign a technician out everywhere", func(t *testing.T) {
			if err := s.CreateSession(ctx, sess("alice-3", d.Alice, now.Add(time.Hour))); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteSessionsOf(ctx, d.Alice.ID); err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"alice-1", "alice-3"} {
				if err := live(h); !errors.Is(err, core.ErrNotFound) {
					t.Errorf("%s: %v", h, err)
				}
			}
			if err := live("bob-1"); err != nil {
				t.Fatalf("Bob was signed out too: %v", err)
			}
		})
		t.Run("deleting a technician deletes their sessions", func(t *testing.T) {
			db := s.DB()
			if _, err := db.Exec(db.Rebind(`DELETE FROM technicians WHERE id = ?`), d.Bob.ID); err != nil {
				t.Fatal(err)
			}
			if err := live("bob-1"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("Bob's session outlived him: %v", err)
			}
		})
	})
}
