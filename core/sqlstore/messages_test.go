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

// TestUpdateMessage: a message is written only at the version it was read
// at and while it is not withdrawn, and each of its versions is kept once.
func TestUpdateMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		s := d.Store
		o := d.Live(t)
		m := o.Message
		if got, err := s.Message(ctx, m.ID); err != nil || got.Version != 1 || got.Edited() || got.Withdrawn() {
			t.Fatalf("a new message: %+v, %v", got, err)
		}
		at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		by := core.CustomerActor(o.Participant.ID)
		update := func(m core.Message, prev int64, vs ...core.MessageVersion) error {
			return s.Update(ctx, func(tx core.Tx) error {
				if err := tx.UpdateMessage(ctx, m, prev); err != nil {
					return err
				}
				for _, v := range vs {
					if err := tx.InsertMessageVersion(ctx, v); err != nil {
						return err
					}
				}
				return nil
			})
		}
		v1 := core.MessageVersion{MessageID: m.ID, Version: 1, Body: m.Body, EditedAt: m.CreatedAt, Editor: by}
		v2 := core.MessageVersion{MessageID: m.ID, Version: 2, Body: "my printer is on fire!", EditedAt: at, Editor: by}
		e2 := m
		e2.Body, e2.Version, e2.EditedAt = v2.Body, 2, at
		if err := update(e2, 1, v1, v2); err != nil {
			t.Fatal(err)
		}
		if err := update(e2, 1); !errors.Is(err, core.ErrStale) {
			t.Fatalf("a write at an old version: %v, want ErrStale", err)
		}
		if err := update(e2, 2, v2); core.ErrorCode(err) != core.CodeConflict {
			t.Fatalf("a version kept twice: %v, want a conflict", err)
		}
		w := e2
		w.WithdrawnAt, w.WithdrawnBy = at.Add(time.Minute), core.TechnicianActor(d.Alice.ID)
		if err := update(w, 2); err != nil {
			t.Fatal(err)
		}
		if err := update(w, 2); !errors.Is(err, core.ErrStale) {
			t.Fatalf("a write to a withdrawn message: %v, want ErrStale", err)
		}
		got, err := s.Message(ctx, m.ID)
		if err != nil || got != w {
			t.Fatalf("stored %+v, %v; want %+v", got, err, w)
		}
		vs, err := s.MessageVersions(ctx, m.ID)
		if err != nil || len(vs) != 2 || vs[0] != v1 || vs[1] != v2 {
			t.Fatalf("versions %+v, %v", vs, err)
		}
	})
}

// TestMessageEditsMigration: messages stored before 0011 read as their
// original text, never edited nor withdrawn, with no version kept.
func TestMessageEditsMigration(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, _, exec := migratedUpTo(t, be, 11)
			exec(`INSERT INTO companies (id, name, slug, portal_key, allowed_exts, max_file_bytes, created_at)
				VALUES ('cmp_1', 'Acme', 'acme', 'pk_1', '', 1, 0)`)
			exec(`INSERT INTO requests (id, company_id, company_name, number, status, chat, created_at, updated_at, version)
				VALUES ('req_1', 'cmp_1', 'Acme', 1, 'active', 'live', 0, 0, 2)`)
			exec(`INSERT INTO messages (id, request_id, rseq, author_kind, author_id, audience, body, created_at)
				VALUES ('msg_1', 'req_1', 2, 'customer', 'par_1', 'all', 'hello', 1700000000000000)`)
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			m, err := s.Message(ctx, "msg_1")
			if err != nil || m.Body != "hello" || m.Version != 1 || m.Edited() || m.Withdrawn() || m.WithdrawnBy != (core.Actor{}) {
				t.Fatalf("an old message reads %+v, %v", m, err)
			}
			if vs, err := s.MessageVersions(ctx, "msg_1"); err != nil || len(vs) != 0 {
				t.Fatalf("versions %+v, %v", vs, err)
			}
		})
	}
}
