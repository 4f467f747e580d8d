package widget

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/web/clientip"
	"github.com/relaydesk/relaydesk/web/jsonapi"
)

// apiHeaders are set on every API answer: JSON is data, never a page.
func apiHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
}

// companyByKey finds the company of a portal key, answering 404 for an
// unknown one.
func (h *Handler) companyByKey(ctx context.Context, key string) (core.Company, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 200 {
		return core.Company{}, errNoPortal
	}
	c, err := h.store.CompanyByPortalKey(ctx, key)
	if errors.Is(err, core.ErrNotFound) {
		return c, errNoPortal
	}
	return c, err
}

var errNoPortal = core.Errorf(core.CodeNotFound, "there is no support portal with this key; check the widget snippet")

// company answers GET /api/widget/company?key=KEY: what the open form
// shows before there is a request.
func (h *Handler) company(w http.ResponseWriter, r *http.Request) {
	apiHeaders(w)
	c, err := h.companyByKey(r.Context(), r.URL.Query().Get("key"))
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, viewCompany(c, core.Source{}))
}

type openInput struct {
	Key     string `json:"key"`
	Email   string `json:"email"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

// open answers POST /api/widget/requests: a new request, and the token
// that is from now on the customer's only credential for it. Opening is
// limited per client address.
func (h *Handler) open(w http.ResponseWriter, r *http.Request) {
	apiHeaders(w)
	limitKey, ok := h.admit(w, r, "open", opensPerIP, "too many new requests")
	if !ok {
		return
	}
	o, c, err := h.openRequest(w, r)
	if err != nil {
		h.undoRefused(limitKey, err)
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	v := viewChat(core.RequestView{Request: o.Request, Participants: []core.Participant{o.Participant},
		Messages: []core.Message{o.Message}, Viewer: &o.Participant}, c)
	v.Token = o.Token
	jsonapi.Write(w, http.StatusCreated, v)
}

// openRequest reads the open form and opens the request it asks for.
func (h *Handler) openRequest(w http.ResponseWriter, r *http.Request) (core.Opened, core.Company, error) {
	var in openInput
	if err := jsonapi.Decode(w, r, &in); err != nil {
		return core.Opened{}, core.Company{}, err
	}
	ctx := r.Context()
	c, err := h.companyByKey(ctx, in.Key)
	if err != nil {
		return core.Opened{}, c, err
	}
	o, err := h.eng.OpenRequest(ctx, core.OpenRequest{CompanyID: c.ID, Email: in.Email, Name: in.Name,
		Message: in.Message, Source: h.source(r)})
	return o, c, err
}

type joinInput struct {
	Code  string `json:"code"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// join answers POST /api/widget/join: a customer accepting a technician's
// invitation joins that session and gets a token for it, as if they had
// opened it. Joining is limited per client address, which also bounds
// guessing invitation codes.
func (h *Handler) join(w http.ResponseWriter, r *http.Request) {
	apiHeaders(w)
	limitKey, ok := h.admit(w, r, "join", joinsPerIP, "too many attempts to join a session")
	if !ok {
		return
	}
	o, err := h.joinInvite(w, r)
	if err != nil {
		h.undoRefused(limitKey, err)
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	ctx := r.Context()
	v, err := h.chat(ctx, core.CustomerSession{Actor: core.CustomerActor(o.Participant.ID), RequestID: o.Request.ID})
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	v.Token = o.Token
	jsonapi.Write(w, http.StatusCreated, v)
}

// joinInvite reads the join form and joins the invitation it names.
func (h *Handler) joinInvite(w http.ResponseWriter, r *http.Request) (core.Opened, error) {
	var in joinInput
	if err := jsonapi.Decode(w, r, &in); err != nil {
		return core.Opened{}, err
	}
	return h.eng.JoinInvite(r.Context(), core.JoinInvite{Code: strings.TrimSpace(in.Code), Email: in.Email,
		Name: in.Name, Source: h.source(r)})
}

// source is what the HTTP request tells of the customer's device.
func (h *Handler) source(r *http.Request) core.Source {
	a := ParseUserAgent(r.UserAgent())
	src := core.Source{Channel: "web", Device: a.Device, OS: a.OS, Browser: a.Browser,
		Language: language(r.Header.Get("Accept-Language"))}
	if ip := clientip.Of(r, h.trusted); ip.IsValid() {
		src.IP = ip.String()
	}
	return src
}

var langRE = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

// language is the customer's preferred language: the first tag of
// Accept-Language, when it looks like one.
func language(h string) string {
	tag, _, _ := strings.Cut(h, ",")
	tag, _, _ = strings.Cut(tag, ";")
	tag = strings.TrimSpace(tag)
	if len(tag) > 35 || !langRE.MatchString(tag) {
		return ""
	}
	return tag
}

// request answers GET /api/widget/request: the request as its customer sees it.
func (h *Handler) request(w http.ResponseWriter, r *http.Request) {
	cs, ok := h.customer(w, r)
	if !ok {
		return
	}
	v, err := h.chat(r.Context(), cs)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, v)
}

func (h *Handler) chat(ctx context.Context, cs core.CustomerSession) (chatView, error) {
	by := cs.Actor
	rv, err := h.eng.ViewRequest(ctx, by, cs.RequestID)
	if err != nil {
		return chatView{}, err
	}
	c, err := h.store.Company(ctx, rv.Request.CompanyID)
	if err != nil {
		return chatView{}, err
	}
	return viewChat(rv, c), nil
}

type messageInput struct {
	Body string `json:"body"`
}

// idempotency is the request's Idempotency-Key, scoped to the customer's
// place in their request: a retried send is stored once.
func idempotency(r *http.Request, by core.Actor) (core.Idempotency, error) {
	return jsonapi.IdempotencyKey(r, "widget:"+by.ID)
}

// message answers POST /api/widget/messages. With an Idempotency-Key, a
// repeated post stores nothing more and answers the first message.
func (h *Handler) message(w http.ResponseWriter, r *http.Request) {
	h.writeText(w, r, http.StatusCreated, func(ctx context.Context, cs core.CustomerSession, body string, key core.Idempotency) (core.Message, error) {
		return h.eng.PostMessage(ctx, cs.Actor, cs.RequestID, core.Post{Body: body, Key: key})
	})
}

// edit answers PATCH /api/widget/messages/{id}: the customer's own text
// message gets a new text, for core.CustomerEditWindow after sending it
// (the engine decides, and refuses a late edit). With an Idempotency-Key,
// a repeated edit changes nothing more and answers the message as it is.
func (h *Handler) edit(w http.ResponseWriter, r *http.Request) {
	h.writeText(w, r, http.StatusOK, func(ctx context.Context, cs core.CustomerSession, body string, key core.Idempotency) (core.Message, error) {
		return h.eng.EditMessage(ctx, cs.Actor, r.PathValue("id"), core.Edit{Body: body, Key: key})
	})
}

// writeText is a customer's request carrying a text (a message, or an
// edit of one) and an optional Idempotency-Key: act stores it, and the
// message as it then is answers with code.
func (h *Handler) writeText(w http.ResponseWriter, r *http.Request, code int,
	act func(ctx context.Context, cs core.CustomerSession, body string, key core.Idempotency) (core.Message, error)) {
	cs, ok := h.customer(w, r)
	if !ok {
		return
	}
	var in messageInput
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	key, err := idempotency(r, cs.Actor)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	m, err := act(r.Context(), cs, in.Body, key)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, code, viewMessage(m, nil, cs.Actor.ID))
}

