package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/markup"
)

// Bot API limits: text per message, photo and upload sizes.
const (
	maxText     = 4096 // UTF-16 code units
	maxPhoto    = 10 << 20
	maxUpload   = 50 << 20
	sendTimeout = 5 * time.Minute
)

// shown lists the events a Telegram customer is told of. Notes, assignment
// and the opening of the request are not among them.
var shown = map[core.EventType]bool{
	core.EventMessage: true, core.EventFile: true, core.EventJoined: true, core.EventInvited: true,
	core.EventCustomerJoined: true, core.EventCustomerLeft: true, core.EventTechnicianLeft: true, core.EventEnded: true, core.EventClosed: true,
	core.EventTransferred: true, core.EventUnassigned: true, core.EventScreenShareAsked: true, core.EventCallStarted: true,
	core.EventSystemInfoAsked: true, core.EventEdited: true, core.EventWithdrawn: true,
}

// recipient is a customer of the request who is reached on Telegram.
type recipient struct {
	p    core.Participant
	chat int64
}

// Wants reports whether an event may reach a Telegram customer: one
// customers see, in a request with a customer who writes from Telegram.
func (a *Adapter) Wants(ctx context.Context, ev core.Event) (bool, error) {
	if !shown[ev.Type] || ev.Audience == core.AudienceTechnicians {
		return false, nil
	}
	ps, err := a.store.Participants(ctx, ev.RequestID)
	if err != nil {
		return true, err
	}
	for _, p := range ps {
		if p.Role != core.RoleCustomer {
			continue
		}
		if _, ok, err := a.chatOf(ctx, p.SubjectID); ok || err != nil {
			return true, err
		}
	}
	return false, nil
}

// Deliver sends ev to every customer of its request who came from Telegram
// and may see it: never a note, never what a customer did themself (their
// own messages come from Telegram, Event.Data.Origin says so). A 429 asks
// the dispatcher to come back after retry_after; a customer who blocked the
// bot (403), or a message Telegram refuses (400), is recorded on the
// request for the technicians and given up.
func (a *Adapter) Deliver(ctx context.Context, d *dispatch.Delivery) error {
	ev := d.Event
	if !shown[ev.Type] || ev.Audience == core.AudienceTechnicians {
		return nil
	}
	ps, err := a.store.Participants(ctx, ev.RequestID)
	if err != nil {
		return err
	}
	var to []recipient
	for _, p := range ps {
		if p.Role != core.RoleCustomer || !ev.VisibleToCustomer(p.ID) {
			continue
		}
		if ev.Actor.Kind == core.ActorCustomer && ev.Actor.ID == p.ID {
			continue // their own message, file or leaving: never echoed
		}
		chat, ok, err := a.chatOf(ctx, p.SubjectID)
		if err != nil {
			return err
		} else if !ok {
			continue // not a Telegram customer
		}
		// An edit or a withdrawal reaches whatever the customer was sent
		// of the message (its copies), even after they left.
		if changes(ev.Type) {
			to = append(to, recipient{p, chat})
			continue
		}
		// The dispatcher may run behind: what happened in the request
		// before the customer came, or after they left, is not theirs.
		if in, err := a.present(ctx, ev, p.ID); err != nil {
			return err
		} else if in {
			to = append(to, recipient{p, chat})
		}
	}
	if len(to) == 0 {
		return nil
	}
	r, err := a.store.Request(ctx, ev.RequestID)
	if err != nil {
		return err
	}
	// A chat line is sent as it reads now: edited since, with its new
	// text; withdrawn since, not at all (deliverTo skips it).
	if ev, err = a.eng.Current(ctx, ev); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	var gaveUp []error
	for _, rc := range to {
		err := a.deliverTo(ctx, d, ev.ForCustomer(), r, rc)
		if err == nil {
			continue
		}
		// The client's errors name the URL, which holds the token: it goes
		// before the error reaches a log, a note or the delivery state.
		if d, ok := retryAfter(err); ok {
			return &dispatch.RetryAfterError{After: d, Err: a.redact(err)}
		}
		if !permanent(err) {
			return a.redact(err)
		}
		err = a.redact(err)
		if nerr := a.recordUndelivered(ctx, ev, r, rc, err); nerr != nil {
			return fmt.Errorf("%w (and recording it on the request failed: %v)", err, nerr)
		}
		gaveUp = append(gaveUp, &undelivered{who: rc.p.Name, err: err})
	}
	if len(gaveUp) > 0 {
		return &dispatch.PermanentError{Err: errors.Join(gaveUp...)}
	}
	return nil
}

