package techchat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/markup"
)

// Edits and withdrawals in a card's thread. Each message a technician
// writes there is recorded, once the engine stored it, as the origin copy
// of the relaydesk message (destination the platform, target the thread,
// platform ID its ts or ID), so that its edit or deletion finds it; one
// stored before copies were kept is found by the key it was posted with.
// Each line relaydesk posts with a message's body is recorded as a copy
// too, so that an edit or withdrawal made elsewhere (the widget, the
// console, Telegram, another platform) changes that line in place.

// origin records that the thread message m is relaydesk message msg.
// Recording it again, when the platform delivers m twice, changes nothing.
// The engine stored msg already: it is recorded even when the delivery is
// cancelled (the adapter stopping), so that its edits find it.
func (c *Chat) origin(ctx context.Context, m ThreadMessage, msg core.Message) error {
	if m.ID == "" || msg.ID == "" {
		return nil
	}
	err := c.store.SaveCopy(context.WithoutCancel(ctx), core.Copy{MessageID: msg.ID, Destination: c.cfg.Name, Target: m.Thread, PlatformID: m.ID,
		Origin: true, Version: max(msg.Version, 1), SentAt: time.Now().UTC()})
	if core.ErrorCode(err) == core.CodeConflict {
		c.log.Warn(c.cfg.Name+": a thread message is recorded as another message already; its edits will not be passed on",
			"thread", m.Thread, "id", m.ID, "message", msg.ID)
		return nil
	}
	return err
}

// find returns the relaydesk message the thread message id (posted with
// key posted) was stored as: false when relaydesk stored none, or only
// posted that line itself.
func (c *Chat) find(ctx context.Context, thread, id string, posted core.Idempotency) (core.Copy, bool, error) {
	cp, err := c.store.CopyAt(ctx, c.cfg.Name, thread, id)
	if err == nil {
		return cp, cp.Origin, nil
	} else if core.ErrorCode(err) != core.CodeNotFound {
		return cp, false, err
	}
	if posted.ExternalID == "" {
		return cp, false, nil
	}
	msgID, err := c.store.Inbound(ctx, posted)
	if errors.Is(err, core.ErrNotFound) || core.ErrorCode(err) == core.CodeNotFound {
		return cp, false, nil
	} else if err != nil {
		return cp, false, err
	}
	return core.Copy{MessageID: msgID, Destination: c.cfg.Name, Target: thread, PlatformID: id, Origin: true}, true, nil
}

// edit applies the edit m of a thread message, its new text body, as its
// author by: found is false when relaydesk stored no message for it. An
// edit keeps the message's audience: a note stays a note, a reply the
// customer has stays theirs.
func (c *Chat) edit(ctx context.Context, by core.Actor, m ThreadMessage, body string) (found bool, told []string, err error) {
	cp, found, err := c.find(ctx, m.Thread, m.ID, m.Posted)
	if err != nil || !found {
		return false, nil, err
	}
	got, err := c.eng.EditMessage(ctx, by, cp.MessageID, core.Edit{Body: body, Key: m.Key})
	switch core.ErrorCode(err) {
	case "":
		if got.Version > cp.Version {
			return true, nil, c.origin(ctx, m, got)
		}
		return true, nil, nil
	case core.CodeNotFound:
		return true, nil, nil
	case core.CodeConflict:
		return true, nil, err // sustained contention: the platform delivers it again
	}
	refusal, err := Refusal(err)
	if refusal != "" {
		told = append(told, refusal+" Your edit was not passed on.")
	}
	return true, told, err
}

// Deletion is a message deleted from a card's thread.
type Deletion struct {
	Thread string // the thread's address (core.Card.Thread)
	ID     string // the deleted message's ID on the platform
	// Posted are the keys it and its files were posted with, for messages
	// stored before copies were kept.
	Posted []core.Idempotency
	// Key keys the withdrawals.
	Key core.Idempotency
}

// Withdraw withdraws what relaydesk stored of a message deleted from a
// card's thread, as its author: customers no longer read it, technicians
// keep it, marked withdrawn (core.Engine.WithdrawMessage). told is what
// the author alone must read when the engine refused (a reply in a closed
// request stays with the customer); a message relaydesk never stored, or
// only posted itself, is ignored.
func (c *Chat) Withdraw(ctx context.Context, d Deletion) (told []string, err error) {
	if _, ok, err := c.ThreadRequest(ctx, d.Thread); err != nil || !ok {
		return nil, err
	}
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	cp, ok, err := c.find(ctx, d.Thread, d.ID, core.Idempotency{})
	if err != nil {
		return nil, err
	} else if ok {
		add(cp.MessageID)
	}
	for _, k := range d.Posted {
		id, err := c.store.Inbound(ctx, k)
		if errors.Is(err, core.ErrNotFound) || core.ErrorCode(err) == core.CodeNotFound {
			continue // never stored (refused, or from an unlinked user)
		} else if err != nil {
			return nil, err
		}
		add(id)
	}
	for _, id := range ids {
		m, err := c.store.Message(ctx, id)
		if err != nil {
			return told, err
		}
		if m.AuthorKind != core.ActorTechnician {
			continue
		}
		key := core.Idempotency{Source: d.Key.Source, ExternalID: d.Key.ExternalID + ":" + id}
		_, err = c.eng.WithdrawMessage(ctx, core.TechnicianActor(m.AuthorID), id, key)
		switch core.ErrorCode(err) {
		case core.CodeNotFound:
			continue
		case core.CodeConflict:
			return told, err // sustained contention: the platform delivers it again
		}
		refusal, err := Refusal(err)
		if refusal != "" {
			if m.Audience != core.AudienceTechnicians {
				refusal += " The customer still has the message you deleted."
			}
			told = append(told, refusal)
		}
		if err != nil {
			return told, err
		}
	}
	return told, nil
}

