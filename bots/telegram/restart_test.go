package telegram_test

import (
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestRestart stops the adapter in the middle of a conversation and starts
// a new one on the same database: it resumes after the last update
// processed, so none is skipped, and an update Telegram sends again (as
// after a crash before the offset was saved) changes nothing.
func TestRestart(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{noDispatch: true})
		h.text(101, "first")
		h.text(102, "second")
		h.stop()

		// While no adapter runs, Telegram keeps what the customer sends.
		h.tg.Push(t, fixture(t, "text.json", 103, map[string]any{"text": "third", "message_id": 103}),
			fixture(t, "edited_message.json", 104, map[string]any{"text": "second, corrected", "message_id": 102}))
		h.tg.AddFile("AgACAgIAAxkBAAIBsmXphoto-x", "photos/file_9.jpg", jpegBytes(t))
		h.tg.Push(t, fixture(t, "photo.json", 105, map[string]any{"caption": nil}))
		before := len(h.tg.Offsets())
		h.start(h.adapter(options{}))
		h.tg.WaitIdle(t)

		if got := h.tg.Offsets()[before]; got != 103 {
			t.Errorf("the new adapter asked for updates from offset %d, want 103 (after the last processed, 102)", got)
		}
		want := []string{"first", "second, corrected", "third", "photo_18.jpg"}
		c := h.conversation()
		if got := h.bodies(c.Request.ID); !slices.Equal(got, want) {
			t.Fatalf("chat lines %q, want %q", got, want)
		}

		// Telegram sends 102 to 105 again (the offset was lost): nothing
		// changes.
		snap := storetest.Snapshot(t, d.Store)
		h.stop()
		if err := d.Store.SetBotState(ctx, "telegram:123456789:offset", "101"); err != nil {
			t.Fatal(err)
		}
		h.tg.Push(t, fixture(t, "text.json", 102, map[string]any{"text": "second", "message_id": 102}),
			fixture(t, "text.json", 103, map[string]any{"text": "third", "message_id": 103}),
			fixture(t, "edited_message.json", 104, map[string]any{"text": "second, corrected", "message_id": 102}),
			fixture(t, "photo.json", 105, map[string]any{"caption": nil}))
		h.start(h.adapter(options{}))
		h.tg.WaitIdle(t)
		if got := storetest.Snapshot(t, d.Store); got != snap {
			t.Fatalf("updates processed twice changed the database:\nbefore\n%s\nafter\n%s", snap, got)
		}
		if v, _ := d.Store.BotState(ctx, "telegram:123456789:offset"); v != "105" {
			t.Errorf("saved offset %q, want 105", v)
		}
	})
}

// TestRestartAfterOpening: an update that opened a request, processed
// again, does not post its message a second time into that request.
func TestRestartAfterOpening(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true})
	h.text(201, "the first words")
	h.tg.AddFile("BQACAgIAAxkBAAIBs2Xdocument", "documents/file_3.txt", []byte("log line\n"))
	h.say("document.json", 202, nil)
	h.stop()
	snap := storetest.Snapshot(t, d.Store)
	if err := d.Store.SetBotState(ctx, "telegram:123456789:offset", "0"); err != nil {
		t.Fatal(err)
	}
	h.tg.Push(t, fixture(t, "text.json", 201, map[string]any{"text": "the first words", "message_id": 201}), fixture(t, "document.json", 202, nil))
	h.start(h.adapter(options{}))
	h.tg.WaitIdle(t)
	if got := storetest.Snapshot(t, d.Store); got != snap {
		t.Fatalf("processing again changed the database:\nbefore\n%s\nafter\n%s", snap, got)
	}
	if got := h.bodies(h.conversation().Request.ID); !slices.Equal(got, []string{"the first words", "printer-log.txt", "The printer's log"}) {
		t.Fatalf("chat lines %q", got)
	}
}

// TestTransientFailures: Telegram failing for a moment (getUpdates rate
// limited, getFile down, a reply rate limited) delays an update but loses
// nothing and applies nothing twice.
func TestTransientFailures(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true})
	h.text(1, "hello")
	h.tg.Fail("getUpdates", telegramtest.TooManyRequests(1))
	h.tg.Fail("getFile", telegramtest.Failure{Code: 502, Description: "Bad Gateway"})
	h.tg.Fail("sendMessage", telegramtest.TooManyRequests(1))
	h.tg.AddFile("AgACAgIAAxkBAAIBsmXphoto-x", "photos/file_1.jpg", jpegBytes(t))
	h.say("photo.json", 2, nil)
	h.text(3, "/status") // its answer is the one first refused with 429
	h.waitSent("Request #1001 with Acme is waiting for a technician.")
	want := []string{"hello", "photo_18.jpg", "This is what it prints."}
	if got := h.bodies(h.conversation().Request.ID); !slices.Equal(got, want) {
		t.Fatalf("chat lines %q, want %q", got, want)
	}
	if n := len(h.tg.Calls("getFile")); n != 2 {
		t.Errorf("%d getFile calls, want 2 (one failed)", n)
	}
}
