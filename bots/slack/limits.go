package slack

import (
	"context"
	"time"

	"github.com/relaydesk/relaydesk/bots/pace"
)

// maxPaceWait is the longest a delivery waits in place for Slack's budget;
// a longer wait parks the conversation instead, so that one busy channel
// does not hold the slots other channels need. It is short: a conversation
// waiting in place holds the channel's next turn, and one that just came
// in would take it from those parked before it (served in the order they
// were parked).
const maxPaceWait = 50 * time.Millisecond

// Web API tiers, per method and workspace, in calls a minute (Slack's
// "Rate limits" page). relaydesk keeps under each, with small bursts, so
// that steady load never meets a 429.
var tierOf = map[string]float64{
	"chat.update": 50, "conversations.history": 50, "conversations.open": 50, "conversations.info": 50,
	"files.getUploadURLExternal": 100, "files.completeUploadExternal": 100, "users.info": 100,
}

// pace waits for the budgets a Web API call spends. chat.postMessage (and
// a file shared into a channel, which Slack posts there) is limited per
// channel, about one message a second with short bursts; other methods by
// their tier.
func (a *Adapter) pace(ctx context.Context, method, channel string) error {
	var bs []pace.Bucket
	f := a.cfg.PaceFactor
	if tier, ok := tierOf[method]; ok {
		bs = append(bs, pace.Bucket{Key: method, Limit: pace.PerMinute(tier*0.9*f, max(int(tier)/20, 1), true)})
	}
	if method == "chat.postMessage" || method == "files.completeUploadExternal" {
		bs = append(bs, pace.Bucket{Key: "post:" + channel, Limit: pace.Limit{Rate: 0.95 * f, Burst: 2, Shared: true}})
	}
	return a.pacer.Wait(ctx, bs...)
}
