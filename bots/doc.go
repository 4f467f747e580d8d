// Package bots is what relaydesk's chat platform adapters share: the
// contract each one keeps, the two small services they need from the store,
// and the sentences customer-facing adapters show for a request's events.
//
// An adapter is one package per platform (bots/telegram for customers,
// bots/slack and bots/discord for technicians), and an Adapter. What the
// technician platforms do alike (cards, threads, /support, buttons, DMs)
// is written once, in bots/techchat, over a small per-platform interface. It has two
// halves:
//
//   - Inbound, platform to engine: every platform event becomes engine
//     actions that carry the event's platform ID (a Telegram update_id, a
//     Slack event_id) as their core.Idempotency key, so that a delivery the
//     platform retries, or one processed again after a crash, changes
//     nothing. A refusal of the engine (a *core.Error) is answered on the
//     platform in words and changes nothing else; anything else is retried.
//   - Outbound, engine to platform: the adapter is a dispatch.Destination.
//     The dispatcher hands it every event of the log in order, at least
//     once; the adapter renders those its users may see, never echoes what
//     came from its own platform, answers a rate limit with
//     dispatch.RetryAfterError and what can never be delivered with
//     dispatch.PermanentError.
//
// Constructors do no I/O. Run(ctx) connects (long polling, a gateway, a
// webhook registration) until ctx ends. Webhook handlers are handed to the
// web server through Mount(func(pattern string, h http.Handler)), so web never
// imports an adapter. A connection a platform allows only once per bot is
// held by one process at a time through a Leader.
package bots

import (
	"context"
	"net/http"

	"github.com/relaydesk/relaydesk/core/dispatch"
)

// Adapter is a chat platform as relaydesk runs it: a dispatch destination
// for the events its users see, webhook endpoints mounted on the web
// server, and a connection kept open until ctx ends.
type Adapter interface {
	dispatch.Destination
	Mount(mount func(pattern string, h http.Handler))
	Run(ctx context.Context) error
}

// Leader runs fn while this process is the only one doing so under name,
// among all processes sharing the database (sqlstore.Store.Lead).
type Leader interface {
	Lead(ctx context.Context, name string, fn func(ctx context.Context) error) error
}

// State keeps an adapter's cursors across restarts, such as the last
// platform update it processed (sqlstore.Store's bot_state): only cursors.
// What an adapter knows of the desk (cards, notification settings, link
// codes, chats) has typed store methods of its own. A missing name is a
// *core.Error with CodeNotFound.
type State interface {
	BotState(ctx context.Context, name string) (string, error)
	SetBotState(ctx context.Context, name, value string) error
}
