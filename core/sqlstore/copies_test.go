package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestCopies: an adapter records where it relayed a message, part by part
// and chat by chat, finds each copy again by message and by platform ID,
// replaces a copy when it sends it again, and forgets one it deleted.
func TestCopies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		s := d.Store
		o := d.Live(t)
		m, err := d.Engine.PostMessage(ctx, storetest.Actor(d.Alice), o.Request.ID, core.Post{Body: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		copies := []core.Copy{
			{MessageID: m.ID, Destination: "telegram", Target: "100", Part: 0, PlatformID: "7", Version: 1, SentAt: at},
			{MessageID: m.ID, Destination: "telegram", Target: "100", Part: 1, PlatformID: "8", Version: 1, SentAt: at},
			{MessageID: m.ID, Destination: "telegram", Target: "200", Part: 0, PlatformID: "7", Version: 1, SentAt: at},
			{MessageID: m.ID, Destination: "slack", Target: "C1/1700.1", PlatformID: "1700.2", Origin: true, Version: 1, SentAt: at},
		}
		for _, c := range copies {
			if err := s.SaveCopy(ctx, c); err != nil {
				t.Fatalf("save %+v: %v", c, err)
			}
		}
		got, err := s.Copies(ctx, m.ID, "telegram")
		if err != nil || !slices.Equal(got, copies[:3]) {
			t.Fatalf("telegram copies = %+v, %v; want %+v", got, err, copies[:3])
		}
		if c, err := s.CopyAt(ctx, "slack", "C1/1700.1", "1700.2"); err != nil || c != copies[3] {
			t.Fatalf("copy at the slack message = %+v, %v", c, err)
		}
		if _, err := s.CopyAt(ctx, "slack", "C1/1700.1", "1700.9"); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("an unknown platform message: %v", err)
		}

		// An edit delivered: the copy now shows version 2, under the same ID.
		edited := copies[0]
		edited.Version, edited.SentAt = 2, at.Add(time.Minute)
		if err := s.SaveCopy(ctx, edited); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Copies(ctx, m.ID, "telegram")
		if len(got) != 3 || got[0] != edited {
			t.Fatalf("after the edit: %+v", got)
		}

		refused := []struct {
			name string
			c    core.Copy
			code core.Code
		}{
			{"another message's platform ID in the same chat", core.Copy{MessageID: o.Message.ID, Destination: "telegram",
				Target: "100", PlatformID: "8", Version: 1, SentAt: at}, core.CodeConflict},
			{"an unknown message", core.Copy{MessageID: "msg_nope", Destination: "telegram", Target: "100", PlatformID: "9"}, core.CodeNotFound},
			{"no platform ID", core.Copy{MessageID: m.ID, Destination: "telegram", Target: "100"}, core.CodeInvalid},
			{"no target", core.Copy{MessageID: m.ID, Destination: "telegram", PlatformID: "9"}, core.CodeInvalid},
			{"a negative part", core.Copy{MessageID: m.ID, Destination: "telegram", Target: "100", PlatformID: "9", Part: -1}, core.CodeInvalid},
		}
		for _, c := range refused {
			before := storetest.Snapshot(t, s)
			if err := s.SaveCopy(ctx, c.c); core.ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
			if storetest.Snapshot(t, s) != before {
				t.Errorf("%s: the refused save changed the database", c.name)
			}
		}

		// The message withdrawn, the adapter deletes its copies: twice is
		// harmless.
		for range 2 {
			for _, c := range got {
				if err := s.DeleteCopy(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
		}
		if left, err := s.Copies(ctx, m.ID, "telegram"); err != nil || len(left) != 0 {
			t.Fatalf("after deleting: %+v, %v", left, err)
		}
		if left, _ := s.Copies(ctx, m.ID, "slack"); len(left) != 1 {
			t.Fatalf("deleting telegram's copies touched slack's: %+v", left)
		}
	})
}
