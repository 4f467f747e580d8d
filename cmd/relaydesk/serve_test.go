package main_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestServe starts the real program as `relaydesk serve` on a free
// loopback port, checks what it answers, then stops it as SIGTERM would
// (by ending its context) and checks it exits 0 after a clean shutdown.
func TestServe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		backend int // index in backends
		env     map[string]string
		off     []string // adapters that must say they are off
		secret  string   // must never appear in the log
	}{
		{name: "sqlite, no tokens", backend: 0, off: []string{"slack", "discord", "telegram"}},
		{name: "sqlite, slack token set", backend: 0, env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-do-not-log-me", "SLACK_SIGNING_SECRET": "do-not-log-me-either", "LOG_LEVEL": "debug"},
			off: []string{"discord", "telegram"}, secret: "xoxb-do-not-log-me"},
		{name: "postgres, no tokens", backend: 1, off: []string{"slack", "discord", "telegram"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProgram(t, backends()[tt.backend].url(t))
			p.env["HTTP_ADDR"] = "127.0.0.1:0"
			for k, v := range tt.env {
				p.env[k] = v
			}
			srv := p.serve()
			base, errb := srv.base, srv.log

			waitFor(t, base+"/healthz", http.StatusOK)
			if code, body := fetch(t, base+"/healthz"); code != 200 || body != "ok" {
				t.Errorf("/healthz = %d %q", code, body)
			}
			if code, body := fetch(t, base+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
				t.Errorf("/readyz = %d %q", code, body)
			}
			code, body := fetch(t, base+"/metrics")
			if code != 200 {
				t.Errorf("/metrics = %d", code)
			}
			for _, name := range []string{"relaydesk_build_info", "relaydesk_http_requests_total", "go_goroutines",
				`relaydesk_requests{status="new"}`, `relaydesk_live_clients{surface="console",transport="websocket"}`,
				`relaydesk_live_clients{surface="widget",transport="poll"}`, `go_sql_in_use_connections{db_name="relaydesk"}`,
				`relaydesk_live_sessions{kind="media"} 0`, `relaydesk_live_sessions{kind="cobrowse"} 0`} {
				if !strings.Contains(body, name) {
					t.Errorf("/metrics lacks %s", name)
				}
			}

			srv.stop()

			log := errb.String()
			for _, want := range []string{"relaydesk is serving", "shutting down", "stopped"} {
				if !strings.Contains(log, want) {
					t.Errorf("the log lacks %q:\n%s", want, log)
				}
			}
			if strings.Contains(log, "level=ERROR") {
				t.Errorf("the log has errors:\n%s", log)
			}
			for _, a := range []string{"slack", "discord", "telegram"} {
				want := 0
				for _, o := range tt.off {
					if o == a {
						want = 1
					}
				}
				if n := strings.Count(log, a+" adapter is off"); n != want {
					t.Errorf("%d log lines say the %s adapter is off, want %d:\n%s", n, a, want, log)
				}
			}
			if tt.secret != "" && strings.Contains(log+srv.out.String(), tt.secret) {
				t.Errorf("a token leaked into the output:\n%s", log)
			}
		})
	}
}

// waitFor polls url until it answers code. The listener is bound before
// OnListen is called, so this normally succeeds at once; polling only
// covers the server goroutine's start.
func waitFor(t *testing.T, url string, code int) {
	t.Helper()
	testwait.Until(t, fmt.Sprintf("%s to answer %d", url, code), func() error {
		res, err := http.Get(url)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != code {
			return fmt.Errorf("it answered %d", res.StatusCode)
		}
		return nil
	})
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET %s: no X-Content-Type-Options: nosniff", url)
	}
	return res.StatusCode, string(b)
}

