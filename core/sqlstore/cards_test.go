package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestCards: a request has one card per platform, saved whole, and a
// thread belongs to one card: the newest to claim it.
func TestCards(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 1, 12, 0, 0, 123456000, time.UTC)
	// Requests are named A, B in the cases; each case opens its own.
	cases := []struct {
		name  string
		saves []core.Card
		cards []core.Card       // Card(platform, request) afterwards; a card with no channel and posting: not found
		by    map[string]string // CardByThread: "platform thread" -> request, "" for not found
	}{
		{
			name:  "none",
			cards: []core.Card{{Platform: "slack", RequestID: "A"}},
			by:    map[string]string{"slack C1/1.1": "", "slack ": ""},
		},
		{
			name:  "posting before the card",
			saves: []core.Card{{Platform: "discord", RequestID: "A", Posting: "111", PostingAt: at}},
			cards: []core.Card{{Platform: "discord", RequestID: "A", Posting: "111", PostingAt: at}},
			by:    map[string]string{"discord ": ""},
		},
		{
			name: "card and thread",
			saves: []core.Card{{Platform: "slack", RequestID: "A", Channel: "C1", Message: "1.1", Thread: "C1/1.1",
				Posting: "C1", PostingAt: at}},
			cards: []core.Card{{Platform: "slack", RequestID: "A", Channel: "C1", Message: "1.1", Thread: "C1/1.1",
				Posting: "C1", PostingAt: at}, {Platform: "discord", RequestID: "A"}},
			by: map[string]string{"slack C1/1.1": "A", "discord C1/1.1": ""},
		},
		{
			name: "a save replaces the whole card",
			saves: []core.Card{
				{Platform: "discord", RequestID: "A", Channel: "111", Message: "222", Thread: "222", Posting: "111", PostingAt: at},
				{Platform: "discord", RequestID: "A", Channel: "333", Message: "444"},
			},
			cards: []core.Card{{Platform: "discord", RequestID: "A", Channel: "333", Message: "444"}},
			by:    map[string]string{"discord 222": ""},
		},
		{
			name: "cards not yet in a thread",
			saves: []core.Card{
				{Platform: "discord", RequestID: "A", Channel: "111", Message: "222"},
				{Platform: "discord", RequestID: "B", Channel: "111", Message: "333"},
			},
			cards: []core.Card{{Platform: "discord", RequestID: "A", Channel: "111", Message: "222"},
				{Platform: "discord", RequestID: "B", Channel: "111", Message: "333"}},
			by: map[string]string{"discord ": ""},
		},
		{
			name: "the newest card takes a thread over",
			saves: []core.Card{
				{Platform: "discord", RequestID: "A", Channel: "111", Message: "222", Thread: "9"},
				{Platform: "discord", RequestID: "B", Channel: "111", Message: "333", Thread: "9"},
			},
			cards: []core.Card{{Platform: "discord", RequestID: "A", Channel: "111", Message: "222"},
				{Platform: "discord", RequestID: "B", Channel: "111", Message: "333", Thread: "9"}},
			by: map[string]string{"discord 9": "B"},
		},
		{
			name: "one thread ID on two platforms",
			saves: []core.Card{
				{Platform: "discord", RequestID: "A", Channel: "1", Message: "2", Thread: "9"},
				{Platform: "slack", RequestID: "B", Channel: "1", Message: "2", Thread: "9"},
			},
			cards: []core.Card{{Platform: "discord", RequestID: "A", Channel: "1", Message: "2", Thread: "9"},
				{Platform: "slack", RequestID: "B", Channel: "1", Message: "2", Thread: "9"}},
			by: map[string]string{"discord 9": "A", "slack 9": "B"},
		},
	}
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ids := map[string]string{}
				for _, name := range []string{"A", "B"} {
					ids[name] = d.Open(t, d.Acme, name+"@example.com", "help").Request.ID
				}
				for _, s := range c.saves {
					s.RequestID = ids[s.RequestID]
					if err := d.Store.SaveCard(ctx, s); err != nil {
						t.Fatalf("save %+v: %v", s, err)
					}
				}
				for _, want := range c.cards {
					want.RequestID = ids[want.RequestID]
					got, err := d.Store.Card(ctx, want.Platform, want.RequestID)
					if want.Channel == "" && want.Posting == "" {
						if core.ErrorCode(err) != core.CodeNotFound {
							t.Errorf("%s card: %+v, %v; want not found", want.Platform, got, err)
						}
						continue
					}
					if err != nil || !sameCard(got, want) {
						t.Errorf("%s card:\n got %+v, %v\nwant %+v", want.Platform, got, err, want)
					}
				}
				for key, wantReq := range c.by {
					platform, thread, _ := strings.Cut(key, " ")
					got, err := d.Store.CardByThread(ctx, platform, thread)
					switch {
					case wantReq == "" && core.ErrorCode(err) != core.CodeNotFound:
						t.Errorf("thread %q on %s: %+v, %v; want not found", thread, platform, got, err)
					case wantReq != "" && (err != nil || got.RequestID != ids[wantReq] || got.Thread != thread):
						t.Errorf("thread %q on %s: %+v, %v; want the card of %s", thread, platform, got, err, wantReq)
					}
				}
			})
		}
		t.Run("refused", func(t *testing.T) {
			if err := d.Store.SaveCard(ctx, core.Card{Platform: "slack"}); core.ErrorCode(err) != core.CodeInvalid {
				t.Errorf("a card of no request: %v, want invalid", err)
			}
			if err := d.Store.SaveCard(ctx, core.Card{Platform: "slack", RequestID: "req_none", Channel: "C1"}); err == nil {
				t.Error("a card of a request that does not exist was saved")
			}
		})
	})
}

func sameCard(a, b core.Card) bool {
	at, bt := a.PostingAt, b.PostingAt
	a.PostingAt, b.PostingAt = time.Time{}, time.Time{}
	return a == b && at.Equal(bt)
}
