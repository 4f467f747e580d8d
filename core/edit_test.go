package core_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// clock is a settable engine clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// clockedDesk is a storetest desk whose engine tells the time by a clock
// the test moves.
func clockedDesk(t *testing.T, s *sqlstore.Store) (*storetest.Desk, *clock) {
	t.Helper()
	d := storetest.NewDesk(t, s)
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	d.Engine = core.NewEngine(core.Config{Store: s, Blobs: d.Blobs, Clock: c.now})
	return d, c
}

// TestEditRules tries every edit and withdrawal the rules settle: each
// refusal has the right code and a message a person can act on and
// changes nothing; each allowed change makes one new version or one
// withdrawal.
func TestEditRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		d, clk := clockedDesk(t, s)
		e := d.Engine
		alice, bob, carol := storetest.Actor(d.Alice), storetest.Actor(d.Bob), storetest.Actor(d.Carol)
		admin := storetest.Actor(d.Admin)

		live := d.Live(t)
		id := live.Request.ID
		cust := core.CustomerActor(live.Participant.ID)
		custOld := try(e.PostMessage(ctx, cust, id, core.Post{Body: "sent long ago"})).must(t)
		clk.add(core.CustomerEditWindow + time.Second)
		custFresh := try(e.PostMessage(ctx, cust, id, core.Post{Body: "helo"})).must(t)
		toCust := try(e.PostMessage(ctx, alice, id, core.Post{Body: "hi, Alice here"})).must(t)
		aliceNote := try(e.AddNote(ctx, alice, id, core.Note{Body: "printer model X"})).must(t)
		bobNote := try(e.AddNote(ctx, bob, id, core.Note{Body: "seen this before"})).must(t)
		sysNote := try(e.AddSystemNote(ctx, id, "the customer could not be reached", core.Idempotency{})).must(t)
		file, _, err := e.AttachFile(ctx, alice, id, core.Upload{Name: "a.png", Body: bytes.NewReader(pngBytes(t))})
		if err != nil {
			t.Fatal(err)
		}
		gone := try(e.PostMessage(ctx, alice, id, core.Post{Body: "wrong customer's data"})).must(t)
		try(e.WithdrawMessage(ctx, alice, gone.ID, core.Idempotency{})).must(t)

		other := d.Open(t, d.Acme, "other@example.com", "another problem")
		otherCust := core.CustomerActor(other.Participant.ID)

		left := d.Live(t)
		leftMsg := try(e.PostMessage(ctx, core.CustomerActor(left.Participant.ID), left.Request.ID, core.Post{Body: "bye"})).must(t)
		if err := e.Leave(ctx, core.CustomerActor(left.Participant.ID)); err != nil {
			t.Fatal(err)
		}

		closed := d.Live(t)
		closedCust := core.CustomerActor(closed.Participant.ID)
		closedCustMsg := try(e.PostMessage(ctx, closedCust, closed.Request.ID, core.Post{Body: "thanks"})).must(t)
		closedMsg := try(e.PostMessage(ctx, alice, closed.Request.ID, core.Post{Body: "fixed"})).must(t)
		closedNote := try(e.AddNote(ctx, alice, closed.Request.ID, core.Note{Body: "replaced the fuse"})).must(t)
		closedNote2 := try(e.AddNote(ctx, alice, closed.Request.ID, core.Note{Body: "billable"})).must(t)
		try(e.Close(ctx, alice, closed.Request.ID, "")).must(t)

		edit := func(by core.Actor, m core.Message, body string) func() error {
			return func() error {
				_, err := e.EditMessage(ctx, by, m.ID, core.Edit{Body: body})
				return err
			}
		}
		withdraw := func(by core.Actor, m core.Message) func() error {
			return func() error {
				_, err := e.WithdrawMessage(ctx, by, m.ID, core.Idempotency{})
				return err
			}
		}
		refusals := []struct {
			name string
			code core.Code
			say  string
			act  func() error
		}{
			{"a customer edits a technician's message", core.CodeForbidden, "your own messages", edit(cust, toCust, "lies")},
			{"a technician edits a customer's message", core.CodeForbidden, "your own messages", edit(alice, custFresh, "hello")},
			{"a technician edits a colleague's note", core.CodeForbidden, "your own messages", edit(bob, aliceNote, "model Y")},
			{"an admin edits a technician's message", core.CodeForbidden, "your own messages", edit(admin, toCust, "hi")},
			{"a technician edits relaydesk's note", core.CodeForbidden, "your own messages", edit(alice, sysNote, "reached")},
			{"relaydesk edits a note", core.CodeForbidden, "author", edit(core.SystemActor(), sysNote, "reached")},
			{"a technician of another company edits", core.CodeNotFound, "message not found", edit(carol, toCust, "hi")},
			{"a customer edits a message of another request", core.CodeNotFound, "message not found", edit(otherCust, custFresh, "hello")},
			{"a customer edits a private note", core.CodeNotFound, "message not found", edit(cust, aliceNote, "model Y")},
			{"an unknown message", core.CodeNotFound, "message not found", edit(alice, core.Message{ID: "msg_nope"}, "hi")},
			{"a customer edits after 15 minutes", core.CodeInvalidState, "within 15 minutes", edit(cust, custOld, "sent just now")},
			{"a customer edits after leaving", core.CodeInvalidState, "left", edit(core.CustomerActor(left.Participant.ID), leftMsg, "hi")},
			{"a customer edits in a closed request", core.CodeInvalidState, "closed", edit(closedCust, closedCustMsg, "thank you")},
			{"a technician edits what a customer was sent, after closing", core.CodeInvalidState, "only private notes", edit(alice, closedMsg, "fixed!")},
			{"an edit of a file", core.CodeInvalid, "file", edit(alice, file, "b.png")},
			{"an edit of a withdrawn message", core.CodeInvalidState, "withdrawn", edit(alice, gone, "right data")},
			{"an empty edit", core.CodeInvalid, "empty", edit(alice, toCust, " \n ")},
			{"an oversized edit", core.CodeInvalid, "longer", edit(cust, custFresh, strings.Repeat("x", 16001))},
			{"an edit with a control character", core.CodeInvalid, "control character", edit(alice, toCust, "a\x00b")},
			{"half an idempotency key", core.CodeInvalid, "both", func() error {
				_, err := e.EditMessage(ctx, alice, toCust.ID, core.Edit{Body: "hi!", Key: core.Idempotency{Source: "slack"}})
				return err
			}},
			{"a customer withdraws their message", core.CodeForbidden, "customers cannot withdraw", withdraw(cust, custFresh)},
			{"a customer withdraws a technician's message", core.CodeForbidden, "customers cannot withdraw", withdraw(cust, toCust)},
			{"a technician withdraws a colleague's note", core.CodeForbidden, "your own messages", withdraw(bob, aliceNote)},
			{"a technician withdraws a customer's message", core.CodeForbidden, "your own messages", withdraw(alice, custFresh)},
			{"an admin withdraws a technician's message", core.CodeForbidden, "your own messages", withdraw(admin, toCust)},
			{"a technician of another company withdraws", core.CodeNotFound, "message not found", withdraw(carol, toCust)},
			{"a technician withdraws what a customer was sent, after closing", core.CodeInvalidState, "only private notes", withdraw(alice, closedMsg)},
			{"a customer reads the versions", core.CodeForbidden, "only technicians", func() error {
				_, err := e.MessageVersions(ctx, cust, custFresh.ID)
				return err
			}},
			{"a technician of another company reads the versions", core.CodeNotFound, "message not found", func() error {
				_, err := e.MessageVersions(ctx, carol, toCust.ID)
				return err
			}},
		}
		for _, c := range refusals {
			t.Run(c.name, func(t *testing.T) {
				before := storetest.Snapshot(t, s)
				err := c.act()
				if core.ErrorCode(err) != c.code {
					t.Fatalf("got %v (%s), want code %s", err, core.ErrorCode(err), c.code)
				}
				if msg := core.ErrorMessage(err); !strings.Contains(msg, c.say) {
					t.Errorf("message %q does not say %q", msg, c.say)
				}
				if after := storetest.Snapshot(t, s); after != before {
					t.Errorf("the refused change changed the database:\n%s", diff(before, after))
				}
			})
		}

		allowed := []struct {
			name     string
			act      func() (core.Message, error)
			version  int64
			withdraw bool
		}{
			{"a customer edits their message within 15 minutes", func() (core.Message, error) {
				return e.EditMessage(ctx, cust, custFresh.ID, core.Edit{Body: "hello"})
			}, 2, false},
			{"a technician edits their message a month later", func() (core.Message, error) {
				clk.add(30 * 24 * time.Hour)
				return e.EditMessage(ctx, alice, toCust.ID, core.Edit{Body: "hi, Alice from Acme here"})
			}, 2, false},
			{"a technician edits their note", func() (core.Message, error) {
				return e.EditMessage(ctx, bob, bobNote.ID, core.Edit{Body: "seen this before: see #1001"})
			}, 2, false},
			{"a technician edits their note in a closed request", func() (core.Message, error) {
				return e.EditMessage(ctx, alice, closedNote.ID, core.Edit{Body: "replaced the fuse (10 A)"})
			}, 2, false},
			{"a technician withdraws their note in a closed request", func() (core.Message, error) {
				return e.WithdrawMessage(ctx, alice, closedNote2.ID, core.Idempotency{})
			}, 1, true},
			{"a technician withdraws their file", func() (core.Message, error) {
				return e.WithdrawMessage(ctx, alice, file.ID, core.Idempotency{})
			}, 1, true},
			{"a technician withdraws their edited message", func() (core.Message, error) {
				return e.WithdrawMessage(ctx, alice, toCust.ID, core.Idempotency{})
			}, 2, true},
		}
		for _, c := range allowed {
			t.Run(c.name, func(t *testing.T) {
				m, err := c.act()
				if err != nil {
					t.Fatal(err)
				}
				stored := try(s.Message(ctx, m.ID)).must(t)
				if stored.Version != c.version || stored.Withdrawn() != c.withdraw || m.Version != c.version || m.Withdrawn() != c.withdraw {
					t.Fatalf("answered %+v, stored %+v", m, stored)
				}
				if c.withdraw && (stored.WithdrawnAt != clk.now() || stored.WithdrawnBy.Kind != core.ActorTechnician) {
					t.Fatalf("withdrawn at %v by %+v, now is %v", stored.WithdrawnAt, stored.WithdrawnBy, clk.now())
				}
				if !c.withdraw && (stored.EditedAt != clk.now() || m.Body != stored.Body) {
					t.Fatalf("edited at %v (now %v): answered %q, stored %q", stored.EditedAt, clk.now(), m.Body, stored.Body)
				}
			})
		}
	})
}

