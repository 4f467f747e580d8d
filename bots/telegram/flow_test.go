package telegram_test

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestChat is what Telegram adds to the conversation every adapter passes
// (TestConversation), with Alice working the request through the engine
// as the console does: the command menu, /start, the request's source;
// replies through a rate limit, none lost, doubled or reordered; a photo
// with its caption and an edit from the customer; a photo from the
// technician; the end of the chat; what Tess read, in order, never her own
// words; and a new request after the close.
func TestChat(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		e, alice := d.Engine, storetest.Actor(d.Alice)

		h.tg.Wait(t, "the command menu in four languages", func(calls []telegramtest.Call) bool {
			n := 0
			for _, c := range calls {
				if c.Method == "setMyCommands" && strings.Contains(c.Fields["commands"], `"command":"status"`) {
					n++
				}
			}
			return n == 4
		})

		h.text(1, "/start")
		h.waitSent("Hello Tess Tester! You are talking to Acme support.")
		if _, err := e.ConversationOf(ctx, "telegram", "5551234001"); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("/start alone opened something: %v", err)
		}

		h.text(2, "My printer prints everything twice.")
		h.waitSent("Your request #1001 with Acme is open")
		c := h.conversation()
		r := c.Request
		if r.Status != core.StatusNew || r.Source.Channel != "telegram" || r.Source.Language != "en" || r.Source.IP != "" ||
			r.CustomerName != "Tess Tester" || r.CustomerEmail != "" || r.CompanyID != d.Acme.ID {
			t.Fatalf("request %+v", r)
		}

		must[core.Request](t)(e.AssignToMe(ctx, alice, r.ID))
		must[core.Request](t)(e.JoinChat(ctx, alice, r.ID))
		h.waitSent("Alice joined the chat.")

		// A rate limit in the middle delays the replies; none is lost,
		// doubled or reordered.
		h.tg.Fail("sendMessage", telegramtest.TooManyRequests(1))
		must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "Hi Tess, Alice here."}))
		must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "Could you send a photo of a page?"}))
		h.waitSent("Alice: Could you send a photo of a page?")
		failed := 0
		for _, c := range h.tg.Calls("sendMessage") {
			if c.Failed {
				failed++
			}
		}
		if failed != 1 {
			t.Errorf("%d sendMessage calls were refused, want the one 429", failed)
		}

		// A photo from the customer is stored and shown to technicians,
		// its caption after it; an edit of her first message edits it.
		photo := jpegBytes(t)
		h.tg.AddFile("AgACAgIAAxkBAAIBsmXphoto-x", "photos/file_7.jpg", photo)
		h.say("photo.json", 3, nil)
		h.say("edited_message.json", 4, map[string]any{"message_id": 2})
		v := must[core.RequestView](t)(e.ViewRequest(ctx, alice, r.ID))
		var got *core.File
		for _, f := range v.Files {
			got = &f
		}
		if got == nil || got.Name != "photo_18.jpg" || got.ContentType != "image/jpeg" || got.UploaderKind != core.ActorCustomer {
			t.Fatalf("files %+v", v.Files)
		}
		_, rc, err := e.OpenFile(ctx, alice, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(stored, photo) {
			t.Fatal("the stored photo differs from the one sent")
		}
		wantBodies := []string{"My printer prints everything three times.", "Hi Tess, Alice here.", "Could you send a photo of a page?",
			"photo_18.jpg", "This is what it prints."}
		if b := h.bodies(r.ID); !slices.Equal(b, wantBodies) {
			t.Fatalf("chat lines\n%q\nwant\n%q", b, wantBodies)
		}

		// A picture from the technician goes as a photo, with its caption.
		must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "Here are the settings."}))
		png := pngBytes(t)
		if _, _, err := e.AttachFile(ctx, alice, r.ID, core.Upload{Name: "settings.png", Body: bytes.NewReader(png)}); err != nil {
			t.Fatal(err)
		}
		must[core.Request](t)(e.EndChat(ctx, alice, r.ID))
		h.waitSent("The chat has ended.")
		must[core.Request](t)(e.Close(ctx, alice, r.ID, ""))
		h.waitSent("Request #1001 is closed.")

		ph := h.tg.Calls("sendPhoto")
		if len(ph) != 1 || !bytes.Equal(ph[0].Files["photo"].Data, png) || ph[0].Fields["caption"] != "Alice: settings.png" {
			t.Fatalf("sendPhoto calls:\n%s", telegramtest.Describe(ph))
		}

		// What Tess read, in order, each once; never her own words.
		want := []string{
			"Hello Tess Tester! You are talking to Acme support.",
			"Thank you! Your request #1001 with Acme is open.",
			"Alice joined the chat.",
			"Alice: Hi Tess, Alice here.",
			"Alice: Could you send a photo of a page?",
			"Alice: Here are the settings.",
			"The chat has ended.",
			"Request #1001 is closed.",
		}
		sent := h.sentTexts(chat)
		if len(sent) != len(want) {
			t.Fatalf("Tess got %d messages, want %d:\n%q", len(sent), len(want), sent)
		}
		for i, w := range want {
			if !strings.HasPrefix(sent[i], w) {
				t.Errorf("message %d is %q, want it to start with %q", i, sent[i], w)
			}
		}
		for _, c := range h.tg.Calls() {
			all := c.Fields["text"] + c.Fields["caption"]
			for _, secret := range []string{"prints everything", "This is what it prints"} {
				if strings.Contains(all, secret) {
					t.Errorf("%q reached Telegram in %s", secret, c.Method)
				}
			}
		}

		// After the close, a new message opens a new request and says so.
		h.text(5, "Now the scanner.")
		h.waitSent("Your request #1001 was closed, so this message opens a new request: #1002.")
		if c := h.conversation(); c.Request.Number != 1002 || !c.Open() {
			t.Fatalf("after writing again: #%d open %v", c.Request.Number, c.Open())
		}
	})
}
