package telegram

import (
	"bytes"
	"context"
	"errors"
	"strconv"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/markup"
)

// handle applies one update. Refusals are answered to the customer and are
// not errors; an error means "try this update again".
func (a *Adapter) handle(ctx context.Context, u *models.Update) error {
	in, ok := Parse(u)
	if !ok {
		return nil
	}
	switch {
	case in.Edited:
		return a.edit(ctx, in)
	case in.Kind == KindCommand:
		return a.command(ctx, in)
	case in.Kind == KindUnsupported:
		return a.reply(ctx, in, "unsupported")
	}
	// An update processed before (then a crash, or a webhook retry) finds
	// the engine changed by itself: look up what it did, by its keys,
	// rather than decide anew.
	opened, err := a.applied(ctx, in, "open")
	if err != nil {
		return err
	}
	if in.Kind == KindFile {
		return a.file(ctx, in, opened)
	}
	if posted, err := a.applied(ctx, in, "msg"); err != nil {
		return err
	} else if posted {
		return a.originOf(ctx, in, "msg")
	}
	var conv *core.Conversation
	if !opened {
		if conv, err = a.conversation(ctx, in.Chat); err != nil {
			return err
		}
	}
	if conv != nil && conv.Open() {
		m, err := a.eng.PostMessage(ctx, core.CustomerActor(conv.Participant.ID), conv.Request.ID,
			core.Post{Body: in.Text, Key: a.key(in, "msg")})
		if err == nil {
			return a.origin(ctx, in, m.ID, m.Version)
		}
		if core.ErrorCode(err) != core.CodeInvalidState {
			return a.refused(ctx, in, "refused", err)
		}
		// Closed or left a moment ago: the message opens a new request.
		if conv, err = a.conversation(ctx, in.Chat); err != nil {
			return err
		}
	}
	o, err := a.open(ctx, in, conv, in.Text)
	if o == nil || err != nil {
		return err
	}
	return a.opening(ctx, in, o)
}

// applied reports whether the engine action part of this update was
// applied already.
func (a *Adapter) applied(ctx context.Context, in Inbound, part string) (bool, error) {
	_, err := a.store.Inbound(ctx, a.key(in, part))
	if core.ErrorCode(err) == core.CodeNotFound {
		return false, nil
	}
	return err == nil, err
}

// conversation returns the chat's latest request, or nil if it has none.
func (a *Adapter) conversation(ctx context.Context, chat int64) (*core.Conversation, error) {
	c, err := a.eng.ConversationOf(ctx, Platform, strconv.FormatInt(chat, 10))
	if core.ErrorCode(err) == core.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// open opens a new request with body as its first message and tells the
// customer its number. It returns nil when it could not (no company, a
// refusal): the customer was told why.
func (a *Adapter) open(ctx context.Context, in Inbound, prev *core.Conversation, body string) (*core.Opened, error) {
	co, ok, err := a.company(ctx, in.Chat, prev)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, a.reply(ctx, in, "chooseCompany")
	}
	if err := a.moveOn(ctx, in.Chat, prev); err != nil {
		return nil, err
	}
	o, err := a.eng.OpenRequest(ctx, core.OpenRequest{CompanyID: co.ID, Name: in.Name, Message: body,
		Source: source(in), EmailOptional: true, Identity: a.identity(in.Chat), Key: a.key(in, "open")})
	if err != nil {
		return nil, a.refused(ctx, in, "refused", err)
	}
	switch {
	case prev != nil && prev.Request.Status == core.StatusCompleted:
		err = a.reply(ctx, in, "openedAfterClosed", prev.Request.Number, o.Request.Number)
	case prev != nil && !prev.Participant.Active():
		err = a.reply(ctx, in, "openedAfterLeft", prev.Request.Number, o.Request.Number)
	default:
		err = a.reply(ctx, in, "opened", o.Request.Number, o.Request.CompanyName)
	}
	return &o, err
}

