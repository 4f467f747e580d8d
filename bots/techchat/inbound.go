package techchat

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/relaydesk/relaydesk/core"
)

// NoteMarkers start a thread message that must stay a private note.
var NoteMarkers = []string{"!note", "//"}

// ThreadMessage is a message a person wrote in a thread (or an edit of
// one), as the platform received it.
type ThreadMessage struct {
	Thread string // the thread's address (core.Card.Thread)
	User   string // its author, on the platform
	Text   string
	Files  []Attachment
	// ID is the message's ID on the platform (Slack's ts, Discord's
	// message ID): relaydesk records which message it was stored as, so
	// that its edits and deletion find it.
	ID string
	// Key keys the engine action of its text; for an edit, the edit's own
	// key (the message's and the edit's version).
	Key core.Idempotency
	// Edit marks an edit of message ID, which was posted with key Posted:
	// the message relaydesk stored is edited (core.Engine.EditMessage).
	Edit   bool
	Posted core.Idempotency
	// Note keeps it a private note whatever the thread rule says: words
	// relaydesk does not know how to pass on.
	Note bool
	// Emphasis shows it emphasised ("_text_"), as the platform does a
	// /me message.
	Emphasis bool
}

// Attachment is a file shared with a thread message.
type Attachment struct {
	Name string
	Size int64 // as the platform declares it
	Key  core.Idempotency
	// Body is its bytes, fetched when first read: the engine reads them
	// only once the name and declared size passed the company's policy.
	// Close ends the download and reports whether it failed.
	Body io.ReadCloser
}

// ThreadMessage relays a message written in a card's thread, with its
// files: to the customer when its author is the owner or an invited
// colleague in the live chat and it has no note marker, else as a private
// note; the engine decides in one transaction (core.Engine.ReplyInThread).
// The keys make a delivery handled twice change nothing. told is what the
// author alone must read (not linked, a refused file or message); a
// message in no card's thread is ignored.
func (c *Chat) ThreadMessage(ctx context.Context, m ThreadMessage) (told []string, err error) {
	reqID, ok, err := c.ThreadRequest(ctx, m.Thread)
	if err != nil || !ok {
		return nil, err
	}
	t, ok, err := c.Technician(ctx, m.User)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []string{c.Unlinked() + " Your message was not passed on."}, nil
	}
	by := core.TechnicianActor(t.ID)
	body, note := strings.TrimSpace(m.Text), m.Note
	for _, mk := range NoteMarkers {
		if rest, ok := strings.CutPrefix(body, mk); ok {
			body, note = strings.TrimSpace(rest), true
			break
		}
	}
	for _, f := range m.Files {
		_, _, err := c.eng.AttachInThread(ctx, by, reqID, core.Upload{Name: f.Name, Body: f.Body, Size: f.Size, Key: f.Key}, note)
		if derr := f.Body.Close(); derr != nil {
			return told, fmt.Errorf("download %s file %s: %w", c.cfg.Title, f.Key.ExternalID, derr) // the platform delivers it again
		}
		msg, err := Refusal(err)
		if msg != "" {
			told = append(told, fmt.Sprintf("The file %s was not passed on. %s", f.Name, msg))
		}
		if err != nil {
			return told, err
		}
	}
	if body == "" {
		return told, nil
	}
	if m.Emphasis {
		body = "_" + body + "_"
	}
	key := m.Key
	if m.Edit {
		found, edTold, err := c.edit(ctx, by, m, body)
		if found || err != nil {
			return append(told, edTold...), err
		}
		// The message was never stored (refused, or written before its
		// author was linked): the edit is passed on as it, under the key
		// it was posted with, so that later edits find it.
		if m.Posted.ExternalID != "" {
			key = m.Posted
		}
	}
	msg, err := c.eng.ReplyInThread(ctx, by, reqID, core.Reply{Body: body, Private: note, Key: key})
	if err == nil {
		err = c.origin(ctx, m, msg)
	}
	refusal, err := Refusal(err)
	if refusal != "" {
		told = append(told, refusal+" Your message was not passed on.")
	}
	return told, err
}

// Press applies a button pressed by user: action on request requestID. It
// returns what the presser alone reads: why it was refused or, for a
// button of a /support list answer (inList), that it was done; "" when
// the card, edited through the dispatcher as for any change, says it.
func (c *Chat) Press(ctx context.Context, user, action, requestID string, inList bool) (string, error) {
	t, ok, err := c.Technician(ctx, user)
	if err != nil {
		return "", err
	}
	if !ok {
		return c.Unlinked(), nil
	}
	act, err := core.ParseAction(action)
	if err != nil {
		err = core.Errorf(core.CodeInvalid, "this button (%s) is not relaydesk's", action)
	} else {
		_, err = c.eng.Act(ctx, core.TechnicianActor(t.ID), requestID, act, core.ActionArgs{})
	}
	if msg, err := Refusal(err); msg != "" || err != nil {
		return msg, err
	}
	if inList {
		return fmt.Sprintf("Done: %s.", strings.ToLower(act.Label())), nil
	}
	return "", nil
}
