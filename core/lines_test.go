package core_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestCustomersNeverSeeWhatWasTaken: whatever a customer reads (the
// request, its events in one read or page by page, a line as an adapter
// renders it, a file) holds no withdrawn text or file, no earlier version
// of an edited message and no note, while technicians keep all of it.
func TestCustomersNeverSeeWhatWasTaken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d, _ := clockedDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		id := o.Request.ID
		cust := core.CustomerActor(o.Participant.ID)

		try(e.EditMessage(ctx, cust, o.Message.ID, core.Edit{Body: "my printer is smoking"})).must(t)
		edited := try(e.PostMessage(ctx, alice, id, core.Post{Body: "draft with a tpyo"})).must(t)
		try(e.EditMessage(ctx, alice, edited.ID, core.Edit{Body: "final text"})).must(t)
		gone := try(e.PostMessage(ctx, alice, id, core.Post{Body: "oops: another customer's card number"})).must(t)
		try(e.WithdrawMessage(ctx, alice, gone.ID, core.Idempotency{})).must(t)
		note := try(e.AddNote(ctx, alice, id, core.Note{Body: "internal remark"})).must(t)
		try(e.EditMessage(ctx, alice, note.ID, core.Edit{Body: "internal remark, revised"})).must(t)
		fm, f, err := e.AttachFile(ctx, alice, id, core.Upload{Name: "secret.png", Body: bytes.NewReader(pngBytes(t))})
		if err != nil {
			t.Fatal(err)
		}
		try(e.WithdrawMessage(ctx, alice, fm.ID, core.Idempotency{})).must(t)
		mine := try(e.PostMessage(ctx, cust, id, core.Post{Body: "my password is hunter2"})).must(t)
		try(e.EditMessage(ctx, cust, mine.ID, core.Edit{Body: "never mind that"})).must(t)
		try(e.PostMessage(ctx, alice, id, core.Post{Body: "last words"})).must(t)
		taken := []string{"on fire", "tpyo", "card number", "internal", "secret.png", f.ID, "hunter2"}

		leaks := func(what string, v any) {
			t.Helper()
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range taken {
				if strings.Contains(string(b), s) {
					t.Errorf("%s shows the customer %q: %s", what, s, b)
				}
			}
		}
		cv := try(e.ViewRequest(ctx, cust, id)).must(t)
		leaks("the request", cv)
		if cv.Request.Subject != "my printer is smoking" {
			t.Errorf("the subject is %q", cv.Request.Subject)
		}
		byID := map[string]core.Message{}
		for _, m := range cv.Messages {
			byID[m.ID] = m
		}
		if m := byID[gone.ID]; !m.Withdrawn() || m.Body != "" || m.WithdrawnBy != (core.Actor{}) {
			t.Errorf("the customer sees the withdrawn message as %+v", m)
		}
		if m := byID[fm.ID]; !m.Withdrawn() || m.FileID != "" || len(cv.Files) != 0 {
			t.Errorf("the customer sees the withdrawn file as %+v, files %v", m, cv.Files)
		}
		if m := byID[edited.ID]; m.Body != "final text" || !m.Edited() || m.EditedAt.IsZero() {
			t.Errorf("the customer sees the edited message as %+v", m)
		}
		if _, _, err := e.OpenFile(ctx, cust, f.ID); core.ErrorCode(err) != core.CodeNotFound {
			t.Errorf("the customer opens the withdrawn file: %v", err)
		}
		if _, rc, err := e.OpenFile(ctx, alice, f.ID); err != nil {
			t.Errorf("a technician opens the withdrawn file: %v", err)
		} else {
			rc.Close()
		}

		all := try(e.Events(ctx, cust, id, 0, 0)).must(t)
		leaks("the events", all)
		r := try(d.Store.Request(ctx, id)).must(t)
		var paged []core.Event
		for after := int64(0); after < r.Version; after += 2 {
			paged = append(paged, try(e.Events(ctx, cust, id, after, 2)).must(t)...)
		}
		leaks("the events, two at a time", paged)
		if !slices.EqualFunc(all, paged, func(a, b core.Event) bool { return a.RSeq == b.RSeq && a.Data == b.Data }) {
			t.Errorf("read at once and page by page, the customer's events differ:\n%+v\n%+v", all, paged)
		}
		for _, ev := range all {
			if ev.Type == core.EventNote || (ev.Type == core.EventEdited && ev.Data.MessageID == note.ID) {
				t.Errorf("the customer gets %s of the note", ev.Type)
			}
			switch ev.Data.MessageID {
			case gone.ID, fm.ID:
				if !ev.Data.Withdrawn || ev.Data.Body != "" || ev.Data.File != nil {
					t.Errorf("%s of a withdrawn message: %+v", ev.Type, ev.Data)
				}
			case edited.ID:
				if ev.Data.Body != "final text" || ev.Data.Version != 2 {
					t.Errorf("%s of the edited message: %+v", ev.Type, ev.Data)
				}
			}
		}

		// What an adapter renders for a customer, from the log as it was
		// written.
		tevs := try(e.Events(ctx, alice, id, 0, 0)).must(t)
		var rendered []core.Event
		for _, ev := range tevs {
			if !ev.VisibleToCustomer(o.Participant.ID) {
				continue
			}
			cur, err := e.Current(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			rendered = append(rendered, cur.ForCustomer())
		}
		leaks("what an adapter renders", rendered)

		// Technicians keep everything.
		tv := try(e.ViewRequest(ctx, alice, id)).must(t)
		b, _ := json.Marshal(struct {
			V core.RequestView
			E []core.Event
		}{tv, tevs})
		for _, s := range taken {
			if !strings.Contains(string(b), s) {
				t.Errorf("technicians lost %q", s)
			}
		}
	})
}
