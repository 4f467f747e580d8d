package slack_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// crashingStore fails the first recording of a posted card, as a process
// that dies right after chat.postMessage would.
type crashingStore struct {
	*sqlstore.Store
	mu      sync.Mutex
	crashed bool
}

func (s *crashingStore) SaveCard(ctx context.Context, c core.Card) error {
	s.mu.Lock()
	crash := !s.crashed && c.Message != ""
	s.crashed = s.crashed || crash
	s.mu.Unlock()
	if crash {
		return errors.New("crashed before recording the card")
	}
	return s.Store.SaveCard(ctx, c)
}

// TestCardPostedButNotRecorded: the card goes out, recording its ts fails;
// the dispatcher's retry finds the card in the channel's history by its
// metadata instead of posting a second one, and later changes update it.
func TestCardPostedButNotRecorded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		st := &crashingStore{Store: d.Store}
		h := newHarness(t, d, options{store: st})
		o := d.Open(t, d.Acme, "tess@example.com", "Posted once, please.")
		cardTS := h.card(1001)
		h.waitThread(cardTS, "(customer): Posted once, please.")
		if !st.crashed {
			t.Fatal("the card's recording never failed")
		}
		h.click(aliceU, string(core.ActionAssign), o.Request.ID)
		h.waitCard(cardTS, "owner Alice")

		var cards int
		for _, c := range h.sl.Calls("chat.postMessage") {
			if c.Fields["thread_ts"] == "" && !c.Failed {
				cards++
				if md := c.Fields["metadata"]; !strings.Contains(md, `"event_type":"relaydesk_card"`) || !strings.Contains(md, o.Request.ID) {
					t.Errorf("the card's metadata is %s", md)
				}
			}
		}
		if cards != 1 {
			t.Fatalf("%d cards posted, want 1", cards)
		}
		hist := h.sl.Calls("conversations.history")
		if len(hist) == 0 || hist[0].Fields["channel"] != channel || hist[0].Fields["include_all_metadata"] != "1" {
			t.Fatalf("the card was not looked up: %+v", hist)
		}
		if _, err := d.Store.Card(ctx, slack.Platform, o.Request.ID); err != nil {
			t.Fatalf("the card is not recorded after the retry: %v", err)
		}
	})
}
