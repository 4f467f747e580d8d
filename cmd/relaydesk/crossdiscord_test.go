package main_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
)

// TestTelegramCustomerDiscordTechnician is the whole conversation between a
// customer on Telegram and a technician in Discord, through the real
// program with both adapters on: the customer's first message opens a
// request whose card and thread appear in Acme's channel; Alice assigns
// (over the gateway) and joins (over the signed interactions endpoint) with
// the card's buttons and writes in its thread; the customer gets her
// reply and writes again, which shows in the thread under the customer's
// name; a !note message never reaches Telegram; Alice closes with the Close
// button, the customer is told, and the card ends Completed without
// buttons.
func TestTelegramCustomerDiscordTechnician(t *testing.T) {
	t.Parallel()
	const (
		tgToken  = "987654321:AAH-crossdiscord_test_token"
		dcToken  = "MTE4.crossdiscord-test-token"
		appID    = "775799577604522054"
		guild    = "290926798626357999"
		channel  = "645027906669510667"
		alice    = "53908232506183680"
		tessChat = 777002
	)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tg := telegramtest.New(t, tgToken)
	dc := discordtest.New(t, dcToken)
	p := newProgram(t, backends()[0].url(t))
	p.env["HTTP_ADDR"] = "127.0.0.1:0"
	p.env["TELEGRAM_BOT_TOKEN"] = tgToken
	p.env["TELEGRAM_API_URL"] = tg.URL
	p.env["DISCORD_BOT_TOKEN"] = dcToken
	p.env["DISCORD_APP_ID"] = appID
	p.env["DISCORD_PUBLIC_KEY"] = hex.EncodeToString(pub)
	p.env["DISCORD_API_URL"] = dc.URL
	for _, args := range [][]string{
		{"admin", "company", "create", "--name", "Acme", "--slug", "acme"},
		{"admin", "tech", "create", "--email", "alice@acme.test", "--name", "Alice", "--no-password"},
		{"admin", "access", "grant", "--tech", "alice@acme.test", "--company", "acme"},
		{"admin", "discord", "bind", "--company", "acme", "--channel", channel},
	} {
		if code, _, errs := p.run("", args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errs)
		}
	}
	code, out, errs := p.run("", "admin", "discord", "link-code", "--tech", "alice@acme.test")
	if code != 0 || len(strings.Fields(out)) == 0 {
		t.Fatalf("link-code: exit %d\n%s", code, errs)
	}
	linkCode := strings.Fields(out)[0]

	srv := p.serve()
	base, errb := srv.base, srv.log
	dc.WaitConnected(t)

	// Discord: Alice links her account and makes herself available.
	interaction := func(typ int, data map[string]any, extra map[string]any) []byte {
		id := dc.NextID()
		i := map[string]any{"id": id, "application_id": appID, "type": typ, "token": "tok-" + id, "version": 1,
			"channel_id": channel, "guild_id": guild,
			"member": map[string]any{"user": map[string]any{"id": alice, "username": "alice"}}, "data": data}
		for k, v := range extra {
			i[k] = v
		}
		b, _ := json.Marshal(i)
		return b
	}
	command := func(sub string, opts ...string) string {
		t.Helper()
		var os []any
		for i := 0; i+1 < len(opts); i += 2 {
			os = append(os, map[string]any{"type": 3, "name": opts[i], "value": opts[i+1]})
		}
		code, body := discordtest.Post(t, base+"/discord/interactions", priv, interaction(2, map[string]any{"id": "900",
			"name": "support", "type": 1, "options": []any{map[string]any{"type": 1, "name": sub, "options": os}}}, nil))
		if code != 200 {
			t.Fatalf("/support %s: HTTP %d %s", sub, code, body)
		}
		return body
	}
	if body := command("link", "code", linkCode); !strings.Contains(body, "now linked to Alice") {
		t.Fatalf("/support link answered %s", body)
	}
	if body := command("status", "status", "available"); !strings.Contains(body, "You are now available.") {
		t.Fatalf("/support status answered %s", body)
	}

	// Telegram: the customer's first message opens request #1001.
	update := func(id int, text string) []byte {
		return []byte(fmt.Sprintf(`{"update_id": %d, "message": {"message_id": %d, "date": 1767225600,
			"from": {"id": %d, "is_bot": false, "first_name": "Tess", "language_code": "en"},
			"chat": {"id": %d, "first_name": "Tess", "type": "private"}, "text": %q}}`, id, id, tessChat, tessChat, text))
	}
	tgSaid := func(calls []telegramtest.Call, text string) bool {
		for _, c := range calls {
			if c.Method == "sendMessage" && !c.Failed && c.Chat() == tessChat && strings.Contains(c.Fields["text"], text) {
				return true
			}
		}
		return false
	}
	tg.Push(t, update(1, "my printer is on fire"))
	tg.Wait(t, "the customer told the request is open", func(calls []telegramtest.Call) bool {
		return tgSaid(calls, "Your request #1001 with Acme is open")
	})

	// Its card (an embed) and the card's thread appear in Acme's channel;
	// its Assign button carries the request.
	var cardID, thread, requestID string
	dc.Wait(t, "the card and its thread in Acme's channel", func(calls []discordtest.Call) bool {
		for _, c := range calls {
			if c.Route == "createMessage" && c.Channel == channel && !c.Failed && strings.HasPrefix(c.Content(), "Request #1001 ") {
				cardID = c.ID
				var card struct {
					Embeds []struct {
						Title string `json:"title"`
					} `json:"embeds"`
					Components []struct {
						Components []struct {
							CustomID string `json:"custom_id"`
						} `json:"components"`
					} `json:"components"`
				}
				json.Unmarshal(c.Raw, &card)
				if len(card.Embeds) != 1 || !strings.HasPrefix(card.Embeds[0].Title, "Request #1001 · Acme") {
					t.Fatalf("the card has no embed of request #1001: %s", c.JSON())
				}
				for _, row := range card.Components {
					for _, b := range row.Components {
						if id, ok := strings.CutPrefix(b.CustomID, "assign:"); ok {
							requestID = id
						}
					}
				}
			}
			if c.Route == "startThread" && cardID != "" && c.Message == cardID && !c.Failed {
				thread = c.ID
				return true
			}
		}
		return false
	})
	if requestID == "" {
		t.Fatalf("the card has no Assign to me button:\n%s", discordtest.Describe(dc.Calls()))
	}
	inThread := func(calls []discordtest.Call, text string) bool {
		for _, c := range calls {
			if c.Route == "createMessage" && !c.Failed && c.Channel == thread && strings.Contains(c.Content(), text) {
				return true
			}
		}
		return false
	}
	// lastCard is the latest edit of the card.
	lastCard := func(calls []discordtest.Call) (discordtest.Call, bool) {
		for i := len(calls) - 1; i >= 0; i-- {
			if c := calls[i]; c.Route == "editMessage" && !c.Failed && c.Channel == channel && c.Message == cardID {
				return c, true
			}
		}
		return discordtest.Call{}, false
	}
	dc.Wait(t, "the customer's first message in the card's thread", func(calls []discordtest.Call) bool {
		return inThread(calls, "**Tess** (customer): my printer is on fire")
	})
	refused := func(calls []discordtest.Call) {
		t.Helper()
		for _, c := range calls {
			if c.Route == "callback" && strings.Contains(c.JSON(), "did not work") {
				t.Fatalf("a button answered %s", c.JSON())
			}
		}
	}

	// Alice presses Assign to me, over the gateway, then Join chat and, in
	// the end, Close, over the interactions endpoint.
	button := func(action string) map[string]any {
		var i map[string]any
		json.Unmarshal(interaction(3, map[string]any{"custom_id": action + ":" + requestID, "component_type": 2},
			map[string]any{"message": map[string]any{"id": cardID, "channel_id": channel, "type": 0, "flags": 0}}), &i)
		return i
	}
	click := func(action string) {
		t.Helper()
		b, _ := json.Marshal(button(action))
		code, body := discordtest.Post(t, base+"/discord/interactions", priv, b)
		if code != 200 || strings.TrimSpace(body) != `{"type":6}` {
			t.Fatalf("the %s button: HTTP %d %s", action, code, body)
		}
	}
	dc.Dispatch(t, "INTERACTION_CREATE", button("assign"))
	dc.Wait(t, "the card edited to Alice", func(calls []discordtest.Call) bool {
		refused(calls)
		c, ok := lastCard(calls)
		return ok && strings.Contains(c.Content(), "owner Alice")
	})
	click("join")
	dc.Wait(t, "the card edited to the live chat", func(calls []discordtest.Call) bool {
		c, ok := lastCard(calls)
		return ok && strings.Contains(c.Content(), "chat live")
	})

	// Alice writes in the card's thread.
	say := func(text string) {
		t.Helper()
		dc.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": dc.NextID(), "channel_id": thread, "guild_id": guild, "type": 0,
			"author": map[string]any{"id": alice, "username": "alice"}, "content": text,
			"timestamp": "2026-01-01T12:00:00.000000+00:00"})
	}
	say("Unplug it, please.")
	tg.Wait(t, "Alice's joining and reply on Telegram", func(calls []telegramtest.Call) bool {
		return tgSaid(calls, "Alice joined the chat") && tgSaid(calls, "Alice: Unplug it, please.")
	})

	// The customer writes again; the thread shows it under their name.
	tg.Push(t, update(2, "It is unplugged now."))
	dc.Wait(t, "the customer's second message in the card's thread", func(calls []discordtest.Call) bool {
		return inThread(calls, "**Tess** (customer): It is unplugged now.")
	})

	// A message starting with !note stays a private note.
	say("!note PRIVATE-FUSER probably the fuser")
	dc.Wait(t, "the note marked private in the thread", func(calls []discordtest.Call) bool {
		return inThread(calls, "🔒 Private note by Alice saved")
	})

	// Alice closes with the card's Close button.
	click("close")
	calls := tg.Wait(t, "the closing notice on Telegram", func(calls []telegramtest.Call) bool {
		return tgSaid(calls, "Request #1001 is closed")
	})
	dc.Wait(t, "the card Completed, without buttons", func(calls []discordtest.Call) bool {
		c, ok := lastCard(calls)
		if !ok || !strings.Contains(c.Content(), "Completed") {
			return false
		}
		comps, isList := c.Body["components"].([]any)
		return isList && len(comps) == 0
	})

	// The dispatcher delivers in order, so the closing notice came after
	// anything the note could have caused on Telegram.
	for _, c := range calls {
		if strings.Contains(c.Fields["text"]+c.Fields["caption"], "PRIVATE-FUSER") {
			t.Fatalf("a private note reached Telegram: %s %q", c.Method, c.Fields["text"])
		}
	}
	for _, c := range dc.Calls() {
		if strings.Contains(c.JSON(), "PRIVATE-FUSER") {
			t.Errorf("Discord echoed the note's text: %s %s", c.Route, c.JSON())
		}
	}
	if log := errb.String(); strings.Contains(log, "level=ERROR") {
		t.Errorf("the log has errors:\n%s", log)
	}
}
