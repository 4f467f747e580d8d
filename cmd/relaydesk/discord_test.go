package main_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestServeDiscord starts the real program with the Discord settings
// against a fake Discord (REST and gateway): the CLI binds Acme to a
// channel and prints a link code; Alice links her Discord account with
// /support link over the signed interactions endpoint (a wrongly signed one
// is refused); a request opened by another process gets its card and
// thread; Alice's "Assign to me" button, over the gateway, edits the card
// in place; after she joins, her message in the thread reaches the
// customer. On SQLite and PostgreSQL.
func TestServeDiscord(t *testing.T) {
	t.Parallel()
	const (
		token   = "MTE4.serve-test-discord-token-never-logged"
		appID   = "775799577604522054"
		channel = "645027906669510667"
		alice   = "53908232506183680"
	)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dbURL := b.url(t)
			p := newProgram(t, dbURL)
			dc := discordtest.New(t, token)
			p.env["HTTP_ADDR"] = "127.0.0.1:0"
			// On SQLite serve hears of another process's commits only by
			// polling: poll often, not every second.
			p.env["DELIVERY_POLL_INTERVAL"] = "20ms"
			p.env["DISCORD_BOT_TOKEN"] = token
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
			if code != 0 {
				t.Fatalf("link-code: exit %d\n%s", code, errs)
			}
			linkCode := strings.Fields(out)[0]

			ctx := context.Background()
			srv := p.serve()
			base, errb := srv.base, srv.log
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("serve log:\n%s", errb.String())
				}
			})
			dc.WaitConnected(t)

			interaction := func(id string, typ int, data map[string]any) []byte {
				b, _ := json.Marshal(map[string]any{"id": id, "application_id": appID, "type": typ, "token": "tok-" + id,
					"version": 1, "channel_id": channel, "guild_id": "290926798626357999",
					"member": map[string]any{"user": map[string]any{"id": alice, "username": "alice"}}, "data": data})
				return b
			}
			slash := func(id, sub string, opts ...string) []byte {
				var os []any
				for i := 0; i+1 < len(opts); i += 2 {
					os = append(os, map[string]any{"type": 3, "name": opts[i], "value": opts[i+1]})
				}
				return interaction(id, 2, map[string]any{"id": "900", "name": "support", "type": 1,
					"options": []any{map[string]any{"type": 1, "name": sub, "options": os}}})
			}
			link := slash("1180000000000000001", "link", "code", linkCode)
			if code, body := discordtest.Post(t, base+"/discord/interactions", priv, link); code != 200 ||
				!strings.Contains(body, "now linked to Alice") || !strings.Contains(body, `"flags":64`) {
				t.Fatalf("/support link: %d %s", code, body)
			}
			avail := slash("1180000000000000009", "status", "status", "available")
			if code, body := discordtest.Post(t, base+"/discord/interactions", priv, avail); code != 200 ||
				!strings.Contains(body, "You are now available.") {
				t.Fatalf("/support status: %d %s", code, body)
			}
			_, other, _ := ed25519.GenerateKey(nil)
			if code, _ := discordtest.Post(t, base+"/discord/interactions", other, link); code != 401 {
				t.Fatalf("a wrongly signed interaction got %d", code)
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
			var cardID, thread string
			dc.Wait(t, "the card and its thread in Acme's channel", func(calls []discordtest.Call) bool {
				for _, c := range calls {
					if c.Route == "createMessage" && c.Channel == channel && !c.Failed {
						cardID = c.ID
					}
					if c.Route == "startThread" && cardID != "" && c.Message == cardID && !c.Failed {
						thread = c.ID
						return true
					}
				}
				return false
			})

			var click map[string]any
			json.Unmarshal(interaction("1180000000000000002", 3, map[string]any{"custom_id": "assign:" + o.Request.ID,
				"component_type": 2}), &click)
			dc.Dispatch(t, "INTERACTION_CREATE", click)
			dc.Wait(t, "the card edited to Alice", func(calls []discordtest.Call) bool {
				for _, c := range calls {
					if c.Route == "editMessage" && c.Message == cardID && strings.Contains(c.Content(), "owner Alice") {
						return true
					}
					if c.Route == "callback" && strings.Contains(c.JSON(), "did not work") {
						t.Fatalf("the button answered %s", c.JSON())
					}
				}
				return false
			})
			join := slash("1180000000000000003", "join", "request", "1001")
			if code, body := discordtest.Post(t, base+"/discord/interactions", priv, join); code != 200 ||
				!strings.Contains(body, "You joined the chat of request #1001.") {
				t.Fatalf("/support join: %d %s", code, body)
			}
			dc.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": "1180000000000000004", "channel_id": thread, "type": 0,
				"author": map[string]any{"id": alice, "username": "alice"}, "content": "On my way, Tess.",
				"timestamp": "2026-01-01T12:00:00.000000+00:00"})
			cust := core.CustomerActor(o.Participant.ID)
			testwait.Until(t, "Alice's thread message to reach the customer", func() error {
				v, err := e.ViewRequest(ctx, cust, o.Request.ID)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(v.Messages); n == 0 || v.Messages[n-1].Body != "On my way, Tess." {
					return fmt.Errorf("the log says:\n%s", errb.String())
				}
				return nil
			})

			srv.stop()
			log := errb.String()
			if !strings.Contains(log, "discord adapter is on") || strings.Contains(log, "not part of this build") {
				t.Errorf("the log does not say the discord adapter is on:\n%s", log)
			}
			if strings.Contains(log, "level=ERROR") {
				t.Errorf("the log has errors:\n%s", log)
			}
			if strings.Contains(log+srv.out.String(), "never-logged") {
				t.Errorf("the token leaked into the log:\n%s", log)
			}
		})
	}
}
