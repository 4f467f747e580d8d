package slack_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestSignatureKnownAnswer checks the test signer against the signed
// example slack-go verifies against (security_test.go: its validBody,
// testdata/signing_example.json), so that requests the tests sign are
// signed exactly as Slack signs them. Sent as it was signed, in 2018, the
// example must be refused as stale, even with the right secret.
func TestSignatureKnownAnswer(t *testing.T) {
	t.Parallel()
	const exampleSecret = "e6b19c573432dcc6b075501d51b51bb8"
	const want = "v0=adada4ed31709aef585c2580ca3267678c6a8eaeb7e0c1aca3ee57b656886b2c"
	body, err := os.ReadFile("testdata/signing_example.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := slacktest.Signature(exampleSecret, 1531431954, body); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true})
	r := slacktest.Signed(t, h.url+slack.EventsPath, secret, "application/json", body, time.Unix(1531431954, 0))
	if res := do(t, r); res != http.StatusUnauthorized {
		t.Fatalf("Slack's 2018 example got %d, want 401", res)
	}
}

// TestRefusedRequests: what Slack did not sign, or signed too long ago, or
// cannot be parsed, is refused and changes nothing.
func TestRefusedRequests(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{noDispatch: true})
		o := d.Open(t, d.Acme, "tess@example.com", "help")
		if _, err := d.Engine.BindChannel(ctx, core.SystemActor(), slack.Platform, d.Acme.ID, channel); err != nil {
			t.Fatal(err)
		}
		before := storetest.Snapshot(t, d.Store)

		payload, _ := json.Marshal(fixture(t, "block_actions.json", map[string]any{"actions.0.value": o.Request.ID}))
		click := slacktest.Form("payload", string(payload))
		cmd := slacktest.Form("user_id", aliceU, "channel_id", channel, "command", "/support", "text", "assign 1001")
		for _, tt := range []struct {
			name string
			req  func() *http.Request
			want int
		}{
			{"button signed with another secret", func() *http.Request {
				return slacktest.Signed(t, h.url+slack.InteractionsPath, "not-the-secret", "application/x-www-form-urlencoded", click, time.Now())
			}, 401},
			{"command signed six minutes ago", func() *http.Request {
				return slacktest.Signed(t, h.url+slack.CommandsPath, secret, "application/x-www-form-urlencoded", cmd, time.Now().Add(-6*time.Minute))
			}, 401},
			{"command signed six minutes ahead", func() *http.Request {
				return slacktest.Signed(t, h.url+slack.CommandsPath, secret, "application/x-www-form-urlencoded", cmd, time.Now().Add(6*time.Minute))
			}, 401},
			{"no signature", func() *http.Request {
				r := slacktest.Signed(t, h.url+slack.CommandsPath, secret, "application/x-www-form-urlencoded", cmd, time.Now())
				r.Header.Del("X-Slack-Signature")
				return r
			}, 401},
			{"body changed after signing", func() *http.Request {
				r := slacktest.Signed(t, h.url+slack.CommandsPath, secret, "application/x-www-form-urlencoded", cmd, time.Now())
				r.Body = io.NopCloser(strings.NewReader(strings.Replace(string(cmd), "assign", "closed", 1)))
				return r
			}, 401},
			{"malformed event JSON", func() *http.Request {
				return slacktest.Signed(t, h.url+slack.EventsPath, secret, "application/json", []byte(`{"type":`), time.Now())
			}, 400},
			{"interaction without a payload", func() *http.Request {
				return slacktest.Signed(t, h.url+slack.InteractionsPath, secret, "application/x-www-form-urlencoded", []byte("nothing=here"), time.Now())
			}, 400},
			{"interaction with broken JSON", func() *http.Request {
				return slacktest.Signed(t, h.url+slack.InteractionsPath, secret, "application/x-www-form-urlencoded", slacktest.Form("payload", "{"), time.Now())
			}, 400},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got := do(t, tt.req()); got != tt.want {
					t.Errorf("HTTP %d, want %d", got, tt.want)
				}
			})
		}
		h.a.Idle()
		if after := storetest.Snapshot(t, d.Store); after != before {
			t.Errorf("refused requests changed the database:\nbefore\n%s\nafter\n%s", before, after)
		}
		if calls := h.sl.Calls(); len(calls) != 0 {
			t.Errorf("refused requests made Slack calls:\n%s", slacktest.Describe(calls))
		}

		// The same click, signed now, works.
		if got := do(t, slacktest.Signed(t, h.url+slack.InteractionsPath, secret, "application/x-www-form-urlencoded", click, time.Now())); got != 200 {
			t.Fatalf("a signed click got %d", got)
		}
		if r := must[core.Request](t)(d.Store.Request(ctx, o.Request.ID)); r.OwnerID != d.Alice.ID {
			t.Fatalf("the signed click did not assign: owner %q", r.OwnerName)
		}
	})
}

