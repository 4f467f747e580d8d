package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
)

// TestTelegramCustomerSlackTechnician is the whole conversation between a
// customer on Telegram and a technician in Slack, through the real program
// with both adapters on: the customer's first message opens a request whose
// card appears in Acme's channel; Alice assigns and joins with the card's
// buttons and replies in its thread; the customer gets her reply and writes
// again, which shows in the thread under the customer's name; a !note reply
// never reaches Telegram; Alice closes with the Close button, the customer
// is told, and the card ends Completed without buttons.
func TestTelegramCustomerSlackTechnician(t *testing.T) {
	t.Parallel()
	const (
		tgToken   = "987654321:AAH-crossadapter_test_token"
		slToken   = "xoxb-crossadapter-test-token"
		signing   = "crossadapter-test-signing-secret"
		channel   = "C0ACMEQUEUE"
		aliceUser = "U0ALICE"
		tessChat  = 777001
	)
	tg := telegramtest.New(t, tgToken)
	sl := slacktest.New(t, slToken)
	p := newProgram(t, backends()[0].url(t))
	p.env["HTTP_ADDR"] = "127.0.0.1:0"
	p.env["TELEGRAM_BOT_TOKEN"] = tgToken
	p.env["TELEGRAM_API_URL"] = tg.URL
	p.env["SLACK_BOT_TOKEN"] = slToken
	p.env["SLACK_SIGNING_SECRET"] = signing
	p.env["SLACK_API_URL"] = strings.TrimSuffix(sl.URL, "/")
	for _, args := range [][]string{
		{"admin", "company", "create", "--name", "Acme", "--slug", "acme"},
		{"admin", "tech", "create", "--email", "alice@acme.test", "--name", "Alice", "--no-password"},
		{"admin", "access", "grant", "--tech", "alice@acme.test", "--company", "acme"},
		{"admin", "slack", "bind", "--company", "acme", "--channel", channel},
	} {
		if code, _, errs := p.run("", args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errs)
		}
	}
	code, out, errs := p.run("", "admin", "slack", "link-code", "--tech", "alice@acme.test")
	if code != 0 || len(strings.Fields(out)) == 0 {
		t.Fatalf("link-code: exit %d\n%s", code, errs)
	}
	linkCode := strings.Fields(out)[0]

	srv := p.serve()
	base, errb := srv.base, srv.log

	// Slack: Alice links her account and makes herself available.
	command := func(text string) string {
		t.Helper()
		code, body := slacktest.Post(t, base+"/slack/commands", signing, "application/x-www-form-urlencoded",
			slacktest.Form("command", "/support", "text", text, "user_id", aliceUser, "channel_id", channel,
				"team_id", "T0001", "trigger_id", "1.2.3"))
		if code != http.StatusOK {
			t.Fatalf("/support %s: HTTP %d %s", text, code, body)
		}
		return body
	}
	if body := command("link " + linkCode); !strings.Contains(body, "now linked to Alice") {
		t.Fatalf("/support link answered %s", body)
	}
	if body := command("status available"); !strings.Contains(body, "You are now available.") {
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

	// Its card appears in Acme's channel; its Assign button carries the request.
	var cardTS, requestID string
	sl.Wait(t, "the card in Acme's channel", func(calls []slacktest.Call) bool {
		for _, c := range calls {
			if c.Method != "chat.postMessage" || c.Failed || c.Fields["channel"] != channel || c.Fields["thread_ts"] != "" ||
				!strings.HasPrefix(c.Fields["text"], "Request #1001 ") {
				continue
			}
			for _, b := range c.Blocks() {
				els, _ := b["elements"].([]any)
				for _, el := range els {
					if e, _ := el.(map[string]any); e["action_id"] == "assign" {
						requestID, _ = e["value"].(string)
					}
				}
			}
			cardTS = c.TS
			return true
		}
		return false
	})
	if requestID == "" {
		t.Fatalf("the card has no Assign to me button:\n%s", slacktest.Describe(sl.Calls()))
	}
	inThread := func(calls []slacktest.Call, text string) bool {
		for _, c := range calls {
			if c.Method == "chat.postMessage" && !c.Failed && c.Fields["channel"] == channel && c.Fields["thread_ts"] == cardTS &&
				strings.Contains(c.Fields["text"], text) {
				return true
			}
		}
		return false
	}
	// lastCard is the latest update of the card.
	lastCard := func(calls []slacktest.Call) (slacktest.Call, bool) {
		for i := len(calls) - 1; i >= 0; i-- {
			if c := calls[i]; c.Method == "chat.update" && !c.Failed && c.Fields["ts"] == cardTS {
				return c, true
			}
		}
		return slacktest.Call{}, false
	}
	sl.Wait(t, "the customer's first message in the card's thread", func(calls []slacktest.Call) bool {
		return inThread(calls, "*Tess* (customer): my printer is on fire")
	})

	// Alice presses Assign to me, then Join chat.
	click := func(action string) {
		t.Helper()
		payload, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": aliceUser},
			"team": map[string]any{"id": "T0001"}, "channel": map[string]any{"id": channel},
			"container": map[string]any{"type": "message", "message_ts": cardTS, "channel_id": channel},
			"actions":   []map[string]any{{"action_id": action, "value": requestID, "type": "button", "block_id": "request:" + requestID}}})
		if code, body := slacktest.Post(t, base+"/slack/interactions", signing, "application/x-www-form-urlencoded",
			slacktest.Form("payload", string(payload))); code != http.StatusOK {
			t.Fatalf("the %s button: HTTP %d %s", action, code, body)
		}
	}
	click("assign")
	sl.Wait(t, "the card updated to Alice", func(calls []slacktest.Call) bool {
		c, ok := lastCard(calls)
		return ok && strings.Contains(c.Fields["text"], "owner Alice")
	})
	click("join")
	sl.Wait(t, "the card updated to the live chat", func(calls []slacktest.Call) bool {
		c, ok := lastCard(calls)
		return ok && strings.Contains(c.Fields["text"], "chat live")
	})

	// Alice replies in the card's thread.
	reply := func(ts, text string) {
		t.Helper()
		ev, _ := json.Marshal(map[string]any{"token": "XXYYZZ", "team_id": "T0001", "api_app_id": "A123456",
			"type": "event_callback", "event_id": "Ev" + strings.ReplaceAll(ts, ".", ""), "event_time": 1767225700,
			"event": map[string]any{"type": "message", "channel": channel, "user": aliceUser, "text": text, "ts": ts,
				"thread_ts": cardTS, "event_ts": ts, "channel_type": "channel"}})
		if code, body := slacktest.Post(t, base+"/slack/events", signing, "application/json", ev); code != http.StatusOK {
			t.Fatalf("the thread reply %q: HTTP %d %s", text, code, body)
		}
	}
	reply("1767225700.000100", "Unplug it, please.")
	tg.Wait(t, "Alice's joining and reply on Telegram", func(calls []telegramtest.Call) bool {
		return tgSaid(calls, "Alice joined the chat") && tgSaid(calls, "Alice: Unplug it, please.")
	})

	// The customer writes again; the thread shows it under their name.
	tg.Push(t, update(2, "It is unplugged now."))
	sl.Wait(t, "the customer's second message in the card's thread", func(calls []slacktest.Call) bool {
		return inThread(calls, "*Tess* (customer): It is unplugged now.")
	})

	// A reply starting with !note stays a private note.
	reply("1767225700.000200", "!note PRIVATE-FUSER probably the fuser")
	sl.Wait(t, "the note marked private in the thread", func(calls []slacktest.Call) bool {
		return inThread(calls, ":lock: Private note by Alice saved")
	})

	// Tess blocks the bot: Alice's next reply cannot be delivered, and the
	// thread says so.
	tg.Block(tessChat)
	reply("1767225700.000300", "Are you still there?")
	sl.Wait(t, "the thread told the customer was not reached", func(calls []slacktest.Call) bool {
		return inThread(calls, "Tess blocked the bot or deleted the chat")
	})
	tg.Unblock(tessChat)

	// Alice closes with the card's Close button.
	click("close")
	calls := tg.Wait(t, "the closing notice on Telegram", func(calls []telegramtest.Call) bool {
		return tgSaid(calls, "Request #1001 is closed")
	})
	sl.Wait(t, "the card Completed, without buttons", func(calls []slacktest.Call) bool {
		c, ok := lastCard(calls)
		return ok && strings.Contains(c.Fields["text"], "Completed") && !strings.Contains(c.Fields["blocks"], `"type":"button"`)
	})

	// The dispatcher delivers in order, so the closing notice came after
	// anything the note could have caused on Telegram.
	for _, c := range calls {
		if strings.Contains(c.Fields["text"]+c.Fields["caption"], "PRIVATE-FUSER") {
			t.Fatalf("a private note reached Telegram: %s %q", c.Method, c.Fields["text"])
		}
	}
	for _, c := range sl.Calls() {
		if strings.Contains(c.Fields["text"], "PRIVATE-FUSER") {
			t.Errorf("Slack echoed the note's text: %s %q", c.Method, c.Fields["text"])
		}
	}
	if log := errb.String(); strings.Contains(log, "level=ERROR") {
		t.Errorf("the log has errors:\n%s", log)
	}
}
