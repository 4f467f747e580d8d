package techchat

import (
	"context"
	"io"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/markup"
)

// Platform is what a technician chat platform does for Chat: its calls,
// each paced within the platform's rate limits. An error is the
// platform's own; Config.Failure classifies it for the dispatcher.
type Platform interface {
	// PostCard posts r's card into channel and returns where it is
	// (Channel and Message). It marks the card as relaydesk's, so that
	// FindCard can find it again.
	PostCard(ctx context.Context, channel string, r core.Request) (core.Card, error)
	// FindCard looks among channel's recent messages (posted since about
	// since) for the card of request requestID: a card posted but not
	// recorded. A history the platform will not show counts as not found.
	FindCard(ctx context.Context, channel, requestID string, since time.Time) (core.Card, bool, error)
	// EditCard shows r as it is now on its card c.
	EditCard(ctx context.Context, c core.Card, r core.Request) error
	// StartThread starts c's thread, if the platform needs a call for it,
	// and returns its address (core.Card.Thread).
	StartThread(ctx context.Context, c core.Card, r core.Request) (string, error)
	// PostLine posts text into c's thread and returns the posted
	// message's ID on the platform (Slack's ts, Discord's message ID).
	PostLine(ctx context.Context, c core.Card, text string) (string, error)
	// EditLine shows text instead in the line id posted into c's thread.
	EditLine(ctx context.Context, c core.Card, id, text string) error
	// UploadFile puts the file f into c's thread with comment. uploaded is
	// false when the platform refused it for good (the link is posted
	// instead); an error is worth retrying.
	UploadFile(ctx context.Context, c core.Card, f core.File, body io.Reader, comment string) (uploaded bool, err error)
	// DM sends text to user in their direct conversation with the bot.
	DM(ctx context.Context, user, text string) error
}

// Markup is how a platform formats the lines Chat writes.
type Markup struct {
	Bold   func(s string) string
	Escape func(s string) string // keeps s from the platform's markup
	// Body renders a message's body (relaydesk's one message format,
	// core/markup) in the platform's markup, so that what a person wrote
	// bold shows bold. Optional: without it a body shows as escaped plain
	// text.
	Body    func(doc markup.Doc) string
	Link    func(url, text string) string
	Channel func(id string) string // a mention of a channel
	Lock    string                 // the padlock of private lines
	// Italic marks a line's small print ("(edited)"). Optional: without it
	// the words show as they are.
	Italic func(s string) string
}
