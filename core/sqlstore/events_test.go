package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestLogReadSeeks: on SQLite, reading the log after a position seeks to it
// through the index instead of walking the index from the log's start,
// which made every read as slow as the log is long.
func TestLogReadSeeks(t *testing.T) {
	t.Parallel()
	plan, err := sqlstore.LogReadPlan(context.Background(), storetest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(plan, func(s string) bool { return strings.Contains(s, "seq>?") }) {
		t.Fatalf("plan %q does not seek on seq", plan)
	}
}

// TestLogReadAfter: the events after a position, and none after a position
// past the log's end, on both databases.
func TestLogReadAfter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		start, err := d.Store.LogEnd(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			d.Open(t, d.Acme, "c"+string(rune('a'+i))+"@example.com", "hello")
		}
		all := read(t, d.Store, start)
		if len(all) != 6 { // created and the first message, three times
			t.Fatalf("%d events after the start", len(all))
		}
		end := all[len(all)-1].Pos
		for _, tc := range []struct {
			name  string
			after core.Position
			want  int
		}{
			{"from the start", start, 6},
			{"after the second", all[1].Pos, 4},
			{"after the last", end, 0},
			{"past the end's transaction", core.Position{TxID: end.TxID + 1}, 0},
		} {
			if got := read(t, d.Store, tc.after); len(got) != tc.want {
				t.Errorf("%s: %d events, want %d", tc.name, len(got), tc.want)
			}
		}
	})
}

// read reads the log after pos, asking again while it is held back by
// other tests' transactions on the same server.
func read(t *testing.T, s *sqlstore.Store, pos core.Position) []core.Event {
	t.Helper()
	for {
		evs, held, err := s.EventsAfter(context.Background(), pos, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !held {
			return evs
		}
	}
}