// file relays a photo or document: checked against Telegram's download
// limit and the company's policy before anything is stored, so a refused
// file changes nothing, not even by opening a request for it. opened tells
// that this update, processed before, opened a request already.
func (a *Adapter) file(ctx context.Context, in Inbound, opened bool) error {
	if in.File.Size > maxDownload {
		return a.reply(ctx, in, "tooBigForTelegram", core.FormatBytes(in.File.Size))
	}
	if attached, err := a.applied(ctx, in, "file"); err != nil {
		return err
	} else if attached {
		return a.caption(ctx, in, opened)
	}
	var conv *core.Conversation
	if !opened {
		var err error
		if conv, err = a.conversation(ctx, in.Chat); err != nil {
			return err
		}
	}
	open := conv != nil && conv.Open()
	var co core.Company
	if open {
		c, err := a.store.Company(ctx, conv.Request.CompanyID)
		if err != nil {
			return err
		}
		co = c
	} else {
		c, ok, err := a.company(ctx, in.Chat, conv)
		if err != nil {
			return err
		}
		if !ok {
			return a.reply(ctx, in, "chooseCompany")
		}
		co = c
	}
	pol := co.Policy()
	name, err := pol.CheckName(in.File.Name)
	if err != nil {
		return a.refused(ctx, in, "fileRefused", err)
	}
	if in.File.Size > pol.MaxBytes {
		return a.refused(ctx, in, "fileRefused", core.Errorf(core.CodeTooLarge,
			"the file is larger than this company's limit of %s", core.FormatBytes(pol.MaxBytes)))
	}
	data, err := a.download(ctx, in.File.ID, maxDownload)
	switch {
	case errors.Is(err, errTooBig):
		return a.reply(ctx, in, "tooBigForTelegram", core.FormatBytes(max(in.File.Size, maxDownload+1)))
	case errors.Is(err, bot.ErrorBadRequest):
		// Telegram will not hand the file out (too big, or gone).
		return a.reply(ctx, in, "tooBigForTelegram", core.FormatBytes(max(in.File.Size, maxDownload+1)))
	case err != nil:
		return err
	}
	if int64(len(data)) > pol.MaxBytes {
		return a.refused(ctx, in, "fileRefused", core.Errorf(core.CodeTooLarge,
			"the file is larger than this company's limit of %s", core.FormatBytes(pol.MaxBytes)))
	}
	if len(data) == 0 {
		return a.refused(ctx, in, "fileRefused", core.Errorf(core.CodeInvalid, "the file %q is empty", name))
	}
	if _, err := core.CheckContent(name, data[:min(len(data), core.SniffLen)]); err != nil {
		return a.refused(ctx, in, "fileRefused", err)
	}

	var by core.Actor
	var requestID string
	if open {
		by, requestID = core.CustomerActor(conv.Participant.ID), conv.Request.ID
	} else {
		// The caption, or the file's name, is the request's first message;
		// a request opened by this update before is found again by its key.
		body := in.Text
		if body == "" {
			body = markup.EscapeText("[" + name + "]")
		}
		o, err := a.open(ctx, in, conv, body)
		if o == nil || err != nil {
			return err
		}
		by, requestID, opened = core.CustomerActor(o.Participant.ID), o.Request.ID, true
	}
	_, _, err = a.eng.AttachFile(ctx, by, requestID, core.Upload{Name: name, Body: bytes.NewReader(data),
		Size: int64(len(data)), Key: a.key(in, "file")})
	if err != nil {
		return a.refused(ctx, in, "fileRefused", err)
	}
	return a.caption(ctx, in, opened)
}

// caption posts a file's caption after the file into the request the file
// went to, unless the caption opened that request (opened). The Telegram
// message is recorded as the origin copy of its text, the caption, which
// its edits change: the caption's message, or the request's first; a file
// without a caption, of the file's message, which is not edited.
func (a *Adapter) caption(ctx context.Context, in Inbound, opened bool) error {
	if done, err := a.applied(ctx, in, "caption"); err != nil {
		return err
	} else if done {
		return a.originOf(ctx, in, "caption")
	}
	m, err := a.store.Inbound(ctx, a.key(in, "file"))
	if err != nil {
		return err
	}
	msg, err := a.store.Message(ctx, m)
	if err != nil {
		return err
	}
	switch {
	case in.Text == "":
		return a.origin(ctx, in, msg.ID, msg.Version)
	case opened:
		return a.openingOf(ctx, in, msg.RequestID)
	}
	posted, err := a.eng.PostMessage(ctx, core.Actor{Kind: msg.AuthorKind, ID: msg.AuthorID}, msg.RequestID,
		core.Post{Body: in.Text, Key: a.key(in, "caption")})
	if err != nil {
		return a.refused(ctx, in, "refused", err)
	}
	return a.origin(ctx, in, posted.ID, posted.Version)
}

