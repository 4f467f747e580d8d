package telegram_test

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// clock is a time ahead of the real one by what a test added: for the
// parts of a test that must see days pass (the engine, the adapter, the
// fake Bot API), while the dispatcher keeps the real time.
type clock struct {
	mu    sync.Mutex
	ahead time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.ahead)
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ahead += d
}

// live has Tess open a request and Alice take it and join its chat.
func (h *harness) live() core.Request {
	h.t.Helper()
	h.text(1, "My printer prints everything twice.")
	r := h.conversation().Request
	alice := storetest.Actor(h.d.Alice)
	must[core.Request](h.t)(h.d.Engine.AssignToMe(ctx, alice, r.ID))
	must[core.Request](h.t)(h.d.Engine.JoinChat(ctx, alice, r.ID))
	h.waitSent("Alice joined the chat.")
	return r
}

// copies waits until the adapter recorded what it sent Tess of message id
// as cond wants it, and returns those copies.
func (h *harness) copies(id, what string, cond func([]core.Copy) bool) []core.Copy {
	h.t.Helper()
	var cs []core.Copy
	testwait.Until(h.t, what, func() error {
		all, err := h.d.Store.Copies(ctx, id, "telegram")
		if err != nil {
			return err
		}
		cs = nil
		for _, c := range all {
			if c.Target == strconv.FormatInt(chat, 10) && !c.Origin {
				cs = append(cs, c)
			}
		}
		if !cond(cs) {
			return fmt.Errorf("the copies are %+v", cs)
		}
		return nil
	})
	return cs
}

// shown is the message the fake shows in Tess's chat for copy c.
func (h *harness) shown(c core.Copy) telegramtest.Message {
	h.t.Helper()
	id, _ := strconv.Atoi(c.PlatformID)
	m, ok := h.tg.Message(chat, id)
	if !ok {
		h.t.Fatalf("Telegram never sent message %s", c.PlatformID)
	}
	return m
}

// succeeded counts the successful calls of method to Tess.
func (h *harness) succeeded(method string) int {
	n := 0
	for _, c := range h.tg.Calls(method) {
		if !c.Failed && c.Chat() == chat {
			n++
		}
	}
	return n
}

// event is the request's last event of type typ about message id.
func (h *harness) event(requestID string, typ core.EventType, id string) core.Event {
	h.t.Helper()
	evs := must[[]core.Event](h.t)(h.d.Store.RequestEvents(ctx, requestID, 0, 1000))
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ && evs[i].Data.MessageID == id {
			return evs[i]
		}
	}
	h.t.Fatalf("no %s event of message %s", typ, id)
	return core.Event{}
}

// parts are n copies, parts 0 to n-1, all at version v.
func parts(n int, v int64) func([]core.Copy) bool {
	return func(cs []core.Copy) bool {
		if len(cs) != n {
			return false
		}
		for i, c := range cs {
			if c.Part != i || c.Version != v {
				return false
			}
		}
		return true
	}
}

// TestTechnicianEditReachesTheCustomer: Alice edits a reply, as an edit in
// Slack does through the engine: Tess's copy is edited in place with the
// new text and entities, rendered as a new message is, once. The edit
// delivered again edits nothing; a copy recorded as older than it shows
// is edited again, and Telegram's "message is not modified" counts as
// done.
func TestTechnicianEditReachesTheCustomer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		e, alice := d.Engine, storetest.Actor(d.Alice)
		r := h.live()

		m := must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "**Restart** the router"}))
		h.waitSent("Alice: Restart the router")
		c := h.copies(m.ID, "the reply's copy", parts(1, 1))[0]

		must[core.Message](t)(e.EditMessage(ctx, alice, m.ID, core.Edit{Body: "**Unplug** the [router](https://example.com/router) first",
			Key: core.Idempotency{Source: "slack", ExternalID: "Ev0001"}}))
		h.copies(m.ID, "the copy at version 2", parts(1, 2))
		edits := h.tg.Calls("editMessageText")
		if len(edits) != 1 || edits[0].Failed || edits[0].Chat() != chat || edits[0].Fields["message_id"] != c.PlatformID ||
			edits[0].Fields["parse_mode"] != "" {
			t.Fatalf("editMessageText calls:\n%s", telegramtest.Describe(edits))
		}
		want := []string{"bold@7+6", "text_link@18+6 https://example.com/router"}
		if got := h.shown(c); got.Text != "Alice: Unplug the router first" || !slices.Equal(edits[0].Spans(), want) || got.Edits != 1 {
			t.Errorf("Tess's copy reads %q %q after %d edits, want %q %q after one", got.Text, edits[0].Spans(), got.Edits,
				"Alice: Unplug the router first", want)
		}
		if n := h.succeeded("sendMessage"); n != 3 { // the opening's answer, Alice joined, the reply
			t.Errorf("%d messages sent to Tess, want 3: an edit sends none", n)
		}

		// The dispatcher delivers the edit again (it died before moving
		// on): the copy shows version 2 already.
		ev := h.event(r.ID, core.EventEdited, m.ID)
		if err := h.a.Deliver(ctx, dispatch.NewDelivery(ev)); err != nil {
			t.Fatal(err)
		}
		if n := len(h.tg.Calls("editMessageText")); n != 1 {
			t.Fatalf("the edit delivered again made %d edits, want the first only", n)
		}

		// The process died between the edit and its record: the copy says
		// version 1. Telegram answers "message is not modified", which is
		// as good as done: no failure, nothing for the technicians.
		c.Version = 1
		if err := d.Store.SaveCopy(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := h.a.Deliver(ctx, dispatch.NewDelivery(ev)); err != nil {
			t.Fatalf("an edit Telegram has already: %v", err)
		}
		edits = h.tg.Calls("editMessageText")
		if len(edits) != 2 || !edits[1].Failed {
			t.Fatalf("editMessageText calls:\n%s", telegramtest.Describe(edits))
		}
		h.copies(m.ID, "the copy at version 2 again", parts(1, 2))
		for _, b := range h.bodies(r.ID) {
			if strings.Contains(b, "did not deliver") {
				t.Errorf("a note says %q", b)
			}
		}
	})
}