// TestServeTelegram starts the real program with TELEGRAM_BOT_TOKEN set
// against a fake Bot API: a customer's message opens a request, and a
// technician's reply, made by another process on the same database,
// reaches the customer through serve's dispatcher. Long polling on SQLite
// and PostgreSQL (where one process leads), and webhook mode.
func TestServeTelegram(t *testing.T) {
	t.Parallel()
	const token = "987654321:AAH-serve_test_token_never_logged"
	const secret = "serve-test_webhook-secret"
	tests := []struct {
		name    string
		backend int
		webhook bool
	}{
		{name: "sqlite, long polling", backend: 0},
		{name: "postgres, long polling", backend: 1},
		{name: "sqlite, webhook", backend: 0, webhook: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbURL := backends()[tt.backend].url(t)
			p := newProgram(t, dbURL)
			tg := telegramtest.New(t, token)
			p.env["HTTP_ADDR"] = "127.0.0.1:0"
			// On SQLite serve hears of another process's commits only by
			// polling: poll often, not every second.
			p.env["DELIVERY_POLL_INTERVAL"] = "20ms"
			p.env["TELEGRAM_BOT_TOKEN"] = token
			p.env["TELEGRAM_API_URL"] = tg.URL
			if tt.webhook {
				p.env["TELEGRAM_WEBHOOK_SECRET"] = secret // PUBLIC_URL is https
			}
			for _, args := range [][]string{
				{"admin", "company", "create", "--name", "Acme", "--slug", "acme"},
				{"admin", "tech", "create", "--email", "alice@acme.test", "--name", "Alice", "--no-password"},
				{"admin", "access", "grant", "--tech", "alice@acme.test", "--company", "acme"},
			} {
				if code, _, errs := p.run("", args...); code != 0 {
					t.Fatalf("%v: exit %d\n%s", args, code, errs)
				}
			}

			ctx := context.Background()
			srv := p.serve()
			base, errb := srv.base, srv.log

			update := []byte(fmt.Sprintf(`{"update_id": 5001, "message": {"message_id": 1, "date": 1767225600,
				"from": {"id": 777001, "is_bot": false, "first_name": "Tess", "language_code": "en"},
				"chat": {"id": 777001, "first_name": "Tess", "type": "private"}, "text": %q}}`, "my printer is on fire"))
			if tt.webhook {
				tg.Wait(t, "setWebhook", func(calls []telegramtest.Call) bool { return len(calls) > 0 && hasCall(calls, "setWebhook") })
				if code := telegramtest.PostUpdate(t, base+"/telegram/webhook", "wrong", update); code != http.StatusUnauthorized {
					t.Fatalf("a wrong secret got HTTP %d, want 401", code)
				}
				if code := telegramtest.PostUpdate(t, base+"/telegram/webhook", secret, update); code != http.StatusOK {
					t.Fatalf("the webhook answered %d:\n%s", code, errb.String())
				}
			} else {
				tg.Push(t, update)
			}
			opened := func(calls []telegramtest.Call) bool {
				return hasText(calls, "Your request #1001 with Acme is open")
			}
			tg.Wait(t, "the customer told their request is open", opened)

			// Alice answers from another process sharing the database.
			s := storetest.Open(t, dbURL)
			e := core.NewEngine(core.Config{Store: s, Blobs: blob.NewDir(filepath.Join(p.env["DATA_DIR"], "files"))})
			alice, err := s.TechnicianByEmail(ctx, "alice@acme.test")
			if err != nil {
				t.Fatal(err)
			}
			by := core.TechnicianActor(alice.ID)
			c, err := e.ConversationOf(ctx, "telegram", "777001")
			if err != nil || c.Request.Source.Channel != "telegram" {
				t.Fatalf("the customer's request: %+v, %v", c.Request, err)
			}
			for _, step := range []func() error{
				func() error { _, err := e.SetAvailability(ctx, by, core.Available); return err },
				func() error { _, err := e.AssignToMe(ctx, by, c.Request.ID); return err },
				func() error { _, err := e.JoinChat(ctx, by, c.Request.ID); return err },
				func() error {
					_, err := e.PostMessage(ctx, by, c.Request.ID, core.Post{Body: "Alice here: unplug it"})
					return err
				},
			} {
				if err := step(); err != nil {
					t.Fatal(err)
				}
			}
			tg.Wait(t, "Alice's reply on Telegram", func(calls []telegramtest.Call) bool {
				return hasText(calls, "Alice joined the chat.") && hasText(calls, "Alice: Alice here: unplug it")
			})

			srv.stop()
			log := errb.String()
			if !strings.Contains(log, "telegram adapter is on") || strings.Contains(log, "telegram adapter is off") ||
				strings.Contains(log, "not part of this build") {
				t.Errorf("the log does not say the telegram adapter is on:\n%s", log)
			}
			if strings.Contains(log, "level=ERROR") {
				t.Errorf("the log has errors:\n%s", log)
			}
			if strings.Contains(log+srv.out.String(), "AAH-serve_test_token") || strings.Contains(log, secret) {
				t.Errorf("the token or the webhook secret leaked into the log:\n%s", log)
			}
			if !tt.webhook && !hasCall(tg.Calls(), "deleteWebhook") {
				t.Error("long polling did not remove a webhook first")
			}
		})
	}
}

func hasCall(calls []telegramtest.Call, method string) bool {
	for _, c := range calls {
		if c.Method == method {
			return true
		}
	}
	return false
}

func hasText(calls []telegramtest.Call, text string) bool {
	for _, c := range calls {
		if c.Method == "sendMessage" && !c.Failed && strings.Contains(c.Fields["text"], text) {
			return true
		}
	}
	return false
}