// command answers /start, /new, /status, /leave, /help and unknown ones.
func (a *Adapter) command(ctx context.Context, in Inbound) error {
	switch in.Command {
	case "start":
		return a.start(ctx, in)
	case "help":
		return a.reply(ctx, in, "help")
	}
	conv, err := a.conversation(ctx, in.Chat)
	if err != nil {
		return err
	}
	open := conv != nil && conv.Open()
	switch in.Command {
	case "new":
		if opened, err := a.applied(ctx, in, "open"); err != nil {
			return err
		} else if opened {
			conv = nil // this /new opened the request before: say so again
		}
		switch {
		case in.Text != "" && (conv == nil || !conv.Open()):
			_, err := a.open(ctx, in, conv, in.Text)
			return err
		case open && conv != nil:
			return a.reply(ctx, in, "newWhileOpen", conv.Request.Number)
		}
		return a.reply(ctx, in, "newPrompt")
	case "status":
		if !open {
			return a.reply(ctx, in, "none")
		}
		r := conv.Request
		switch {
		case r.Status == core.StatusNew:
			return a.reply(ctx, in, "statusNew", r.Number, r.CompanyName)
		case r.Chat == core.ChatLive:
			return a.reply(ctx, in, "statusLive", r.Number, r.CompanyName, r.OwnerName)
		case r.Chat == core.ChatEnded:
			return a.reply(ctx, in, "statusEnded", r.Number, r.CompanyName)
		}
		return a.reply(ctx, in, "statusAssigned", r.Number, r.CompanyName, r.OwnerName)
	case "leave":
		if !open {
			return a.reply(ctx, in, "none")
		}
		err := a.eng.Leave(ctx, core.CustomerActor(conv.Participant.ID))
		if core.ErrorCode(err) == core.CodeInvalidState {
			return a.reply(ctx, in, "none") // left already: the same update, again
		} else if err != nil {
			return a.refused(ctx, in, "refused", err)
		}
		return a.reply(ctx, in, "left", conv.Request.Number)
	}
	return a.replyText(ctx, in, texts.Text(in.Lang, "unknownCommand", in.Command)+"\n\n"+texts.Text(in.Lang, "help"))
}

// start greets the customer. Its deep-link payload (t.me/<bot>?start=...)
// is a company's slug, which the chat then belongs to, or a technician's
// invite code, which joins the customer to that session.
func (a *Adapter) start(ctx context.Context, in Inbound) error {
	if in.Args != "" {
		co, err := a.store.CompanyBySlug(ctx, in.Args)
		switch {
		case err == nil:
			if err := a.store.SetChatCompany(ctx, Platform, a.botID, chatID(in.Chat), co.ID); err != nil {
				return err
			}
			return a.greet(ctx, in, co)
		case core.ErrorCode(err) != core.CodeNotFound:
			return err
		}
		return a.join(ctx, in)
	}
	conv, err := a.conversation(ctx, in.Chat)
	if err != nil {
		return err
	}
	co, ok, err := a.company(ctx, in.Chat, conv)
	if err != nil {
		return err
	}
	if !ok {
		return a.reply(ctx, in, "chooseCompany")
	}
	if conv != nil && conv.Open() {
		return a.replyText(ctx, in, texts.Text(in.Lang, "greeting", in.Name, co.Name)+"\n\n"+
			texts.Text(in.Lang, "stillOpen", conv.Request.Number))
	}
	return a.greet(ctx, in, co)
}

func (a *Adapter) greet(ctx context.Context, in Inbound, co core.Company) error {
	return a.reply(ctx, in, "greeting", in.Name, co.Name)
}

