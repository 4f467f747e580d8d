package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots/techchat"
)

// maxBody is more than Discord ever posts.
const maxBody = 1 << 20

// window is how far a request's timestamp may be from now.
const window = 5 * time.Minute

// verified reads the raw body and checks its Ed25519 signature (over the
// timestamp and the body) and the timestamp's freshness. On false it has
// answered 401 (or 413) and nothing else happens.
func (a *Adapter) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	ts := r.Header.Get("X-Signature-Timestamp")
	sig, err := hex.DecodeString(r.Header.Get("X-Signature-Ed25519"))
	sec, terr := strconv.ParseInt(ts, 10, 64)
	fresh := terr == nil && a.now().Sub(time.Unix(sec, 0)).Abs() <= window
	if err != nil || len(sig) != ed25519.SignatureSize || !fresh ||
		!ed25519.Verify(a.key, append([]byte(ts), body...), sig) {
		a.log.Warn("discord: refused an interaction that is not signed by Discord, or is stale", "fresh", fresh)
		http.Error(w, "invalid or stale Discord signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// serveInteraction answers an interaction posted by Discord: PING with
// PONG, anything else with what handle answers.
func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil || i.ID == "" {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	if i.Type == discordgo.InteractionPing {
		writeJSON(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return
	}
	answer, err := a.handle(r.Context(), delivery{interaction: &i})
	if err != nil || answer == nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeJSON(w, answer)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// delivery is one thing Discord sent, whichever transport brought it (an
// HTTP request or the gateway): exactly one field is set.
type delivery struct {
	interaction *discordgo.Interaction
	message     *discordgo.Message // MESSAGE_CREATE
	edit        *discordgo.Message // MESSAGE_UPDATE
	deleted     *discordgo.MessageDelete
}

// handle applies one delivery; both transports call it and nothing else.
// answer is an interaction's response (a failure of relaydesk is an answer
// too, as the technician must be told); nil for messages. A non-nil error
// means relaydesk failed and nothing was answered.
func (a *Adapter) handle(ctx context.Context, d delivery) (answer *discordgo.InteractionResponse, err error) {
	switch {
	case d.interaction != nil:
		i := d.interaction
		switch i.Type {
		case discordgo.InteractionPing:
			return &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong}, nil
		case discordgo.InteractionApplicationCommand:
			text, err := a.command(ctx, i)
			if err != nil {
				a.log.Error("discord: /support failed", "err", err)
				text = techchat.Failed
			}
			return ephemeral(text), nil
		case discordgo.InteractionApplicationCommandAutocomplete:
			return a.autocomplete(ctx, i), nil
		case discordgo.InteractionMessageComponent:
			res, err := a.button(ctx, i)
			if err != nil {
				a.log.Error("discord: a button failed", "err", err)
				return ephemeral(techchat.Failed), nil
			}
			return res, nil
		}
		return ephemeral("relaydesk does not handle this kind of interaction."), nil
	case d.message != nil:
		err = a.message(ctx, d.message, false)
	case d.edit != nil:
		err = a.message(ctx, d.edit, true)
	case d.deleted != nil:
		err = a.deleted(ctx, d.deleted)
	}
	if err != nil {
		a.log.Error("discord: a thread message failed", "err", err)
	}
	return nil, err
}

// ephemeral is an answer only the technician sees.
func ephemeral(text string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: clip(text, 2000), Flags: discordgo.MessageFlagsEphemeral,
			AllowedMentions: &discordgo.MessageAllowedMentions{}}}
}

// clip keeps s within Discord's length limit n (in characters).
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// userOf is who acted in an interaction: a guild member, or a user in DMs.
func userOf(i *discordgo.Interaction) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User
	}
	return i.User
}

// tell sends text into channel (a thread) as a reply to message, after the
// event was handled: what the gateway brings cannot be answered ephemerally.
func (a *Adapter) tell(channel, replyTo, text string) {
	a.bg.Go(func(ctx context.Context) {
		m := &discordgo.MessageSend{Content: clip(text, 2000), AllowedMentions: &discordgo.MessageAllowedMentions{}}
		if replyTo != "" {
			m.Reference = &discordgo.MessageReference{MessageID: replyTo, ChannelID: channel}
		}
		if _, err := a.api.ChannelMessageSendComplex(channel, m, discordgo.WithContext(ctx)); err != nil {
			a.log.Warn("discord: cannot answer a technician", "err", err)
		}
	})
}
