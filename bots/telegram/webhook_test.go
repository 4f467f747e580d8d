package telegram_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

const secret = "s3cret_webhook-Token"

// TestWebhook: in webhook mode the adapter registers its URL and secret,
// refuses updates without the secret before anything else (401, nothing
// changes), and applies an update once however often Telegram sends it.
func TestWebhook(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{noDispatch: true, webhook: secret})
		if !h.a.Webhook() {
			t.Fatal("https PUBLIC_URL and a secret did not select webhook mode")
		}
		mux := http.NewServeMux()
		h.a.Mount(mux.Handle)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		url := srv.URL + "/telegram/webhook"

		calls := h.tg.Wait(t, "setWebhook", func(calls []telegramtest.Call) bool {
			return slices.ContainsFunc(calls, func(c telegramtest.Call) bool { return c.Method == "setWebhook" })
		})
		for _, c := range calls {
			if c.Method == "setWebhook" && (c.Fields["url"] != "https://help.example.com/telegram/webhook" ||
				c.Fields["secret_token"] != secret || c.Fields["max_connections"] != "1") {
				t.Errorf("setWebhook with %v", c.Fields)
			}
			if c.Method == "getUpdates" || c.Method == "deleteWebhook" {
				t.Errorf("webhook mode called %s", c.Method)
			}
		}

		update := fixture(t, "text.json", 301, map[string]any{"text": "hello by webhook"})
		snap := storetest.Snapshot(t, d.Store)
		for _, tt := range []struct {
			name, secret string
			body         []byte
			want         int
		}{
			{"no secret", "", update, http.StatusUnauthorized},
			{"a wrong secret", "s3cret_webhook-Tokem", update, http.StatusUnauthorized},
			{"a prefix of the secret", "s3cret", update, http.StatusUnauthorized},
			{"the right secret, but no update", secret, []byte(`{"ok": true}`), http.StatusBadRequest},
			{"the right secret, but not JSON", secret, []byte(`update_id=1`), http.StatusBadRequest},
		} {
			if got := telegramtest.PostUpdate(t, url, tt.secret, tt.body); got != tt.want {
				t.Errorf("%s: HTTP %d, want %d", tt.name, got, tt.want)
			}
		}
		if got := storetest.Snapshot(t, d.Store); got != snap {
			t.Fatalf("a refused webhook call changed the database:\n%s", got)
		}
		if n := len(h.tg.Calls("sendMessage")); n != 0 {
			t.Fatalf("refused webhook calls were answered on Telegram %d times", n)
		}

		for range 3 { // Telegram retries when it did not see our answer
			if got := telegramtest.PostUpdate(t, url, secret, update); got != http.StatusOK {
				t.Fatalf("HTTP %d, want 200", got)
			}
		}
		c := h.conversation()
		if got := h.bodies(c.Request.ID); !slices.Equal(got, []string{"hello by webhook"}) {
			t.Fatalf("chat lines %q", got)
		}
		h.waitSent("Your request #1001 with Acme is open")
		if n, err := d.Store.Queue(ctx, core.QueueQuery{CompanyIDs: []string{d.Acme.ID}, Limit: 10}); err != nil || len(n) != 1 {
			t.Fatalf("%d requests, %v; want 1", len(n), err)
		}
	})
}

// TestWebhookNeedsHTTPS: Telegram delivers webhooks over https only; with an
// http PUBLIC_URL the adapter polls, and mounts nothing.
func TestWebhookNeedsHTTPS(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true, webhook: secret, publicURL: "http://127.0.0.1:8080"})
	if h.a.Webhook() {
		t.Fatal("webhook mode with an http PUBLIC_URL")
	}
	mounted := 0
	h.a.Mount(func(string, http.Handler) { mounted++ })
	if mounted != 0 {
		t.Fatal("the webhook was mounted in long-polling mode")
	}
	h.text(1, "polled")
	h.waitSent("Your request #1001")
	if calls := h.tg.Calls("deleteWebhook"); len(calls) != 1 || calls[0].Fields["drop_pending_updates"] != "" {
		t.Fatalf("deleteWebhook calls: %s", telegramtest.Describe(calls))
	}
}
