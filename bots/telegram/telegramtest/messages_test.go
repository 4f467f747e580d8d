package telegramtest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
)

// TestEditsAndDeletes: the fake edits and deletes the messages it sent as
// Telegram does, and refuses what Telegram refuses: an edit that changes
// nothing ("message is not modified"), a message it never sent or
// deleted, a caption of a text message and the text of a photo, and a
// deletion after 48 hours, when the message may still be edited.
func TestEditsAndDeletes(t *testing.T) {
	tg := telegramtest.New(t, token)
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	tg.SetClock(clk.now)
	b := client(t, tg)
	bold := []models.MessageEntity{{Type: models.MessageEntityTypeBold, Offset: 0, Length: 2}}
	text, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 7, Text: "hi there"})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: 7, Caption: "a.txt",
		Document: &models.InputFileUpload{Filename: "a.txt", Data: strings.NewReader("a")}})
	if err != nil {
		t.Fatal(err)
	}
	if text.ID < 1000 || doc.ID != text.ID+1 {
		t.Errorf("message IDs %d, %d: want them from 1000 on, one after the other", text.ID, doc.ID)
	}
	editText := func(id int, s string, ents []models.MessageEntity) error {
		_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: 7, MessageID: id, Text: s, Entities: ents})
		return err
	}
	editCaption := func(id int, s string) error {
		_, err := b.EditMessageCaption(ctx, &bot.EditMessageCaptionParams{ChatID: 7, MessageID: id, Caption: s})
		return err
	}
	del := func(id int) error {
		_, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: 7, MessageID: id})
		return err
	}
	refused := func(what string, err error, why string) {
		t.Helper()
		if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v, want 400 %q", what, err, why)
		}
	}

	if err := editText(text.ID, "hi again", bold); err != nil {
		t.Fatal(err)
	}
	if m, _ := tg.Message(7, text.ID); m.Text != "hi again" || len(m.Entities) != 1 || m.Edits != 1 {
		t.Errorf("after the edit: %+v", m)
	}
	refused("the same text and entities again", editText(text.ID, "hi again", bold), "message is not modified")
	if err := editText(text.ID, "hi again", nil); err != nil {
		t.Errorf("the same text without its entities: %v", err)
	}
	refused("a message never sent", editText(999, "x", nil), "message to edit not found")
	refused("the caption of a text", editCaption(text.ID, "x"), "there is no caption in the message to edit")
	refused("the text of a document", editText(doc.ID, "x", nil), "there is no text in the message to edit")
	if err := editCaption(doc.ID, "(withdrawn)"); err != nil {
		t.Fatal(err)
	}
	if m, _ := tg.Message(7, doc.ID); m.Caption != "(withdrawn)" || !m.Media {
		t.Errorf("after the caption edit: %+v", m)
	}

	if err := del(text.ID); err != nil {
		t.Fatal(err)
	}
	refused("deleted twice", del(text.ID), "message to delete not found")
	refused("a deleted message edited", editText(text.ID, "x", nil), "message to edit not found")
	if got := tg.Messages(7); len(got) != 1 || got[0].ID != doc.ID {
		t.Errorf("the chat shows %+v, want the document only", got)
	}

	clk.advance(48 * time.Hour)
	refused("deleted after 48 hours", del(doc.ID), "message can't be deleted")
	if err := editCaption(doc.ID, "still editable"); err != nil {
		t.Errorf("edited after 48 hours: %v", err)
	}

	tg.Block(7)
	if err := editCaption(doc.ID, "blocked"); !errors.Is(err, bot.ErrorForbidden) {
		t.Errorf("an edit to a user who blocked the bot: %v, want 403", err)
	}
}
