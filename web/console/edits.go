package console

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/web/jsonapi"
)

// typing answers POST /console/api/requests/{id}/typing: the technician is
// writing in the request's chat (the page calls it from the chat composer,
// never the note composer). Nothing is stored.
func (h *Handler) typing(w http.ResponseWriter, r *http.Request, v *visitor) {
	if err := h.eng.Typing(r.Context(), v.actor, r.PathValue("id")); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

var errNoMessage = core.Errorf(core.CodeNotFound, "message not found")

// messageOf makes sure the route's message is one of the route's request:
// a message of another request is not found there, whoever may see it.
// The engine decides everything else.
func (h *Handler) messageOf(ctx context.Context, r *http.Request) (string, error) {
	id := r.PathValue("mid")
	m, err := h.sessions.Message(ctx, id)
	if errors.Is(err, core.ErrNotFound) || (err == nil && m.RequestID != r.PathValue("id")) {
		return "", errNoMessage
	}
	return id, err
}

// editMessage answers PATCH /console/api/requests/{id}/messages/{mid}
// ({body}, with an optional Idempotency-Key): the technician's own message
// or note gets a new text.
func (h *Handler) editMessage(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		Body string `json:"body"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	key, err := idempotency(r, v)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	id, err := h.messageOf(r.Context(), r)
	var m core.Message
	if err == nil {
		m, err = h.eng.EditMessage(r.Context(), v.actor, id, core.Edit{Body: in.Body, Key: key})
	}
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, toMessageJSON(m))
}

// withdrawMessage answers DELETE /console/api/requests/{id}/messages/{mid}
// and POST .../withdraw: the technician's own message, file or note is
// withdrawn from its customers and kept, marked, for technicians.
func (h *Handler) withdrawMessage(w http.ResponseWriter, r *http.Request, v *visitor) {
	key, err := idempotency(r, v)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	id, err := h.messageOf(r.Context(), r)
	var m core.Message
	if err == nil {
		m, err = h.eng.WithdrawMessage(r.Context(), v.actor, id, key)
	}
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, toMessageJSON(m))
}

// versionJSON is one text a message has had.
type versionJSON struct {
	Version  int64     `json:"version"`
	Body     string    `json:"body"`
	EditedAt time.Time `json:"edited_at"`
}

// messageVersions answers GET .../messages/{mid}/versions: every text the
// message has had, oldest first, for technicians who may read the request.
func (h *Handler) messageVersions(w http.ResponseWriter, r *http.Request, v *visitor) {
	id, err := h.messageOf(r.Context(), r)
	var vs []core.MessageVersion
	if err == nil {
		vs, err = h.eng.MessageVersions(r.Context(), v.actor, id)
	}
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	out := struct {
		Versions []versionJSON `json:"versions"`
	}{Versions: make([]versionJSON, 0, len(vs))}
	for _, mv := range vs {
		out.Versions = append(out.Versions, versionJSON{Version: mv.Version, Body: mv.Body, EditedAt: mv.EditedAt})
	}
	jsonapi.Write(w, http.StatusOK, out)
}