// typing answers POST /api/widget/typing: the customer is writing, and the
// request's technicians see so for a few seconds. Nothing is stored; calls
// more often than core.TypingInterval are accepted and do nothing.
func (h *Handler) typing(w http.ResponseWriter, r *http.Request) {
	cs, ok := h.customer(w, r)
	if !ok {
		return
	}
	if err := h.eng.Typing(r.Context(), cs.Actor, cs.RequestID); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// leave answers POST /api/widget/leave: the customer leaves the chat. The
// request stays as it is; only technicians end chats and close requests.
func (h *Handler) leave(w http.ResponseWriter, r *http.Request) {
	cs, ok := h.customer(w, r)
	if !ok {
		return
	}
	by := cs.Actor
	if err := h.eng.Leave(r.Context(), by); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type sysinfoInput struct {
	Device   string `json:"device"`
	OS       string `json:"os"`
	Browser  string `json:"browser"`
	Language string `json:"language"`
}

// sysinfo answers POST /api/widget/sysinfo: the details the customer's
// browser gave, sent only when the customer allowed it, in answer to a
// technician's request for them (the engine refuses them at any other time).
func (h *Handler) sysinfo(w http.ResponseWriter, r *http.Request) {
	cs, ok := h.customer(w, r)
	if !ok {
		return
	}
	by := cs.Actor
	var in sysinfoInput
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	if _, err := h.eng.ProvideSystemInfo(r.Context(), by, core.SystemInfo{Device: in.Device, OS: in.OS,
		Browser: in.Browser, Language: in.Language}); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// answerInput is a customer's answer to a technician's ask: to share the
// screen (with what the browser says of it), to show the page, to allow a
// recording, to take a call; or their Stop.
type answerInput struct {
	Answer string          `json:"answer"`
	Screen core.ScreenInfo `json:"screen"`
}

// answer is one answer an answers route takes.
type answer func(ctx context.Context, cs core.CustomerSession, in answerInput) error

// answers serves a route of the customer's answers: POST {"answer": ...}
// picks one of acts (usage names them); → 204, or the engine's refusal.
func (h *Handler) answers(usage string, acts map[string]answer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cs, ok := h.customer(w, r)
		if !ok {
			return
		}
		var in answerInput
		if err := jsonapi.Decode(w, r, &in); err != nil {
			jsonapi.Fail(w, r, h.log, err)
			return
		}
		act, ok := acts[in.Answer]
		if !ok {
			jsonapi.Fail(w, r, h.log, core.Errorf(core.CodeInvalid, "answer must be %s", usage))
			return
		}
		if err := act(r.Context(), cs, in); err != nil {
			jsonapi.Fail(w, r, h.log, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// notSetUp refuses what this desk does not carry (a handler built without
// its manager, in tests of other things).
func notSetUp(what string) error {
	return core.Errorf(core.CodeInvalidState, "%s is not set up on this support desk", what)
}

// consent describes a route of answers to an ask the customer allows or
// refuses, and may stop later: yes and no go to answer, stop to end.
type consent struct {
	yes, no, stop string
	// missing names what yes would start, when this desk does not carry it
	// (a handler built without its manager, in tests of other things).
	missing string
	answer  func(ctx context.Context, by core.Actor, yes bool, in answerInput) (core.Request, error)
	end     func(ctx context.Context, by core.Actor, requestID string) (core.Request, error)
}

// consentAnswers serves a consent's route.
func (h *Handler) consentAnswers(c consent) http.HandlerFunc {
	reply := func(yes bool) answer {
		return func(ctx context.Context, cs core.CustomerSession, in answerInput) error {
			if yes && c.missing != "" {
				return notSetUp(c.missing)
			}
			_, err := c.answer(ctx, cs.Actor, yes, in)
			return err
		}
	}
	return h.answers(c.yes+", "+c.no+" or "+c.stop, map[string]answer{
		c.yes: reply(true),
		c.no:  reply(false),
		c.stop: func(ctx context.Context, cs core.CustomerSession, _ answerInput) error {
			_, err := c.end(ctx, cs.Actor, cs.RequestID)
			return err
		},
	})
}

// unless is what, when the desk lacks it.
func unless(carried bool, what string) string {
	if carried {
		return ""
	}
	return what
}

// screenAnswers is POST /api/widget/screen. The page answers "share" only
// once the browser's picker gave it a screen, so a consent never stands
// without one.
func (h *Handler) screenAnswers() http.HandlerFunc {
	return h.consentAnswers(consent{yes: "share", no: "decline", stop: "stop",
		missing: unless(h.screen != nil, "screen sharing"),
		answer: func(ctx context.Context, by core.Actor, yes bool, in answerInput) (core.Request, error) {
			return h.eng.AnswerScreenShare(ctx, by, yes, in.Screen)
		},
		end: h.eng.StopScreenShare})
}

// recordingAnswers is POST /api/widget/recording.
func (h *Handler) recordingAnswers() http.HandlerFunc {
	return h.consentAnswers(consent{yes: "allow", no: "decline", stop: "stop",
		answer: func(ctx context.Context, by core.Actor, yes bool, _ answerInput) (core.Request, error) {
			return h.eng.AnswerRecording(ctx, by, yes)
		},
		end: h.eng.StopRecording})
}

// callAnswers is POST /api/widget/call. The page accepts only once the
// browser gave it a microphone.
func (h *Handler) callAnswers() http.HandlerFunc {
	return h.consentAnswers(consent{yes: "accept", no: "decline", stop: "end",
		missing: unless(h.screen != nil, "calling"),
		answer: func(ctx context.Context, by core.Actor, yes bool, _ answerInput) (core.Request, error) {
			return h.eng.AnswerCall(ctx, by, yes)
		},
		end: h.eng.EndCall})
}

// cobrowseAnswers is POST /api/widget/cobrowse: to show the page the widget
// sits on, or not, or to stop.
func (h *Handler) cobrowseAnswers() http.HandlerFunc {
	return h.consentAnswers(consent{yes: "show", no: "decline", stop: "stop",
		missing: unless(h.cobrowse != nil, "co-browsing"),
		answer: func(ctx context.Context, by core.Actor, yes bool, _ answerInput) (core.Request, error) {
			return h.eng.AnswerCobrowse(ctx, by, yes)
		},
		end: h.eng.StopCobrowse})
}