// copyLine reports whether ev's line carries a message's body, which an
// edit or withdrawal changes in place: it is recorded as a copy.
func (c *Chat) copyLine(ev core.Event) bool {
	return (ev.Type == core.EventMessage || ev.Type == core.EventNote) && ev.Data.MessageID != "" && !c.fromHere(ev)
}

// saveLine records the line id posted for ev into card's thread. A line
// whose copy is lost is only not edited later: that is logged, not
// retried, as the line is there.
func (c *Chat) saveLine(ctx context.Context, ev core.Event, card core.Card, id string) {
	if id == "" || !c.copyLine(ev) {
		return
	}
	err := c.store.SaveCopy(context.WithoutCancel(ctx), core.Copy{MessageID: ev.Data.MessageID, Destination: c.cfg.Name,
		Target: card.Thread, PlatformID: id, Version: max(ev.Data.Version, 1), SentAt: time.Now().UTC()})
	if err != nil {
		c.log.Warn(c.cfg.Name+": cannot record a posted line; edits of its message will not change it",
			"request", ev.RequestID, "message", ev.Data.MessageID, "err", err)
	}
}

// change renders an edit or withdrawal (ev) by editing the lines posted
// for its message in the request's thread: an edited one reads as the
// message reads now, marked edited; a withdrawn one keeps its text for
// technicians, struck through and marked withdrawn. A line is never
// deleted. Lines the message's author wrote in the thread itself are
// theirs, not relaydesk's: nothing to edit there. A delivery run again
// skips lines that are current.
func (c *Chat) change(ctx context.Context, d *dispatch.Delivery) error {
	ev := d.Event
	card, err := c.store.Card(ctx, c.cfg.Name, ev.RequestID)
	if core.ErrorCode(err) == core.CodeNotFound {
		return nil
	} else if err != nil {
		return err
	}
	copies, err := c.store.Copies(ctx, ev.Data.MessageID, c.cfg.Name)
	if err != nil || len(copies) == 0 {
		return err
	}
	// The message as it reads now, text kept when withdrawn: technicians
	// read what was withdrawn.
	m, err := c.store.Message(ctx, ev.Data.MessageID)
	if err != nil {
		return err
	}
	for _, cp := range copies {
		if cp.Origin || cp.Target != card.Thread || card.Thread == "" {
			continue
		}
		part := "withdrawn:" + cp.PlatformID
		if (!m.Withdrawn() && cp.Version >= m.Version) || (m.Withdrawn() && d.Sent(part)) {
			continue
		}
		err := c.p.EditLine(ctx, card, cp.PlatformID, c.lineNow(m))
		if err != nil && c.cfg.Gone != nil && c.cfg.Gone(err) {
			c.log.Info(c.cfg.Name+": a line to edit was deleted from the thread; it stays so", "request", ev.RequestID,
				"message", m.ID, "line", cp.PlatformID)
			continue
		} else if err != nil {
			return err
		}
		if m.Withdrawn() {
			d.MarkSent(part)
			continue
		}
		cp.Version = m.Version
		if err := c.store.SaveCopy(ctx, cp); err != nil {
			return err
		}
		d.MarkSent("line:" + cp.PlatformID)
	}
	return nil
}

// lineNow is the line of message m as it reads now.
func (c *Chat) lineNow(m core.Message) string {
	ev := core.Event{Type: core.EventMessage, RequestID: m.RequestID, Actor: core.Actor{Kind: m.AuthorKind, ID: m.AuthorID},
		Audience: m.Audience, Data: core.EventData{MessageID: m.ID, ActorName: m.AuthorName, Body: m.Body}}
	if m.Audience == core.AudienceTechnicians {
		ev.Type = core.EventNote
	}
	if m.Withdrawn() {
		ev.Data.Withdrawn = true
		return c.line(ev) + " " + c.m.Italic(fmt.Sprintf("(withdrawn by %s)", c.m.Escape(m.AuthorName)))
	}
	if m.Edited() {
		return c.line(ev) + " " + c.m.Italic("(edited)")
	}
	return c.line(ev)
}

// struck is body struck through, line by line, as plain text: a withdrawn
// message technicians still read.
func struck(body string) markup.Doc {
	var in []markup.Inline
	for i, l := range strings.Split(markup.Plain(markup.Parse(body)), "\n") {
		if i > 0 {
			in = append(in, markup.Inline{Kind: markup.Break})
		}
		if strings.TrimSpace(l) != "" {
			in = append(in, markup.Inline{Kind: markup.Strike, Children: []markup.Inline{{Kind: markup.Text, Text: l}}})
		}
	}
	return markup.Doc{{Kind: markup.Paragraph, Inlines: in}}
}
