package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/password"
)

// setupOpen reports whether the first-run page may be used with token: a
// set-up token is configured, it was not used, token matches it and no
// technician exists yet. Tokens are compared as hashes in constant time, so
// neither their content nor their length leaks.
func (h *Handler) setupOpen(ctx context.Context, token string) (bool, error) {
	if h.cfg.SetupToken == "" || h.setupUsed || token == "" {
		return false, nil
	}
	got, want := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(h.cfg.SetupToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return false, nil
	}
	ts, err := h.sessions.Technicians(ctx)
	if err != nil {
		return false, err
	}
	return len(ts) == 0, nil
}

// setupPage shows the form that creates the first admin; 404 for anyone
// without the one-time link, and for everyone once it was used.
func (h *Handler) setupPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.setupMu.Lock()
	ok, err := h.setupOpen(r.Context(), r.URL.Query().Get("token"))
	h.setupMu.Unlock()
	if err != nil {
		h.log.ErrorContext(r.Context(), "set-up page", "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The details are in the server log.")
		return
	}
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "Not found", "This set-up link is not valid, or relaydesk is set up already.")
		return
	}
	h.render(w, r, http.StatusOK, "setup.html", pageData{Title: "Set up relaydesk", Token: r.URL.Query().Get("token")})
}

// setup creates the first admin and signs them in.
func (h *Handler) setup(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !h.sameOrigin(r) {
		h.errorPage(w, r, http.StatusForbidden, "Set-up refused", "The form was not sent from this relaydesk's own page.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "Set-up refused", "The form could not be read; go back and try again.")
		return
	}
	f := r.PostForm
	token := f.Get("token")
	data := pageData{Title: "Set up relaydesk", Token: token, Email: strings.TrimSpace(f.Get("email")), Name: strings.TrimSpace(f.Get("name"))}
	// One at a time: two submissions of the form must not make two admins.
	h.setupMu.Lock()
	defer h.setupMu.Unlock()
	ok, err := h.setupOpen(r.Context(), token)
	if err != nil {
		h.log.ErrorContext(r.Context(), "set-up", "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The details are in the server log.")
		return
	}
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "Not found", "This set-up link is not valid, or relaydesk is set up already.")
		return
	}
	if f.Get("password") != f.Get("password2") {
		data.Error = "The two passwords differ."
		h.render(w, r, http.StatusBadRequest, "setup.html", data)
		return
	}
	hash, err := password.Hash(f.Get("password"))
	if err != nil {
		data.Error = strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + "."
		h.render(w, r, http.StatusBadRequest, "setup.html", data)
		return
	}
	t, err := h.eng.CreateTechnician(r.Context(), core.SystemActor(), core.NewTechnician{Email: data.Email, Name: data.Name,
		Role: core.RoleAdmin, PasswordHash: hash})
	if err != nil {
		if core.ErrorCode(err) == core.CodeInternal {
			h.log.ErrorContext(r.Context(), "set-up: create admin", "err", err)
		}
		data.Error = core.ErrorMessage(err)
		h.render(w, r, http.StatusBadRequest, "setup.html", data)
		return
	}
	h.setupUsed = true
	h.log.InfoContext(r.Context(), "first admin created through the set-up link", "technician", t.ID)
	if err := h.startSession(w, r, t); err != nil {
		h.log.ErrorContext(r.Context(), "set-up: sign in", "err", err)
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}