// TestSplitMessageEdited: a reply Telegram took in two messages, edited to
// a text that needs three: both are edited and the third follows; edited
// again to a short one: the first is edited and the others deleted.
func TestSplitMessageEdited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		e, alice := d.Engine, storetest.Actor(d.Alice)
		r := h.live()
		para := func(word string) string { return "**" + word + "** " + strings.Repeat("then wait a moment, ", 90) }
		long := func(words ...string) string {
			var ps []string
			for _, w := range words {
				ps = append(ps, para(w))
			}
			return strings.Join(ps, "\n\n")
		}

		m := must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: long("First", "Second", "Third")}))
		before := h.copies(m.ID, "two parts", parts(2, 1))
		sent := h.succeeded("sendMessage")

		must[core.Message](t)(e.EditMessage(ctx, alice, m.ID, core.Edit{Body: long("Alpha", "Bravo", "Charlie", "Delta", "Echo")}))
		cs := h.copies(m.ID, "three parts at version 2", parts(3, 2))
		if cs[0].PlatformID != before[0].PlatformID || cs[1].PlatformID != before[1].PlatformID {
			t.Errorf("the parts are now %+v, were %+v: not edited in place", cs, before)
		}
		for i, want := range []string{"Alice: Alpha ", "Charlie ", "Echo "} {
			got := h.shown(cs[i])
			if !strings.HasPrefix(got.Text, want) || got.Deleted {
				t.Errorf("part %d reads %.30q (deleted %v), want it to start with %q", i, got.Text, got.Deleted, want)
			}
		}
		if n := h.succeeded("editMessageText"); n != 2 {
			t.Errorf("%d edits, want 2", n)
		}
		if n := h.succeeded("sendMessage") - sent; n != 1 {
			t.Errorf("%d messages sent for the edit, want the one more part", n)
		}
		if got := h.shown(cs[0]); len(got.Entities) == 0 || got.Entities[0] != (telegramtest.Entity{Type: "bold", Offset: 7, Length: 5}) {
			t.Errorf("the first part's entities %+v", got.Entities)
		}

		must[core.Message](t)(e.EditMessage(ctx, alice, m.ID, core.Edit{Body: "Fixed: it was the **duplex** setting."}))
		left := h.copies(m.ID, "one part at version 3", parts(1, 3))
		if got := h.shown(left[0]); got.Text != "Alice: Fixed: it was the duplex setting." || left[0].PlatformID != cs[0].PlatformID {
			t.Errorf("the first part reads %q", got.Text)
		}
		for _, c := range cs[1:] {
			if !h.shown(c).Deleted {
				t.Errorf("part %d was not deleted", c.Part)
			}
		}
	})
}

