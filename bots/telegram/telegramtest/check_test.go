package telegramtest_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
)

// TestRefusesWhatTelegramRefuses: a text over 4096 UTF-16 code units, a
// caption over 1024, and entities outside their text (counted in UTF-16:
// an emoji is two units) are answered 400; entities within it are
// recorded as sent.
func TestRefusesWhatTelegramRefuses(t *testing.T) {
	tg := telegramtest.New(t, token)
	b := client(t, tg)
	bold := func(offset, length int) []models.MessageEntity {
		return []models.MessageEntity{{Type: models.MessageEntityTypeBold, Offset: offset, Length: length}}
	}
	tests := []struct {
		name string
		send func() error
		ok   bool
	}{
		{"4096 units", func() error {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 7, Text: strings.Repeat("😀", 2048)})
			return err
		}, true},
		{"4097 units", func() error {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 7, Text: strings.Repeat("😀", 2048) + "x"})
			return err
		}, false},
		{"bold over an emoji and a word", func() error {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 7, Text: "😀 ok", Entities: bold(0, 5)})
			return err
		}, true},
		{"bold past the end in UTF-16", func() error {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 7, Text: "😀 ok", Entities: bold(1, 5)})
			return err
		}, false},
		{"a caption of 1025 units", func() error {
			_, err := b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: 7, Caption: strings.Repeat("a", 1025),
				Document: &models.InputFileUpload{Filename: "a.txt", Data: strings.NewReader("a")}})
			return err
		}, false},
		{"caption entities outside the caption", func() error {
			_, err := b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: 7, Caption: "ab", CaptionEntities: bold(1, 2),
				Document: &models.InputFileUpload{Filename: "a.txt", Data: strings.NewReader("a")}})
			return err
		}, false},
	}
	for _, tt := range tests {
		err := tt.send()
		if tt.ok && err != nil || !tt.ok && !errors.Is(err, bot.ErrorBadRequest) {
			t.Errorf("%s: %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	calls := tg.Calls("sendMessage")
	if got := calls[2].Spans(); !slices.Equal(got, []string{"bold@0+5"}) {
		t.Errorf("recorded entities %q", got)
	}
}
