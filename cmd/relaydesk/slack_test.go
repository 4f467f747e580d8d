package main_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestServeSlack starts the real program with the Slack settings against a
// fake Slack: the CLI binds Acme to a channel and prints a link code;
// Alice links her Slack account with /support link; a request opened by
// another process gets its card in the channel; Alice's "Assign to me"
// button updates that card in place. On SQLite and PostgreSQL.
func TestServeSlack(t *testing.T) {
	t.Parallel()
	const (
		token     = "xoxb-serve-test-token-never-logged"
		signing   = "serve-test-signing-secret-never-logged"
		channel   = "C0ACMEQUEUE"
		aliceUser = "U0ALICE"
	)
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dbURL := b.url(t)
			p := newProgram(t, dbURL)
			sl := slacktest.New(t, token)
			p.env["HTTP_ADDR"] = "127.0.0.1:0"
			// On SQLite serve hears of another process's commits only by
			// polling: poll often, not every second.
			p.env["DELIVERY_POLL_INTERVAL"] = "20ms"
			p.env["SLACK_BOT_TOKEN"] = token
			p.env["SLACK_SIGNING_SECRET"] = signing
			p.env["SLACK_API_URL"] = strings.TrimSuffix(sl.URL, "/") // relaydesk adds the slash slack-go needs
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
			if code != 0 {
				t.Fatalf("link-code: exit %d\n%s", code, errs)
			}
			linkCode := strings.Fields(out)[0]

			ctx := context.Background()
			srv := p.serve()
			base, errb := srv.base, srv.log

			cmd := slacktest.Form("command", "/support", "text", "link "+linkCode, "user_id", aliceUser, "channel_id", channel,
				"team_id", "T0001", "trigger_id", "1.2.3")
			if code, body := slacktest.Post(t, base+"/slack/commands", signing, "application/x-www-form-urlencoded", cmd); code != 200 ||
				!strings.Contains(body, "now linked to Alice") {
				t.Fatalf("/support link: %d %s", code, body)
			}
			avail := slacktest.Form("command", "/support", "text", "status available", "user_id", aliceUser, "channel_id", channel)
			if code, body := slacktest.Post(t, base+"/slack/commands", signing, "application/x-www-form-urlencoded", avail); code != 200 ||
				!strings.Contains(body, "You are now available.") {
				t.Fatalf("/support status: %d %s", code, body)
			}
			if code, _ := slacktest.Post(t, base+"/slack/commands", "wrong-secret", "application/x-www-form-urlencoded", cmd); code != 401 {
				t.Fatalf("a wrongly signed command got %d", code)
			}

			// A customer opens a request through another process.
			s := storetest.Open(t, dbURL)
			e := core.NewEngine(core.Config{Store: s, Blobs: blob.NewDir(filepath.Join(p.env["DATA_DIR"], "files"))})
			acme, err := s.CompanyBySlug(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			o, err := e.OpenRequest(ctx, core.OpenRequest{CompanyID: acme.ID, Email: "tess@example.com", Message: "my printer is on fire",
				Source: core.Source{Channel: "web"}})
			if err != nil {
				t.Fatal(err)
			}
			var cardTS string
			sl.Wait(t, "the card in Acme's channel", func(calls []slacktest.Call) bool {
				for _, c := range calls {
					if c.Method == "chat.postMessage" && c.Fields["channel"] == channel && c.Fields["thread_ts"] == "" && !c.Failed {
						cardTS = c.TS
						return true
					}
				}
				return false
			})

			payload, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": aliceUser},
				"channel": map[string]any{"id": channel}, "container": map[string]any{"type": "message", "message_ts": cardTS, "channel_id": channel},
				"actions": []map[string]any{{"action_id": "assign", "value": o.Request.ID, "type": "button", "block_id": "request:" + o.Request.ID}}})
			if code, body := slacktest.Post(t, base+"/slack/interactions", signing, "application/x-www-form-urlencoded",
				slacktest.Form("payload", string(payload))); code != 200 {
				t.Fatalf("the button: %d %s", code, body)
			}
			sl.Wait(t, "the card updated to Alice", func(calls []slacktest.Call) bool {
				for _, c := range calls {
					if c.Method == "chat.update" && c.Fields["ts"] == cardTS && strings.Contains(c.Fields["text"], "owner Alice") {
						return true
					}
				}
				return false
			})

			srv.stop()
			log := errb.String()
			if !strings.Contains(log, "slack adapter is on") || strings.Contains(log, "not part of this build") {
				t.Errorf("the log does not say the slack adapter is on:\n%s", log)
			}
			if strings.Contains(log, "level=ERROR") {
				t.Errorf("the log has errors:\n%s", log)
			}
			if strings.Contains(log+srv.out.String(), "never-logged") {
				t.Errorf("the token or the signing secret leaked into the log:\n%s", log)
			}
		})
	}
}

// TestServeSlackSocketMode starts the real program with SLACK_APP_TOKEN and
// no signing secret: it connects to the fake's Socket Mode endpoint, and a
// /support link pushed over the WebSocket is answered in its
// acknowledgement; no /slack/... endpoint is mounted.
func TestServeSlackSocketMode(t *testing.T) {
	t.Parallel()
	const (
		token    = "xoxb-socket-test-token-never-logged"
		appToken = "xapp-1-A1-socket-test-never-logged"
	)
	p := newProgram(t, backends()[0].url(t))
	sl := slacktest.New(t, token)
	sl.SocketMode(appToken)
	p.env["HTTP_ADDR"] = "127.0.0.1:0"
	p.env["SLACK_BOT_TOKEN"] = token
	p.env["SLACK_APP_TOKEN"] = appToken
	p.env["SLACK_API_URL"] = sl.URL
	if code, _, errs := p.run("", "admin", "tech", "create", "--email", "alice@acme.test", "--name", "Alice", "--no-password"); code != 0 {
		t.Fatalf("tech create: exit %d\n%s", code, errs)
	}
	code, out, errs := p.run("", "admin", "slack", "link-code", "--tech", "alice@acme.test")
	if code != 0 {
		t.Fatalf("link-code: exit %d\n%s", code, errs)
	}
	linkCode := strings.Fields(out)[0]

	srv := p.serve()
	base, errb := srv.base, srv.log
	sl.WaitConnections(t, 1, 1)
	env := sl.Push(t, "slash_commands", map[string]any{"command": "/support", "text": "link " + linkCode, "user_id": "U0ALICE",
		"channel_id": "C0ACMEQUEUE", "team_id": "T0001"})
	if ack := sl.WaitAck(t, env); !strings.Contains(string(ack.Payload), "now linked to Alice") {
		t.Fatalf("/support link over Socket Mode answered %s", ack.Payload)
	}
	if code, _ := slacktest.Post(t, base+"/slack/commands", "any", "application/x-www-form-urlencoded", slacktest.Form("text", "help")); code != 404 && code != 405 {
		t.Errorf("/slack/commands answered %d without a signing secret, want it not mounted", code)
	}

	srv.stop()
	log := errb.String()
	if !strings.Contains(log, "slack adapter is on") || !strings.Contains(log, "mode=socket") {
		t.Errorf("the log does not say the slack adapter is on in socket mode:\n%s", log)
	}
	if strings.Contains(log, "level=ERROR") || strings.Contains(log+srv.out.String(), "never-logged") {
		t.Errorf("the log has errors or secrets:\n%s", log)
	}
}