// join accepts a technician's invite code from a deep link.
func (a *Adapter) join(ctx context.Context, in Inbound) error {
	conv, err := a.conversation(ctx, in.Chat)
	if err != nil {
		return err
	}
	if err := a.moveOn(ctx, in.Chat, conv); err != nil {
		return err
	}
	o, err := a.eng.JoinInvite(ctx, core.JoinInvite{Code: in.Args, Name: in.Name, Source: source(in),
		EmailOptional: true, Identity: a.identity(in.Chat), Key: a.key(in, "join")})
	if core.ErrorCode(err) == core.CodeNotFound {
		return a.reply(ctx, in, "badLink")
	} else if err != nil {
		return a.refused(ctx, in, "refused", err)
	}
	if err := a.store.SetChatCompany(ctx, Platform, a.botID, chatID(in.Chat), o.Request.CompanyID); err != nil {
		return err
	}
	return a.reply(ctx, in, "joinedInvite", o.Request.Number, o.Request.CompanyName)
}

// chatID is a chat's ID as the store keeps it.
func chatID(chat int64) string { return strconv.FormatInt(chat, 10) }

// company is where the chat's new requests go: the company it chose
// through a deep link, else that of its last request, else the configured
// one, else the desk's only company. ok is false when none applies.
func (a *Adapter) company(ctx context.Context, chat int64, prev *core.Conversation) (co core.Company, ok bool, err error) {
	id, err := a.store.ChatCompany(ctx, Platform, a.botID, chatID(chat))
	switch {
	case err == nil:
	case core.ErrorCode(err) != core.CodeNotFound:
		return co, false, err
	case prev != nil:
		id = prev.Request.CompanyID
	}
	if id != "" {
		if co, err = a.store.Company(ctx, id); err == nil {
			return co, true, nil
		} else if core.ErrorCode(err) != core.CodeNotFound {
			return co, false, err
		}
	}
	if a.cfg.Company != "" {
		co, err = a.store.CompanyBySlug(ctx, a.cfg.Company)
		if err == nil {
			return co, true, nil
		} else if core.ErrorCode(err) != core.CodeNotFound {
			return co, false, err
		}
		a.log.Warn("telegram: TELEGRAM_COMPANY names no company", "slug", a.cfg.Company)
	}
	all, err := a.store.Companies(ctx)
	if err != nil || len(all) != 1 {
		return co, false, err
	}
	return all[0], true, nil
}

// moveOn remembers the chat of the customer of the chat's current request
// before a new request or session re-links the chat to a new customer, so
// that what is still to come of the old request reaches the chat too.
func (a *Adapter) moveOn(ctx context.Context, chat int64, prev *core.Conversation) error {
	if prev == nil {
		return nil
	}
	return a.store.SetCustomerChat(ctx, Platform, prev.Participant.SubjectID, chatID(chat))
}

func (a *Adapter) identity(chat int64) *core.Identity {
	return &core.Identity{Platform: Platform, ExternalID: strconv.FormatInt(chat, 10)}
}

// source is what Telegram tells of the customer: the channel and their
// language. It gives no IP address or device.
func source(in Inbound) core.Source {
	return core.Source{Channel: Platform, Language: in.Lang}
}

// refused answers an engine refusal with the text key (which takes the
// refusal's message) and returns nil; other errors come back to be retried.
func (a *Adapter) refused(ctx context.Context, in Inbound, key string, err error) error {
	if err == nil {
		return nil
	}
	if core.ErrorCode(err) == core.CodeInternal {
		return err
	}
	return a.reply(ctx, in, key, core.ErrorMessage(err))
}

// reply answers the customer with the text key in their language.
func (a *Adapter) reply(ctx context.Context, in Inbound, key string, args ...any) error {
	return a.replyText(ctx, in, texts.Text(in.Lang, key, args...))
}

func (a *Adapter) replyText(ctx context.Context, in Inbound, text string) error {
	err := a.sendText(ctx, nil, "", in.Chat, text, nil)
	if errors.Is(err, bot.ErrorForbidden) {
		return nil // they blocked the bot: there is nobody to tell
	}
	return err
}
