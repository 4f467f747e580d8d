package telegram

import (
	"context"
	"strconv"
	"time"

	"github.com/relaydesk/relaydesk/bots/pace"
	"github.com/relaydesk/relaydesk/core/dispatch"
)

// maxPaceWait is the longest a delivery waits in place for Telegram's
// budget; a longer wait parks the conversation instead.
const maxPaceWait = 500 * time.Millisecond

// global is the bot's budget for all its messages, split between the
// processes delivering to it.
func (a *Adapter) global() pace.Bucket {
	return pace.Bucket{Key: "global", Limit: pace.Limit{Rate: 28 * a.paceFactor(), Burst: 5, Shared: true}}
}

// paceFactor is Config.PaceFactor, 1 when unset.
func (a *Adapter) paceFactor() float64 {
	if a.cfg.PaceFactor <= 0 {
		return 1
	}
	return a.cfg.PaceFactor
}

// Room says how many messages this process may send now within its share
// of the bot's global budget: while other processes deliver too, the
// dispatcher claims no more chats than that and leaves the rest to them.
func (a *Adapter) Room() (int, time.Duration) { return a.pacer.Room(a.global()) }

// pace waits for the budgets a message to chat spends, from the Bot API
// FAQ ("My bot is hitting limits, how do I avoid this?"): about one message
// a second in a chat, no more than 20 a minute in a group (in any 60 seconds: one at once, then 18 a minute), about 30 a
// second in all. relaydesk keeps a little under each, so that jitter on the
// way never turns steady load into 429s.
// Outside a delivery (d is nil) it waits however long that takes.
func (a *Adapter) pace(ctx context.Context, d *dispatch.Delivery, chat int64) error {
	f := a.paceFactor()
	bs := []pace.Bucket{
		a.global(),
		{Key: "chat:" + strconv.FormatInt(chat, 10), Limit: pace.Limit{Rate: 0.95 * f, Burst: 2}},
	}
	if chat < 0 {
		bs = append(bs, pace.Bucket{Key: "group:" + strconv.FormatInt(chat, 10), Limit: pace.PerMinute(18*f, 1, false)})
	}
	if d == nil {
		return a.pacer.Block(ctx, bs...)
	}
	return a.pacer.Wait(ctx, bs...)
}