// TestWithdrawn: a message or file Alice withdraws is deleted from Tess's
// chat; one older than Telegram's 48 hours, which Telegram no longer lets
// a bot delete, is overwritten to say it was withdrawn (its caption, for
// a file), whether the adapter knew it was too old or learnt it from
// Telegram's refusal.
func TestWithdrawn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		ours, telegrams := &clock{}, &clock{}
		h := newHarness(t, d, options{clock: ours.now})
		h.tg.SetClock(telegrams.now)
		e, alice := d.Engine, storetest.Actor(d.Alice)
		r := h.live()
		key := func(n int) core.Idempotency {
			return core.Idempotency{Source: "slack", ExternalID: fmt.Sprintf("Del%d", n)}
		}
		post := func(body string) (core.Message, core.Copy) {
			t.Helper()
			m := must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: body}))
			return m, h.copies(m.ID, "the copy of "+body, parts(1, 1))[0]
		}
		attach := func(name string) (core.Message, core.Copy) {
			t.Helper()
			m, _, err := e.AttachFile(ctx, alice, r.ID, core.Upload{Name: name, Body: bytes.NewReader([]byte("some notes"))})
			if err != nil {
				t.Fatal(err)
			}
			return m, h.copies(m.ID, "the copy of "+name, parts(1, 1))[0]
		}
		withdraw := func(m core.Message) {
			t.Helper()
			must[core.Message](t)(e.WithdrawMessage(ctx, alice, m.ID, key(int(m.RSeq))))
			h.copies(m.ID, "no copy left", func(cs []core.Copy) bool { return len(cs) == 0 })
		}
		deletes := func(c core.Copy) (ok, refused int) {
			for _, call := range h.tg.Calls("deleteMessage") {
				if call.Fields["message_id"] == c.PlatformID {
					if call.Failed {
						refused++
					} else {
						ok++
					}
				}
			}
			return ok, refused
		}

		m, c := post("Sorry, that was for another customer.")
		withdraw(m)
		if ok, _ := deletes(c); ok != 1 || !h.shown(c).Deleted {
			t.Errorf("the withdrawn message: %d deleteMessage calls, deleted %v", ok, h.shown(c).Deleted)
		}
		f, fc := attach("notes.txt")
		withdraw(f)
		if ok, _ := deletes(fc); ok != 1 || !h.shown(fc).Deleted || !h.shown(fc).Media {
			t.Errorf("the withdrawn file: %d deleteMessage calls, %+v", ok, h.shown(fc))
		}

		// Telegram says it is too old, although the adapter's clock thinks
		// it is not: overwritten.
		m, c = post("Old news.")
		telegrams.add(49 * time.Hour)
		withdraw(m)
		if ok, refused := deletes(c); ok != 0 || refused != 1 {
			t.Errorf("the old message: deleteMessage %d ok, %d refused; want one refused", ok, refused)
		}
		if got := h.shown(c); got.Deleted || got.Text != "(message withdrawn)" || len(got.Entities) != 0 {
			t.Errorf("the old message reads %q (deleted %v)", got.Text, got.Deleted)
		}

		// The adapter knows they are too old: no deleteMessage at all.
		m, c = post("Older news.")
		f, fc = attach("old-notes.txt")
		ours.add(49 * time.Hour)
		telegrams.add(49 * time.Hour)
		withdraw(m)
		withdraw(f)
		for _, x := range []core.Copy{c, fc} {
			if ok, refused := deletes(x); ok+refused != 0 {
				t.Errorf("deleteMessage was tried for message %s, which the adapter knew was too old", x.PlatformID)
			}
		}
		if got := h.shown(c); got.Text != "(message withdrawn)" {
			t.Errorf("the older message reads %q", got.Text)
		}
		if got := h.shown(fc); got.Caption != "(message withdrawn)" || got.Deleted {
			t.Errorf("the old file's caption reads %q (deleted %v)", got.Caption, got.Deleted)
		}
		for _, call := range h.tg.Calls() {
			if call.Failed && call.Method != "deleteMessage" {
				t.Errorf("%s failed: %v", call.Method, call.Fields)
			}
		}
	})
}

// TestChangedBeforeDelivery: when the dispatcher runs behind, a message
// edited meanwhile reaches Tess as it reads now (and its edit then finds
// nothing to do), and one withdrawn meanwhile never reaches her.
func TestChangedBeforeDelivery(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{noDispatch: true})
		e, alice := d.Engine, storetest.Actor(d.Alice)
		h.text(1, "My printer prints everything twice.")
		r := h.conversation().Request
		must[core.Request](t)(e.AssignToMe(ctx, alice, r.ID))
		must[core.Request](t)(e.JoinChat(ctx, alice, r.ID))
		deliver := func(ev core.Event) {
			t.Helper()
			if err := h.a.Deliver(ctx, dispatch.NewDelivery(ev)); err != nil {
				t.Fatal(err)
			}
		}

		edited := must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "Try tray 1."}))
		must[core.Message](t)(e.EditMessage(ctx, alice, edited.ID, core.Edit{Body: "Try tray 2."}))
		gone := must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "Your password is hunter2."}))
		must[core.Message](t)(e.WithdrawMessage(ctx, alice, gone.ID, core.Idempotency{}))
		deliver(h.event(r.ID, core.EventMessage, edited.ID))
		deliver(h.event(r.ID, core.EventEdited, edited.ID))
		deliver(h.event(r.ID, core.EventMessage, gone.ID))
		deliver(h.event(r.ID, core.EventWithdrawn, gone.ID))

		if got := h.sentTexts(chat); !slices.Contains(got, "Alice: Try tray 2.") || slices.ContainsFunc(got, func(s string) bool {
			return strings.Contains(s, "tray 1") || strings.Contains(s, "hunter2")
		}) {
			t.Errorf("Tess was sent %q", got)
		}
		h.copies(edited.ID, "the copy at version 2", parts(1, 2))
		if n := len(h.tg.Calls("editMessageText", "deleteMessage")); n != 0 {
			t.Errorf("%d edits or deletions, want none", n)
		}
	})
}
