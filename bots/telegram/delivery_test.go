package telegram_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestChatsAreDeliveredApart: Telegram's 429 with a 30 s retry_after for
// one chat holds up that chat alone. The other chat gets its messages at
// once and in order, through the real client against the fake Bot API;
// the held chat's message reads "retrying" in the technicians' view, and
// nothing of it went out.
func TestChatsAreDeliveredApart(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		e, alice := d.Engine, storetest.Actor(d.Alice)
		const theo = 5551234002
		h.text(1, "Tess here: the printer prints twice.")
		h.say("text.json", 2, map[string]any{"text": "Theo here: the scanner is stuck.",
			"from": map[string]any{"id": theo, "is_bot": false, "first_name": "Theo", "language_code": "en"},
			"chat": map[string]any{"id": theo, "first_name": "Theo", "type": "private"}})
		requests := map[int64]string{}
		for _, c := range []int64{chat, theo} {
			conv, err := e.ConversationOf(ctx, "telegram", fmt.Sprint(c))
			if err != nil {
				t.Fatal(err)
			}
			requests[c] = conv.Request.ID
			must[core.Request](t)(e.AssignToMe(ctx, alice, conv.Request.ID))
			must[core.Request](t)(e.JoinChat(ctx, alice, conv.Request.ID))
		}
		joined := func(c int64) func([]telegramtest.Call) bool {
			return func(calls []telegramtest.Call) bool {
				for _, call := range calls {
					if call.Chat() == c && !call.Failed && strings.Contains(call.Fields["text"], "Alice joined") {
						return true
					}
				}
				return false
			}
		}
		h.tg.Wait(t, "Tess told Alice joined", joined(chat))
		h.tg.Wait(t, "Theo told Alice joined", joined(theo))

		h.tg.FailChat(chat, telegramtest.TooManyRequests(30))
		var tessFirst core.Message
		start := time.Now()
		for i := 1; i <= 3; i++ {
			for _, c := range []int64{chat, theo} {
				m := must[core.Message](t)(e.PostMessage(ctx, alice, requests[c], core.Post{Body: fmt.Sprintf("to %d, number %d", c, i)}))
				if c == chat && i == 1 {
					tessFirst = m
				}
			}
		}
		theos := func(calls []telegramtest.Call) []string {
			var out []string
			for _, c := range calls {
				if c.Chat() == theo && !c.Failed && strings.Contains(c.Fields["text"], ", number ") {
					out = append(out, c.Fields["text"])
				}
			}
			return out
		}
		calls := h.tg.Wait(t, "Theo's three messages", func(calls []telegramtest.Call) bool { return len(theos(calls)) == 3 })
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("Theo waited %v behind Tess's 30 s retry_after", took)
		}
		want := []string{}
		for i := 1; i <= 3; i++ {
			want = append(want, fmt.Sprintf("Alice: to %d, number %d", theo, i))
		}
		if got := theos(calls); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("Theo got %q, want %q in this order", got, want)
		}
		for _, c := range calls {
			if c.Chat() == chat && !c.Failed && strings.Contains(c.Fields["text"], ", number ") {
				t.Fatalf("Tess got %q while Telegram said to wait 30 s", c.Fields["text"])
			}
		}
		var st []core.Delivery
		testwait.Until(t, "Tess's held message to be marked retrying", func() error {
			v := must[core.RequestView](t)(e.ViewRequest(ctx, alice, requests[chat]))
			if st = v.Deliveries[tessFirst.ID]; len(st) != 1 || st[0].State != core.DeliveryRetrying {
				return fmt.Errorf("it is marked %+v", st)
			}
			return nil
		})
		if !strings.Contains(st[0].Reason, "retry after 30s") {
			t.Errorf("the reason given is %q", st[0].Reason)
		}
	})
}