// chatOf finds the Telegram chat of a customer: the chat's account link
// while this customer is its latest, else the chat remembered when the link
// moved on.
func (a *Adapter) chatOf(ctx context.Context, customerID string) (int64, bool, error) {
	var ext string
	id, err := a.store.IdentityOf(ctx, Platform, customerID)
	switch {
	case err == nil:
		ext = id.ExternalID
	case core.ErrorCode(err) != core.CodeNotFound:
		return 0, false, err
	default:
		v, err := a.store.CustomerChat(ctx, Platform, customerID)
		if core.ErrorCode(err) == core.CodeNotFound {
			return 0, false, nil
		} else if err != nil {
			return 0, false, err
		}
		ext = v
	}
	chat, err := strconv.ParseInt(ext, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("telegram chat %q of customer %s: %w", ext, customerID, err)
	}
	return chat, true, nil
}

// deliverTo renders one event for one customer.
func (a *Adapter) deliverTo(ctx context.Context, d *dispatch.Delivery, ev core.Event, r core.Request, rc recipient) error {
	lang := r.Source.Language
	tag := fmt.Sprintf("%s/%d", ev.Pos, rc.chat)
	switch ev.Type {
	case core.EventMessage:
		if ev.Data.Withdrawn {
			return nil
		}
		// The body is neutral Markdown: it goes as text and entities.
		return a.send(ctx, d, tag, rc.chat, message(ev), nil, a.copyOf(ev, rc.chat))
	case core.EventFile:
		if ev.Data.Withdrawn || ev.Data.File == nil {
			return nil
		}
		return a.sendFile(ctx, d, tag, ev, rc, lang)
	case core.EventEdited:
		return a.relayEdit(ctx, d, ev, rc.chat, lang)
	case core.EventWithdrawn:
		return a.withdraw(ctx, d, ev, rc.chat, lang)
	case core.EventScreenShareAsked, core.EventCallStarted:
		if d.Sent(tag) {
			return nil
		}
		text, _ := bots.Notice(ev, lang)
		label := "shareButton"
		if ev.Type == core.EventCallStarted {
			label = "callButton"
		}
		button, err := a.webButton(ctx, r, rc.p, lang, label, &text)
		if err != nil {
			return err
		}
		return a.sendText(ctx, d, tag, rc.chat, text, button)
	}
	text, ok := bots.Notice(ev, lang)
	if !ok {
		return nil
	}
	return a.sendText(ctx, d, tag, rc.chat, text, nil)
}

// webButton opens this customer's request in the company's web portal,
// where screens are shared and calls taken: the link carries a web token of the
// customer's own, in the fragment, which browsers never send to a server
// (nor to its logs). Telegram accepts only https links in buttons: without
// one the link goes into the text.
func (a *Adapter) webButton(ctx context.Context, r core.Request, p core.Participant, lang, label string, text *string) (models.ReplyMarkup, error) {
	if a.cfg.PublicURL == "" {
		return nil, nil
	}
	co, err := a.store.Company(ctx, r.CompanyID)
	if err != nil {
		return nil, err
	}
	token, err := a.eng.WebToken(ctx, p.ID)
	if core.ErrorCode(err) == core.CodeInvalidState {
		return nil, nil // the request is over: the notice alone
	} else if err != nil {
		return nil, err
	}
	link := a.cfg.PublicURL + "/c/" + co.Slug + "#token=" + token
	if !strings.HasPrefix(link, "https://") {
		*text += "\n\n" + link
		return nil, nil
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: texts.Text(lang, label), URL: link}}}}, nil
}