// TestCustomerEditWindow: a customer's message may be edited up to 15
// minutes after it was sent, by the engine's clock, and not a moment later.
func TestCustomerEditWindow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d, clk := clockedDesk(t, newStore(t))
		o := d.Live(t)
		cust := core.CustomerActor(o.Participant.ID)
		m := try(d.Engine.PostMessage(ctx, cust, o.Request.ID, core.Post{Body: "one"})).must(t)
		clk.add(core.CustomerEditWindow)
		try(d.Engine.EditMessage(ctx, cust, m.ID, core.Edit{Body: "two"})).must(t)
		clk.add(time.Microsecond)
		_, err := d.Engine.EditMessage(ctx, cust, m.ID, core.Edit{Body: "three"})
		if core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("an edit after the window: %v", err)
		}
		// The window runs from sending, not from the last edit.
		if got := try(d.Store.Message(ctx, m.ID)).must(t); got.Body != "two" || got.Version != 2 {
			t.Fatalf("stored %+v", got)
		}
	})
}

// TestEditVersionsAndEvents: each edit keeps a version, in order, and
// appends one event to the message's own audience, with what a surface
// needs to change its copy; an edit to the same text changes nothing.
func TestEditVersionsAndEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d, clk := clockedDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		id := o.Request.ID
		m := try(e.PostMessage(ctx, alice, id, core.Post{Body: "v1"})).must(t)
		wake, stop := d.Store.Hub().Subscribe()
		defer stop()
		bodies := []string{"v1", "v2", "v3", "v4"}
		for _, b := range bodies[1:] {
			clk.add(time.Minute)
			before := try(d.Store.Request(ctx, id)).must(t)
			got := try(e.EditMessage(ctx, alice, m.ID, core.Edit{Body: b})).must(t)
			if got.Body != b || got.ID != m.ID || got.RSeq != m.RSeq || got.CreatedAt != m.CreatedAt {
				t.Fatalf("edit to %q answered %+v", b, got)
			}
			after := try(d.Store.Request(ctx, id)).must(t)
			if after.Version != before.Version+1 || !after.UpdatedAt.Equal(clk.now()) {
				t.Fatalf("the request went from version %d to %d, updated at %v", before.Version, after.Version, after.UpdatedAt)
			}
			select {
			case <-wake:
			case <-time.After(5 * time.Second):
				t.Fatal("the edit woke no live reader")
			}
		}
		// The same text again: no version, no event.
		before := storetest.Snapshot(t, d.Store)
		if got := try(e.EditMessage(ctx, alice, m.ID, core.Edit{Body: " v4\n"})).must(t); got.Version != 4 {
			t.Fatalf("a no-op edit answered %+v", got)
		}
		if storetest.Snapshot(t, d.Store) != before {
			t.Fatal("an edit to the same text changed the database")
		}

		vs := try(e.MessageVersions(ctx, alice, m.ID)).must(t)
		if len(vs) != len(bodies) {
			t.Fatalf("%d versions: %+v", len(vs), vs)
		}
		for i, v := range vs {
			if v.Version != int64(i+1) || v.Body != bodies[i] || v.MessageID != m.ID || v.Editor != alice {
				t.Fatalf("version %d: %+v", i+1, v)
			}
			if i > 0 && !v.EditedAt.After(vs[i-1].EditedAt) {
				t.Fatalf("version %d edited at %v, before version %d", i+1, v.EditedAt, i)
			}
		}
		if !vs[0].EditedAt.Equal(m.CreatedAt) {
			t.Fatalf("the original is dated %v, the message %v", vs[0].EditedAt, m.CreatedAt)
		}
		// Another technician with access reads them; a message never
		// edited has one version, its text.
		if got := try(e.MessageVersions(ctx, storetest.Actor(d.Bob), m.ID)).must(t); len(got) != 4 {
			t.Fatalf("Bob reads %d versions", len(got))
		}
		if got := try(e.MessageVersions(ctx, alice, o.Message.ID)).must(t); len(got) != 1 || got[0].Body != o.Message.Body ||
			got[0].Version != 1 || got[0].Editor != core.CustomerActor(o.Participant.ID) {
			t.Fatalf("versions of a message never edited: %+v", got)
		}

		evs := try(e.Events(ctx, alice, id, m.RSeq, 0)).must(t)
		if n := countType(evs, core.EventEdited); n != 3 {
			t.Fatalf("%d edit events: %v", n, eventTypes(evs))
		}
		for i, ev := range evs {
			d := ev.Data
			if ev.Type != core.EventEdited || ev.Audience != core.AudienceAll || ev.Actor != alice || d.MessageID != m.ID ||
				d.Body != bodies[i+1] || d.Version != int64(i+2) || d.ActorName != "Alice" || d.Withdrawn {
				t.Fatalf("event %d: %s to %s by %+v: %+v", i, ev.Type, ev.Audience, ev.Actor, d)
			}
		}

		// A note's edit goes to technicians, a direct message's to its
		// customer alone; so do their withdrawals.
		note := try(e.AddNote(ctx, alice, id, core.Note{Body: "n1"})).must(t)
		direct := try(e.PostMessage(ctx, alice, id, core.Post{Body: "d1", To: o.Participant.ID})).must(t)
		try(e.EditMessage(ctx, alice, note.ID, core.Edit{Body: "n2"})).must(t)
		try(e.EditMessage(ctx, alice, direct.ID, core.Edit{Body: "d2"})).must(t)
		try(e.WithdrawMessage(ctx, alice, note.ID, core.Idempotency{})).must(t)
		try(e.WithdrawMessage(ctx, alice, direct.ID, core.Idempotency{})).must(t)
		evs = try(e.Events(ctx, alice, id, direct.RSeq, 0)).must(t)
		want := []struct {
			typ core.EventType
			aud core.Audience
			msg string
		}{
			{core.EventEdited, core.AudienceTechnicians, note.ID},
			{core.EventEdited, core.Audience(o.Participant.ID), direct.ID},
			{core.EventWithdrawn, core.AudienceTechnicians, note.ID},
			{core.EventWithdrawn, core.Audience(o.Participant.ID), direct.ID},
		}
		if len(evs) != len(want) {
			t.Fatalf("events %v", eventTypes(evs))
		}
		for i, w := range want {
			ev := evs[i]
			if ev.Type != w.typ || ev.Audience != w.aud || ev.Data.MessageID != w.msg {
				t.Errorf("event %d: %s to %s of %s, want %s to %s of %s", i, ev.Type, ev.Audience, ev.Data.MessageID, w.typ, w.aud, w.msg)
			}
			if w.aud != core.AudienceTechnicians && ev.Data.ParticipantID != o.Participant.ID {
				t.Errorf("event %d names participant %q", i, ev.Data.ParticipantID)
			}
			if ev.Type == core.EventWithdrawn && ev.Data.Body != "" {
				t.Errorf("a withdrawal carries the text %q", ev.Data.Body)
			}
		}
		// Withdrawing twice changes nothing.
		before = storetest.Snapshot(t, d.Store)
		if got := try(e.WithdrawMessage(ctx, alice, note.ID, core.Idempotency{})).must(t); !got.Withdrawn() {
			t.Fatalf("a second withdrawal answered %+v", got)
		}
		if storetest.Snapshot(t, d.Store) != before {
			t.Fatal("withdrawing twice changed the database")
		}
		// Technicians keep the withdrawn note, with its text and versions.
		tv := try(e.ViewRequest(ctx, alice, id)).must(t)
		i := slices.IndexFunc(tv.Messages, func(x core.Message) bool { return x.ID == note.ID })
		if i < 0 || tv.Messages[i].Body != "n2" || !tv.Messages[i].Withdrawn() || tv.Messages[i].WithdrawnBy != alice || tv.Messages[i].Version != 2 {
			t.Fatalf("technicians see the withdrawn note as %+v", tv.Messages[i])
		}
	})
}

