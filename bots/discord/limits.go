package discord

import (
	"context"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots/pace"
	"github.com/relaydesk/relaydesk/core/dispatch"
)

// maxPaceWait is the longest a delivery waits in place for Discord's
// budget; a longer wait parks the conversation instead.
const maxPaceWait = 500 * time.Millisecond

// Routes relaydesk paces itself, beside the bot's global budget.
const (
	routeGlobal = ""
	routePost   = "post"   // POST /channels/{id}/messages
	routeEdit   = "edit"   // PATCH /channels/{id}/messages/{message}
	routeThread = "thread" // POST /channels/{id}/messages/{message}/threads
)

// pace waits for the budgets a REST call on route in channel spends: 50
// requests a second per bot (Discord's "Rate Limits" page), kept to 44
// with bursts of 2 (in any second at most 46, with room for jitter), and per channel (a thread is its own channel) the
// route's bucket. discordgo paces a message post per channel exactly, from
// the X-RateLimit headers of the answers before; edits and thread starts it
// keys by message, while Discord counts them per channel (about 5 edits in
// 5 s; thread starts are assumed 10 in 10 s), so relaydesk keeps those
// under one a second itself.
//
// A message post first waits out discordgo's own knowledge of the
// channel's bucket, so that the global token is taken when the call can
// leave: taken before, calls held by discordgo leave later in clumps.
func (a *Adapter) pace(ctx context.Context, route, channel string) error {
	if route == routePost && a.api.Ratelimiter != nil {
		rl := a.api.Ratelimiter
		if wait := rl.GetWaitTime(rl.GetBucket(discordgo.EndpointChannelMessages(channel)), 1); wait > maxPaceWait {
			return &dispatch.WaitError{After: wait, Reason: "discord channel bucket " + channel}
		} else if wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	f := a.cfg.PaceFactor
	bs := []pace.Bucket{{Key: "global", Limit: pace.Limit{Rate: 44 * f, Burst: 2, Shared: true}}}
	switch route {
	case routeEdit:
		bs = append(bs, pace.Bucket{Key: "edit:" + channel, Limit: pace.Limit{Rate: 0.9 * f, Burst: 1, Shared: true}})
	case routeThread:
		bs = append(bs, pace.Bucket{Key: "thread:" + channel, Limit: pace.Limit{Rate: 0.85 * f, Burst: 1, Shared: true}})
	}
	return a.pacer.Wait(ctx, bs...)
}