// sendFile sends a technician's file with the bytes relaydesk stored,
// read as the customer it is addressed to.
func (a *Adapter) sendFile(ctx context.Context, d *dispatch.Delivery, tag string, ev core.Event, rc recipient, lang string) error {
	if d.Sent(tag) {
		return nil
	}
	f, rc2, err := a.eng.OpenFile(ctx, core.CustomerActor(rc.p.ID), ev.Data.File.ID)
	if err != nil {
		if core.ErrorCode(err) == core.CodeNotFound {
			return &gone{err}
		}
		return err
	}
	defer rc2.Close()
	who := ev.Data.ActorName
	// A file's message is its name, which is no markup.
	caption := fit(formatted(who, plainDoc(f.Name)), maxCaption)
	upload := &models.InputFileUpload{Filename: f.Name, Data: rc2}
	switch {
	case f.Size > maxUpload:
		text := texts.Text(lang, "fileTooBigToSend", who, f.Name, core.FormatBytes(f.Size))
		return a.send(ctx, d, tag, rc.chat, cut(piece{text: text}, maxText), nil, a.copyOf(ev, rc.chat))
	}
	if err := a.pace(ctx, d, rc.chat); err != nil {
		return err
	}
	var m *models.Message
	switch {
	case (f.ContentType == "image/jpeg" || f.ContentType == "image/png") && f.Size <= maxPhoto:
		m, err = a.bot.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: rc.chat, Photo: upload, Caption: caption.text, CaptionEntities: caption.ents})
	default:
		m, err = a.bot.SendDocument(ctx, &bot.SendDocumentParams{ChatID: rc.chat, Document: upload, Caption: caption.text, CaptionEntities: caption.ents})
	}
	if err != nil {
		return err
	}
	d.MarkSent(tag)
	a.keep(ctx, a.copyOf(ev, rc.chat), 0, m)
	return nil
}

// sendText sends plain text (a notice, an answer) in as many messages as
// Telegram's limit needs, kb on the last.
func (a *Adapter) sendText(ctx context.Context, d *dispatch.Delivery, tag string, chat int64, text string, kb models.ReplyMarkup) error {
	return a.send(ctx, d, tag, chat, cut(piece{text: text}, maxText), kb, nil)
}

// message is how a chat line reads in Telegram: its author's name, then
// its body, neutral Markdown, as text and entities, in as many pieces as
// Telegram's limit needs.
func message(ev core.Event) []piece {
	return cut(formatted(ev.Data.ActorName, markup.Parse(ev.Data.Body)), maxText)
}

// send sends pieces as messages, kb on the last. As part of a delivery d,
// pieces sent before a failure are not sent again when the same event is
// retried; d is nil for answers to what a customer just did. For a chat
// line, line is the copy of the first piece, its platform ID to be filled
// in: each piece sent is recorded (keep), from part line.Part on.
func (a *Adapter) send(ctx context.Context, d *dispatch.Delivery, tag string, chat int64, pieces []piece, kb models.ReplyMarkup, line *core.Copy) error {
	for i, p := range pieces {
		key := fmt.Sprintf("%s#%d", tag, i)
		if d != nil && d.Sent(key) {
			continue
		}
		if err := a.pace(ctx, d, chat); err != nil {
			return err
		}
		params := &bot.SendMessageParams{ChatID: chat, Text: p.text, Entities: p.ents}
		if i == len(pieces)-1 && kb != nil {
			params.ReplyMarkup = kb
		}
		m, err := a.bot.SendMessage(ctx, params)
		if err != nil {
			return err
		}
		if d != nil {
			d.MarkSent(key)
		}
		a.keep(ctx, line, i, m)
	}
	return nil
}

