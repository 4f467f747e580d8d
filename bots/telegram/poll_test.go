package telegram_test

import (
	"slices"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestEmptyPollsPaced runs the poller against a Bot API server that
// answers getUpdates at once instead of holding the call for the poll
// timeout (a misconfigured local Bot API server, an emulator). After an
// empty answer the poller waits out MinPollInterval before asking again,
// rather than spinning; an answer with updates is followed by the next
// call at once (with an hour's interval, a wait there would leave the test
// hanging), and stopping the adapter ends the wait.
func TestEmptyPollsPaced(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		t.Run("empty answers", func(t *testing.T) {
			const interval = 100 * time.Millisecond
			d := storetest.NewDesk(t, newStore(t))
			h := &harness{t: t, d: d, tg: telegramtest.New(t, token)}
			h.tg.AnswerAtOnce()
			h.start(h.adapter(options{minPoll: interval}))
			t.Cleanup(h.stop)
			const n = 6
			polls := h.tg.WaitPolls(t, "six getUpdates calls", func(p []telegramtest.Poll) bool { return len(p) >= n })
			h.stop()
			// n calls, each after an empty answer, span (n-1) intervals at
			// least; the poller measures from the start of its call, the
			// fake from its arrival, so allow one interval for that.
			if span := polls[n-1].At.Sub(polls[0].At); span < (n-2)*interval {
				t.Errorf("%d getUpdates calls answered at once with nothing came within %v, want them %v apart", n, span, interval)
			}
		})

		t.Run("updates", func(t *testing.T) {
			d := storetest.NewDesk(t, newStore(t))
			h := &harness{t: t, d: d, tg: telegramtest.New(t, token)}
			h.tg.AnswerAtOnce()
			h.tg.Push(t, fixture(t, "text.json", 7, map[string]any{"text": "My printer prints everything twice."}))
			h.start(h.adapter(options{minPoll: time.Hour}))
			t.Cleanup(h.stop)
			h.tg.WaitPolls(t, "the call that confirms update 7", func(p []telegramtest.Poll) bool {
				return slices.ContainsFunc(p, func(p telegramtest.Poll) bool { return p.Offset == 8 })
			})
			stopped := time.Now()
			h.stop() // the poller now waits the hour out: stopping must end that
			if took := time.Since(stopped); took > 10*time.Second {
				t.Errorf("stopping took %v", took)
			}
			polls := h.tg.Polls()
			if len(polls) != 2 || polls[0].Updates != 1 || polls[1].Updates != 0 {
				t.Errorf("getUpdates calls %+v, want the one with the update and one empty, then a wait", polls)
			}
			if got := h.bodies(h.conversation().Request.ID); !slices.Equal(got, []string{"My printer prints everything twice."}) {
				t.Errorf("chat lines %q", got)
			}
		})
	})
}