// TestEditIdempotency: a platform delivering an edit or a withdrawal
// again, in turn or at once, changes nothing more and gets the same
// answer; a key applied to another message is refused.
func TestEditIdempotency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		m := try(e.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "v1"})).must(t)
		key := core.Idempotency{Source: "slack", ExternalID: "Ev100"}

		first := try(e.EditMessage(ctx, alice, m.ID, core.Edit{Body: "v2", Key: key})).must(t)
		before := storetest.Snapshot(t, d.Store)
		again := try(e.EditMessage(ctx, alice, m.ID, core.Edit{Body: "v2", Key: key})).must(t)
		if again != first {
			t.Fatalf("the retry answered %+v, the first %+v", again, first)
		}
		if storetest.Snapshot(t, d.Store) != before {
			t.Fatal("a repeated edit changed the database")
		}
		evs := try(e.Events(ctx, alice, o.Request.ID, m.RSeq, 0)).must(t)
		if len(evs) != 1 || evs[0].Data.Origin == nil || *evs[0].Data.Origin != key {
			t.Fatalf("events after the edit: %+v", evs)
		}
		// A retry arriving after a later edit undoes nothing.
		try(e.EditMessage(ctx, alice, m.ID, core.Edit{Body: "v3"})).must(t)
		if got := try(e.EditMessage(ctx, alice, m.ID, core.Edit{Body: "v2", Key: key})).must(t); got.Body != "v3" || got.Version != 3 {
			t.Fatalf("a late retry answered %+v", got)
		}
		other := try(e.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "other"})).must(t)
		before = storetest.Snapshot(t, d.Store)
		if _, err := e.EditMessage(ctx, alice, other.ID, core.Edit{Body: "other!", Key: key}); core.ErrorCode(err) != core.CodeConflict {
			t.Fatalf("a key of another message: %v", err)
		}
		if storetest.Snapshot(t, d.Store) != before {
			t.Fatal("a key of another message changed the database")
		}

		// Concurrent deliveries of one edit make one version.
		const n = 6
		var wg sync.WaitGroup
		start := make(chan struct{})
		answers := make([]core.Message, n)
		for i := range n {
			wg.Go(func() {
				<-start
				got, err := e.EditMessage(ctx, alice, m.ID, core.Edit{Body: "v4", Key: core.Idempotency{Source: "slack", ExternalID: "Ev101"}})
				if err != nil {
					t.Error(err)
				}
				answers[i] = got
			})
		}
		close(start)
		wg.Wait()
		for _, a := range answers {
			if a.Version != 4 || a.Body != "v4" {
				t.Fatalf("concurrent deliveries answered %+v", answers)
			}
		}
		if vs := try(e.MessageVersions(ctx, alice, m.ID)).must(t); len(vs) != 4 {
			t.Fatalf("%d versions after concurrent deliveries of one edit", len(vs))
		}

		// And one withdrawal.
		wkey := core.Idempotency{Source: "slack", ExternalID: "Ev102"}
		w := try(e.WithdrawMessage(ctx, alice, m.ID, wkey)).must(t)
		before = storetest.Snapshot(t, d.Store)
		if got := try(e.WithdrawMessage(ctx, alice, m.ID, wkey)).must(t); got != w || !got.Withdrawn() {
			t.Fatalf("the retried withdrawal answered %+v, the first %+v", got, w)
		}
		if storetest.Snapshot(t, d.Store) != before {
			t.Fatal("a repeated withdrawal changed the database")
		}
		evs = try(e.Events(ctx, alice, o.Request.ID, 0, 0)).must(t)
		if countType(evs, core.EventEdited) != 3 || countType(evs, core.EventWithdrawn) != 1 {
			t.Fatalf("events %v", eventTypes(evs))
		}
	})
}

