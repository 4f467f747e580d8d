package telegram_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/bots/telegram"
)

// fixture reads testdata/name, an update as Telegram documents it, with
// update_id replaced by id (when not 0) and the message's fields by set.
func fixture(tb testing.TB, name string, id int64, set map[string]any) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var u map[string]any
	if err := json.Unmarshal(b, &u); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	if id != 0 {
		u["update_id"] = id
	}
	msg, _ := u["message"].(map[string]any)
	if msg == nil {
		msg, _ = u["edited_message"].(map[string]any)
	}
	for k, v := range set {
		if v == nil {
			delete(msg, k)
		} else {
			msg[k] = v
		}
	}
	out, err := json.Marshal(u)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		set     map[string]any
		ok      bool
		want    telegram.Inbound
	}{
		{name: "a text message", fixture: "text.json", ok: true, want: telegram.Inbound{UpdateID: 725309001, MessageID: 17, Sent: at(1767225600), Chat: 5551234001,
			Name: "Tess Tester", Lang: "en", Kind: telegram.KindText, Text: "My printer prints everything twice."}},
		{name: "/start with a deep-link payload", fixture: "start_deeplink.json", ok: true, want: telegram.Inbound{UpdateID: 725309000, MessageID: 16, Sent: at(1767225590),
			Chat: 5551234001, Name: "Tess Tester", Lang: "de", Kind: telegram.KindCommand, Text: "acme", Command: "start", Args: "acme"}},
		{name: "a command addressed to the bot by name", fixture: "text.json", set: map[string]any{"text": "/Status@relaydesk_bot"}, ok: true,
			want: telegram.Inbound{UpdateID: 725309001, MessageID: 17, Sent: at(1767225600), Chat: 5551234001, Name: "Tess Tester", Lang: "en", Kind: telegram.KindCommand, Command: "status"}},
		{name: "/new with the question on further lines", fixture: "text.json", set: map[string]any{"text": "/new printer\non fire"}, ok: true,
			want: telegram.Inbound{UpdateID: 725309001, MessageID: 17, Sent: at(1767225600), Chat: 5551234001, Name: "Tess Tester", Lang: "en", Kind: telegram.KindCommand, Command: "new", Args: "printer\non fire", Text: "printer\non fire"}},
		{name: "a slash that is no command is text", fixture: "text.json", set: map[string]any{"text": "/ that is all"}, ok: true,
			want: telegram.Inbound{UpdateID: 725309001, MessageID: 17, Sent: at(1767225600), Chat: 5551234001, Name: "Tess Tester", Lang: "en", Kind: telegram.KindText, Text: "/ that is all"}},
		{name: "a photo: its largest size, with the caption", fixture: "photo.json", ok: true, want: telegram.Inbound{UpdateID: 725309002, MessageID: 18, Sent: at(1767225660),
			Chat: 5551234001, Name: "Tess Tester", Lang: "en", Kind: telegram.KindFile, Text: "This is what it prints.",
			File: &telegram.File{ID: "AgACAgIAAxkBAAIBsmXphoto-x", Name: "photo_18.jpg", Size: 96230, Photo: true}}},
		{name: "a document", fixture: "document.json", ok: true, want: telegram.Inbound{UpdateID: 725309003, MessageID: 19, Sent: at(1767225720), Chat: 5551234001,
			Name: "Tess Tester", Lang: "en", Kind: telegram.KindFile, Text: "The printer's log",
			File: &telegram.File{ID: "BQACAgIAAxkBAAIBs2Xdocument", Name: "printer-log.txt", Size: 2048}}},
		{name: "an edited message is a new text for its message", fixture: "edited_message.json", ok: true, want: telegram.Inbound{UpdateID: 725309004, MessageID: 17, Sent: at(1767225600),
			Chat: 5551234001, Name: "Tess Tester", Lang: "en", Kind: telegram.KindText, Edited: true,
			Text: "My printer prints everything three times."}},
		{name: "an edited command is a new text too", fixture: "edited_message.json", set: map[string]any{"text": "/leave"}, ok: true,
			want: telegram.Inbound{UpdateID: 725309004, MessageID: 17, Sent: at(1767225600), Chat: 5551234001, Name: "Tess Tester", Lang: "en", Kind: telegram.KindText,
				Edited: true, Text: "/leave"}},
		{name: "a sticker is answered, not relayed", fixture: "sticker.json", ok: true, want: telegram.Inbound{UpdateID: 725309005, MessageID: 20, Sent: at(1767225840),
			Chat: 5551234001, Name: "Tess", Lang: "fr", Kind: telegram.KindUnsupported}},
		{name: "group chats are ignored", fixture: "group_message.json", ok: false},
		{name: "other bots are ignored", fixture: "text.json", set: map[string]any{"from": map[string]any{"id": 1, "is_bot": true, "first_name": "B"}}, ok: false},
		{name: "a user with only a username", fixture: "text.json", set: map[string]any{"from": map[string]any{"id": 5551234001, "is_bot": false, "username": "tess_t"}},
			ok: true, want: telegram.Inbound{UpdateID: 725309001, MessageID: 17, Sent: at(1767225600), Chat: 5551234001, Name: "@tess_t", Kind: telegram.KindText, Text: "My printer prints everything twice."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u models.Update
			if err := json.Unmarshal(fixture(t, tt.fixture, 0, tt.set), &u); err != nil {
				t.Fatal(err)
			}
			got, ok := telegram.Parse(&u)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v (file %+v)\nwant %+v (file %+v)", got, got.File, tt.want, tt.want.File)
			}
		})
	}
	var u models.Update
	json.Unmarshal([]byte(`{"update_id": 9, "callback_query": {"id": "1", "from": {"id": 1, "is_bot": false, "first_name": "A"}, "chat_instance": "x"}}`), &u)
	if _, ok := telegram.Parse(&u); ok {
		t.Error("a callback query was taken for a message")
	}
}

// at is a Telegram date (Unix seconds) as Parse gives it.
func at(unix int64) time.Time { return time.Unix(unix, 0).UTC() }