// TestURLVerification answers Slack's challenge when the events URL is set.
func TestURLVerification(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true})
	b := mustJSON(t, fixture(t, "url_verification.json", nil))
	code, body := slacktest.Post(t, h.url+slack.EventsPath, secret, "application/json", b)
	if code != 200 || body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("url_verification: %d %q", code, body)
	}
	// An event type the library does not know is acknowledged, not retried.
	code, _ = slacktest.Post(t, h.url+slack.EventsPath, secret, "application/json",
		[]byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"no_such_event"}}`))
	if code != 200 {
		t.Fatalf("an unknown event got %d", code)
	}
}

func do(t *testing.T, r *http.Request) int {
	t.Helper()
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestThreadRefusals: in a card's thread, a Slack user who is not linked
// and a technician without access to the company are told why, and nothing
// is passed on or stored.
func TestThreadRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		d.Live(t)
		cardTS := h.card(1001)
		h.waitThread(cardTS, "Alice joined the chat")
		h.stop() // the dispatcher's cursor moves no more: Snapshot compares the rest
		h.a.Idle()
		before := storetest.Snapshot(t, d.Store)

		h = &harness{t: t, d: d, sl: h.sl, a: h.a, url: h.url}
		if code := h.reply(strangerU, cardTS, "1767225700.000900", "I am not a technician"); code != 200 {
			t.Fatalf("HTTP %d", code)
		}
		if code := h.reply(carolU, cardTS, "1767225700.000901", "Carol serves Globex only"); code != 200 {
			t.Fatalf("HTTP %d", code)
		}
		if got := h.ephemerals(strangerU); len(got) != 1 || !strings.Contains(got[0], "not linked") {
			t.Errorf("the stranger was told %q", got)
		}
		if got := h.ephemerals(carolU); len(got) != 1 || !strings.Contains(got[0], "do not have access") {
			t.Errorf("Carol was told %q", got)
		}
		if after := storetest.Snapshot(t, d.Store); after != before {
			t.Errorf("refused thread messages changed the database")
		}
	})
}

// TestSSLCheck: Slack's check of the command URL's certificate (ssl_check=1
// with a token and no command, form-encoded) is answered 200 with an empty
// body when Slack signed it, as it signs every request it sends, and
// changes nothing; unsigned, or signed with another secret, it is refused
// like any request.
func TestSSLCheck(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{noDispatch: true})
		d.Open(t, d.Acme, "tess@example.com", "help")
		before := storetest.Snapshot(t, d.Store)

		var kv []string
		for k, v := range fixture(t, "ssl_check.json", nil) {
			kv = append(kv, k, v.(string))
		}
		body := slacktest.Form(kv...)
		const form = "application/x-www-form-urlencoded"
		for _, tt := range []struct {
			name     string
			req      func() *http.Request
			want     int
			wantBody string
		}{
			{"signed by Slack", func() *http.Request {
				return slacktest.Signed(t, h.url+slack.CommandsPath, secret, form, body, time.Now())
			}, http.StatusOK, ""},
			{"not signed", func() *http.Request {
				r := slacktest.Signed(t, h.url+slack.CommandsPath, secret, form, body, time.Now())
				r.Header.Del("X-Slack-Signature")
				r.Header.Del("X-Slack-Request-Timestamp")
				return r
			}, http.StatusUnauthorized, "invalid or stale Slack signature\n"},
			{"signed with another secret", func() *http.Request {
				return slacktest.Signed(t, h.url+slack.CommandsPath, "not-the-secret", form, body, time.Now())
			}, http.StatusUnauthorized, "invalid or stale Slack signature\n"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res, err := http.DefaultClient.Do(tt.req())
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != tt.want || string(got) != tt.wantBody {
					t.Errorf("HTTP %d %q, want %d %q", res.StatusCode, got, tt.want, tt.wantBody)
				}
			})
		}
		h.a.Idle()
		if after := storetest.Snapshot(t, d.Store); after != before {
			t.Errorf("ssl_check changed the database:\nbefore\n%s\nafter\n%s", before, after)
		}
		if calls := h.sl.Calls(); len(calls) != 0 {
			t.Errorf("ssl_check made Slack calls:\n%s", slacktest.Describe(calls))
		}
	})
}
