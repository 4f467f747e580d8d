package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestSlackEditsReachCustomers is issue 12's end-to-end test of edits and
// deletes, through the real program with Slack and Telegram on, on both
// databases: Alice's Slack reply with a link and && reaches a Telegram
// customer and a widget customer rendered correctly; her edit in Slack
// changes each customer's copy in place (Telegram's editMessageText, the
// widget's chat.edited and its message read as it is now); her delete
// withdraws it (Telegram's deleteMessage, the widget's chat.withdrawn and
// the message without its text).
func TestSlackEditsReachCustomers(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			slackEditsReachCustomers(t, b.url(t))
		})
	}
}

func slackEditsReachCustomers(t *testing.T, dbURL string) {
	const (
		tgToken   = "987654321:AAH-edits_test_token"
		slToken   = "xoxb-edits-test-token"
		signing   = "edits-test-signing-secret"
		channel   = "C0ACMEQUEUE"
		aliceUser = "U0ALICE"
		tessChat  = 777002
	)
	tg := telegramtest.New(t, tgToken)
	sl := slacktest.New(t, slToken)
	p := newProgram(t, dbURL)
	p.env["HTTP_ADDR"] = "127.0.0.1:0"
	p.env["TELEGRAM_BOT_TOKEN"] = tgToken
	p.env["TELEGRAM_API_URL"] = tg.URL
	p.env["SLACK_BOT_TOKEN"] = slToken
	p.env["SLACK_SIGNING_SECRET"] = signing
	p.env["SLACK_API_URL"] = strings.TrimSuffix(sl.URL, "/")
	key := createCompany(t, p)
	for _, args := range [][]string{
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
	srv := p.serve()
	base := srv.base

	post := func(path, contentType string, body []byte) {
		t.Helper()
		if code, answer := slacktest.Post(t, base+path, signing, contentType, body); code != http.StatusOK {
			t.Fatalf("%s: HTTP %d %s", path, code, answer)
		}
	}
	for _, text := range []string{"link " + strings.Fields(out)[0], "status available"} {
		post("/slack/commands", "application/x-www-form-urlencoded", slacktest.Form("command", "/support",
			"text", text, "user_id", aliceUser, "channel_id", channel, "team_id", "T0001", "trigger_id", "1.2.3"))
	}

	// Tess on Telegram opens #1001, Wes in the widget #1002.
	tg.Push(t, []byte(fmt.Sprintf(`{"update_id": 1, "message": {"message_id": 1, "date": 1767225600,
		"from": {"id": %d, "is_bot": false, "first_name": "Tess", "language_code": "en"},
		"chat": {"id": %d, "first_name": "Tess", "type": "private"}, "text": "my printer is on fire"}}`, tessChat, tessChat)))
	tgSent := func(calls []telegramtest.Call, method, text string) (telegramtest.Call, bool) {
		for _, c := range calls {
			if c.Method == method && !c.Failed && c.Chat() == tessChat && strings.Contains(c.Fields["text"], text) {
				return c, true
			}
		}
		return telegramtest.Call{}, false
	}
	tg.Wait(t, "Tess told her request is open", func(calls []telegramtest.Call) bool {
		_, ok := tgSent(calls, "sendMessage", "Your request #1001 with Acme is open")
		return ok
	})
	card := func(number string) (ts, requestID string) {
		t.Helper()
		sl.Wait(t, "the card of #"+number, func(calls []slacktest.Call) bool {
			for _, c := range calls {
				if c.Method != "chat.postMessage" || c.Failed || c.Fields["thread_ts"] != "" || !strings.HasPrefix(c.Fields["text"], "Request #"+number+" ") {
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
				ts = c.TS
				return requestID != ""
			}
			return false
		})
		return ts, requestID
	}
	tgCard, tgRequest := card("1001")
	token := widgetOpen(t, base, key)
	wCard, wRequest := card("1002")

	inThread := func(calls []slacktest.Call, cardTS, text string) bool {
		for _, c := range calls {
			if c.Method == "chat.postMessage" && !c.Failed && c.Fields["thread_ts"] == cardTS && strings.Contains(c.Fields["text"], text) {
				return true
			}
		}
		return false
	}
	click := func(cardTS, requestID, action string) {
		t.Helper()
		payload, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": aliceUser},
			"team": map[string]any{"id": "T0001"}, "channel": map[string]any{"id": channel},
			"container": map[string]any{"type": "message", "message_ts": cardTS, "channel_id": channel},
			"actions":   []map[string]any{{"action_id": action, "value": requestID, "type": "button", "block_id": "request:" + requestID}}})
		post("/slack/interactions", "application/x-www-form-urlencoded", slacktest.Form("payload", string(payload)))
	}
	for _, c := range [][2]string{{tgCard, tgRequest}, {wCard, wRequest}} {
		click(c[0], c[1], "assign")
		click(c[0], c[1], "join")
		sl.Wait(t, "Alice in the chat of "+c[1], func(calls []slacktest.Call) bool {
			return inThread(calls, c[0], "Alice joined the chat")
		})
	}

	// Alice's reply, edit and delete, as Slack sends them.
	event := func(id string, ev map[string]any) {
		t.Helper()
		ev["channel"], ev["type"], ev["channel_type"] = channel, "message", "channel"
		b, _ := json.Marshal(map[string]any{"token": "XXYYZZ", "team_id": "T0001", "api_app_id": "A123456",
			"type": "event_callback", "event_id": id, "event_time": 1767225700, "event": ev})
		post("/slack/events", "application/json", b)
	}
	const (
		said    = "if x &lt; 5 &amp;&amp; y &gt; 3, see <https://status.example.com|our status page>"
		edited  = "if x &lt; 6 &amp;&amp; y &gt; 3, see <https://status.example.com/now|the status page>"
		reads   = "if x < 5 && y > 3, see our status page"
		readsAs = "if x < 6 && y > 3, see the status page"
	)
	for i, cardTS := range []string{tgCard, wCard} {
		ts := fmt.Sprintf("1767225700.00010%d", i)
		event("EvReply"+ts, map[string]any{"user": aliceUser, "text": said, "ts": ts, "thread_ts": cardTS, "event_ts": ts})
	}

	// Telegram: the text with a link entity.
	c := tg.Wait(t, "Alice's reply on Telegram", func(calls []telegramtest.Call) bool {
		_, ok := tgSent(calls, "sendMessage", reads)
		return ok
	})
	if m, _ := tgSent(c, "sendMessage", reads); !strings.Contains(strings.Join(m.Spans(), " "), "text_link@") ||
		!strings.Contains(m.Fields["entities"], "https://status.example.com") {
		t.Errorf("Telegram got %q with %v", m.Fields["text"], m.Spans())
	}
	// The widget: the text in relaydesk's format, the link as a link.
	var replyID string
	waitWidget(t, base, token, "Alice's reply in the widget", func(evs []widgetEvent) bool {
		for _, ev := range evs {
			if ev.Type == "chat.message" && ev.ActorKind == "technician" &&
				ev.Body == "if x < 5 && y > 3, see [our status page](https://status.example.com)" {
				replyID = ev.MessageID
				return true
			}
		}
		return false
	})

	// Alice edits both replies in Slack; Slack delivers the first edit twice.
	for i, cardTS := range []string{tgCard, wCard} {
		ts := fmt.Sprintf("1767225700.00010%d", i)
		ed := func() map[string]any {
			return map[string]any{"subtype": "message_changed", "hidden": true, "ts": "1767225800.000200", "event_ts": "1767225800.000200",
				"message": map[string]any{"type": "message", "user": aliceUser, "text": edited, "ts": ts, "thread_ts": cardTS,
					"edited": map[string]any{"user": aliceUser, "ts": "1767225800.000000"}}}
		}
		event("EvEdit"+ts, ed())
		if i == 0 {
			event("EvEdit"+ts, ed())
		}
	}
	tg.Wait(t, "the Telegram copy edited in place", func(calls []telegramtest.Call) bool {
		_, ok := tgSent(calls, "editMessageText", readsAs)
		return ok
	})
	waitWidget(t, base, token, "the widget's copy edited in place", func(evs []widgetEvent) bool {
		edited, current := false, false
		for _, ev := range evs {
			edited = edited || ev.Type == "chat.edited" && ev.MessageID == replyID &&
				ev.Body == "if x < 6 && y > 3, see [the status page](https://status.example.com/now)"
			current = current || ev.Type == "chat.message" && ev.MessageID == replyID && strings.HasPrefix(ev.Body, "if x < 6")
		}
		return edited && current
	})

	// Alice deletes both replies.
	for i, cardTS := range []string{tgCard, wCard} {
		ts := fmt.Sprintf("1767225700.00010%d", i)
		event("EvDelete"+ts, map[string]any{"subtype": "message_deleted", "hidden": true, "ts": "1767225900.000300",
			"deleted_ts": ts, "event_ts": "1767225900.000300",
			"previous_message": map[string]any{"type": "message", "user": aliceUser, "text": edited, "ts": ts, "thread_ts": cardTS}})
	}
	tg.Wait(t, "the Telegram copy deleted", func(calls []telegramtest.Call) bool {
		for _, c := range calls {
			if c.Method == "deleteMessage" && !c.Failed && c.Chat() == tessChat {
				return true
			}
		}
		return false
	})
	waitWidget(t, base, token, "the widget's copy withdrawn", func(evs []widgetEvent) bool {
		withdrawn := false
		for _, ev := range evs {
			if ev.MessageID == replyID && ev.Type != "chat.withdrawn" && ev.Body != "" {
				return false // a text of the reply is still shown
			}
			withdrawn = withdrawn || ev.Type == "chat.withdrawn" && ev.MessageID == replyID
		}
		return withdrawn
	})
	var edits int
	for _, c := range tg.Calls() {
		if c.Method == "editMessageText" && !c.Failed && c.Chat() == tessChat {
			edits++
		}
	}
	if edits != 1 {
		t.Errorf("Telegram got %d edits, want 1", edits)
	}
	if log := srv.log.String(); strings.Contains(log, "level=ERROR") {
		t.Errorf("the log has errors:\n%s", log)
	}
}

// widgetEvent is what the test reads of an event of the widget's events API.
type widgetEvent struct {
	Type      string `json:"type"`
	ActorKind string `json:"actor_kind"`
	MessageID string `json:"message_id"`
	Body      string `json:"body"`
}

// waitWidget waits until the events the widget customer of token reads
// satisfy cond.
func waitWidget(t *testing.T, base, token, what string, cond func([]widgetEvent) bool) {
	t.Helper()
	testwait.Until(t, what, func() error {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/widget/events?after=0", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var v struct {
			Items []widgetEvent `json:"events"`
		}
		if json.Unmarshal(b, &v) != nil || !cond(v.Items) {
			return fmt.Errorf("the widget reads %s", b)
		}
		return nil
	})
}