// TestConcurrentEdits has one author edit one message many times at once,
// and withdraw it meanwhile: no edit is lost, each has its own version
// and event, and none lands after the withdrawal.
func TestConcurrentEdits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		for round, withdraw := range []bool{false, true} {
			m := try(e.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "original"})).must(t)
			const n = 8
			errs := make([]error, n+1)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					_, errs[i] = e.EditMessage(ctx, alice, m.ID, core.Edit{Body: fmt.Sprintf("edit %d", i)})
				})
			}
			if withdraw {
				wg.Go(func() {
					<-start
					_, errs[n] = e.WithdrawMessage(ctx, alice, m.ID, core.Idempotency{})
				})
			}
			close(start)
			wg.Wait()
			applied := map[string]bool{"original": true}
			for i, err := range errs[:n] {
				switch core.ErrorCode(err) {
				case "":
					applied[fmt.Sprintf("edit %d", i)] = true
				case core.CodeInvalidState: // after the withdrawal
					if !withdraw {
						t.Fatalf("round %d: edit %d: %v", round, i, err)
					}
				default:
					t.Fatalf("round %d: edit %d: %v", round, i, err)
				}
			}
			if errs[n] != nil {
				t.Fatalf("round %d: withdrawal: %v", round, errs[n])
			}
			if !withdraw && len(applied) != n+1 {
				t.Fatalf("round %d: %d of %d edits applied", round, len(applied)-1, n)
			}
			vs := try(e.MessageVersions(ctx, alice, m.ID)).must(t)
			got := try(d.Store.Message(ctx, m.ID)).must(t)
			if len(vs) != len(applied) || got.Version != int64(len(vs)) || got.Body != vs[len(vs)-1].Body || got.Withdrawn() != withdraw {
				t.Fatalf("round %d: %d versions, %d applied; message %+v", round, len(vs), len(applied), got)
			}
			byVersion := map[int64]string{}
			for i, v := range vs {
				if v.Version != int64(i+1) || !applied[v.Body] {
					t.Fatalf("round %d: version %d is %+v", round, i+1, v)
				}
				delete(applied, v.Body)
				byVersion[v.Version] = v.Body
			}
			evs := try(e.Events(ctx, alice, o.Request.ID, m.RSeq, 0)).must(t)
			edits, withdrawnAt := 0, -1
			for i, ev := range evs {
				switch ev.Type {
				case core.EventEdited:
					edits++
					if byVersion[ev.Data.Version] != ev.Data.Body || withdrawnAt >= 0 {
						t.Fatalf("round %d: edit event %+v (withdrawn at event %d)", round, ev.Data, withdrawnAt)
					}
					delete(byVersion, ev.Data.Version)
				case core.EventWithdrawn:
					withdrawnAt = i
				}
			}
			if edits != len(vs)-1 || (withdrawnAt >= 0) != withdraw {
				t.Fatalf("round %d: %d edit events for %d versions; events %v", round, edits, len(vs), eventTypes(evs))
			}
		}
	})
}
