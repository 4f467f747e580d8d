package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/relaydesk/relaydesk/bots/techchat"
)

// maxBody is more than Slack ever posts (its payloads are a few KB).
const maxBody = 1 << 20

// verified reads the raw body, checks Slack's v0 signature on it and its
// timestamp (five minutes either way), and puts the body back for the
// parsers. On false it has answered 401 (or 413) and nothing else happens.
func (a *Adapter) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	sv, err := slack.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
	if err == nil {
		sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		a.log.Warn("slack: refused a request that is not signed by Slack", "path", r.URL.Path, "err", err)
		http.Error(w, "invalid or stale Slack signature", http.StatusUnauthorized)
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// serveCommand answers /support: the answer is the HTTP response, an
// ephemeral message only the technician sees.
//
// Slack also posts ssl_check=1 (with a token and no command) to the command
// URL from time to time, to check its certificate, and expects 200 OK: it
// gets an empty 200 and changes nothing. Like every request Slack sends to
// the app it is signed (Slack adds X-Slack-Signature to each HTTP request
// it sends), so the signature is checked first: an unsigned ssl_check is
// refused (401) as any unsigned request is.
func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.verified(w, r); !ok {
		return
	}
	if err := r.ParseForm(); err == nil && r.PostForm.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK)
		return
	}
	cmd, err := slack.SlashCommandParse(r)
	if err != nil || cmd.UserID == "" {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	answer, _ := a.handle(r.Context(), delivery{command: &cmd})
	writeJSON(w, answer)
}

// serveInteraction answers a button: the engine acts before the answer,
// what the technician is told goes after it.
func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.verified(w, r); !ok {
		return
	}
	ic, err := slack.InteractionCallbackParse(r)
	if err != nil || ic.User.ID == "" {
		http.Error(w, "malformed interaction payload", http.StatusBadRequest)
		return
	}
	if _, err := a.handle(r.Context(), delivery{interaction: &ic}); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// serveEvents answers the Events API: url_verification with its challenge,
// event callbacks once handled (500 on a failure, so that Slack delivers
// the event again; the idempotency keys make that harmless).
func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		var outer struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(body, &outer) == nil && outer.Type == slackevents.CallbackEvent {
			// An inner event type the library does not know: not ours.
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		v, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if !ok {
			http.Error(w, "malformed url_verification", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, v.Challenge)
		return
	case slackevents.CallbackEvent:
		if _, err := a.handle(r.Context(), delivery{event: &ev}); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// delivery is one thing Slack sent, decoded, whichever transport brought
// it (an HTTP request or a Socket Mode envelope): exactly one field is set.
type delivery struct {
	command     *slack.SlashCommand
	interaction *slack.InteractionCallback
	event       *slackevents.EventsAPIEvent
}

// handle applies one delivery; both transports call it and nothing else.
// answer is what goes back to Slack with the acknowledgement: the ephemeral
// answer of a slash command (a failure of relaydesk is an answer too, as the
// technician must be told), nil otherwise. A non-nil error means the
// delivery must not be acknowledged, so that Slack delivers it again; the
// idempotency keys make that harmless.
func (a *Adapter) handle(ctx context.Context, d delivery) (answer any, err error) {
	switch {
	case d.command != nil:
		msg, err := a.command(ctx, *d.command)
		if err != nil {
			a.log.Error("slack: /support failed", "err", err)
			msg = ephemeral(techchat.Failed)
		}
		return msg, nil
	case d.interaction != nil:
		if err := a.interaction(ctx, *d.interaction); err != nil {
			a.log.Error("slack: a button failed", "err", err)
			return nil, err
		}
	case d.event != nil && d.event.Type == slackevents.CallbackEvent:
		if err := a.event(ctx, *d.event); err != nil {
			a.log.Error("slack: an event failed; Slack will deliver it again", "err", err)
			return nil, err
		}
	}
	return nil, nil
}

// message is an answer to a slash command.
type message struct {
	ResponseType string        `json:"response_type"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
}

func ephemeral(text string) message { return message{ResponseType: "ephemeral", Text: text} }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// tell sends user an ephemeral message in channel (in the thread when
// threadTS is set), after the HTTP answer.
func (a *Adapter) tell(channel, user, threadTS, text string) {
	a.bg.Go(func(ctx context.Context) {
		opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
		if threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(threadTS))
		}
		if _, err := a.api.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
			a.log.Warn("slack: cannot answer a technician", "err", err)
		}
	})
}
