package telegram

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/core"
)

// typingEvery is how often a chat is shown "typing…" at most: Telegram
// shows the action for about five seconds, or until the next message.
const typingEvery = 4 * time.Second

// relayTyping shows a request's Telegram customers "typing…" while a
// technician types in the console, until ctx ends. One process at a time
// relays (the engine hears every process's signals), so a chat is told
// once. Telegram never says that a customer types, so that direction is
// the console's to go without.
func (a *Adapter) relayTyping(ctx context.Context) error {
	last := map[int64]time.Time{} // OnTyping calls one at a time: no lock
	stop := a.eng.OnTyping(func(t core.Typing) {
		if t.Actor.Kind != core.ActorTechnician {
			return
		}
		ps, err := a.store.Participants(ctx, t.RequestID)
		if err != nil {
			// Another desk sharing the database's signal channel has
			// requests this one does not: nothing to tell.
			if !errors.Is(err, core.ErrNotFound) {
				a.log.Debug("telegram: typing: cannot read the request's customers", "err", err)
			}
			return
		}
		now := time.Now()
		if len(last) > 1024 {
			for chat, at := range last {
				if now.Sub(at) > typingEvery {
					delete(last, chat)
				}
			}
		}
		for _, p := range ps {
			if p.Role != core.RoleCustomer || !p.Active() {
				continue
			}
			chat, ok, err := a.chatOf(ctx, p.SubjectID)
			if err != nil || !ok || now.Sub(last[chat]) < typingEvery {
				continue
			}
			last[chat] = now
			// Never retried, never paced against messages: a lost
			// "typing…" costs nothing.
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = a.bot.SendChatAction(cctx, &bot.SendChatActionParams{ChatID: chat, Action: models.ChatActionTyping})
			cancel()
			if err != nil && ctx.Err() == nil {
				a.log.Debug("telegram: cannot show typing", "chat", strconv.FormatInt(chat, 10), "err", a.redact(err))
			}
		}
	})
	<-ctx.Done()
	stop()
	return nil
}