// undelivered says, for people, why a customer was not reached: it is the
// reason shown beside the message in the console.
type undelivered struct {
	who string
	err error
}

func (u *undelivered) Error() string {
	var g *gone
	switch {
	case errors.Is(u.err, bot.ErrorForbidden):
		return fmt.Sprintf("Telegram: %s blocked the bot or deleted the chat", u.who)
	case errors.As(u.err, &g):
		return "Telegram: the file is gone"
	}
	return fmt.Sprintf("Telegram refused the message to %s: %v", u.who, u.err)
}

func (u *undelivered) Unwrap() error { return u.err }

// gone is a file that no longer exists to send.
type gone struct{ err error }

func (g *gone) Error() string { return "the file is gone: " + g.err.Error() }
func (g *gone) Unwrap() error { return g.err }

// permanent reports whether sending can never succeed: the customer
// blocked the bot or deleted the chat (403), Telegram refuses the message
// as it is (400), or the file is gone.
func permanent(err error) bool {
	var m *bot.MigrateError
	var g *gone
	return errors.Is(err, bot.ErrorForbidden) || errors.Is(err, bot.ErrorBadRequest) || errors.As(err, &m) || errors.As(err, &g)
}

// recordUndelivered tells the technicians, in a note on the request, that a
// customer could not be reached. A blocked bot is noted once per customer
// and request; any other refusal once per event.
func (a *Adapter) recordUndelivered(ctx context.Context, ev core.Event, r core.Request, rc recipient, err error) error {
	var body string
	var key core.Idempotency
	if errors.Is(err, bot.ErrorForbidden) {
		body = fmt.Sprintf("Telegram: %s blocked the bot or deleted the chat, so nothing more reaches them on Telegram (%v).", rc.p.Name, err)
		key = core.Idempotency{Source: Platform, ExternalID: "undelivered:blocked:" + rc.p.ID}
	} else {
		body = fmt.Sprintf("Telegram did not deliver a %s event to %s: %v", ev.Type, rc.p.Name, err)
		key = core.Idempotency{Source: Platform, ExternalID: fmt.Sprintf("undelivered:%s:%s", ev.Pos, rc.p.ID)}
	}
	_, nerr := a.eng.AddSystemNote(context.WithoutCancel(ctx), r.ID, body, key)
	return nerr
}

// presence is when the customers of one request came and went, by rseq,
// as far as its events were read.
type presence struct {
	read   int64
	joined map[string]int64 // participant ID: rseq of their created or customer.joined event
	left   map[string]int64 // participant ID: rseq of their customer.left event
}

// present reports whether customer participant pid took part in ev's
// request when ev happened: it came after they joined and before they left.
func (a *Adapter) present(ctx context.Context, ev core.Event, pid string) (bool, error) {
	a.presMu.Lock()
	defer a.presMu.Unlock()
	pr := a.pres[ev.RequestID]
	if pr == nil {
		if len(a.pres) >= 1000 { // requests long done fall out; they are read again if needed
			clear(a.pres)
		}
		pr = &presence{joined: map[string]int64{}, left: map[string]int64{}}
		a.pres[ev.RequestID] = pr
	}
	for pr.read < ev.RSeq {
		evs, err := a.store.RequestEvents(ctx, ev.RequestID, pr.read, 500)
		if err != nil {
			return false, err
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			switch p := e.Data.ParticipantID; {
			case p == "":
			case e.Type == core.EventCreated || e.Type == core.EventCustomerJoined:
				pr.joined[p] = e.RSeq
			case e.Type == core.EventCustomerLeft:
				pr.left[p] = e.RSeq
			}
			pr.read = e.RSeq
		}
	}
	joined, ok := pr.joined[pid]
	left := pr.left[pid]
	return ok && joined < ev.RSeq && (left == 0 || ev.RSeq < left), nil
}
