package console

import (
	"bytes"
	"net/http"

	"github.com/relaydesk/relaydesk/core"
)

// pageData is what every page template may use.
type pageData struct {
	Title    string
	Me       *core.Technician
	CSRF     string
	Position string // where the live feed starts: the log's end before the lists load
	Error    string
	Message  string
	Email    string
	Name     string
	Token    string // the set-up token, carried by the set-up form
	Views    []viewLink
	Sorts    []sortColumn
	Admin    *adminData
	Status   int

	// SSO names the identity provider on the sign-in button; "" when
	// single sign-on is off. NoPasswords hides the password form.
	SSO         string
	NoPasswords bool
}

type viewLink struct {
	ID, View, Label string
}

type sortColumn struct {
	Key, Label string
}

// render executes a page template into a buffer first, so a template error
// becomes a clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	var b bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "internal error; the details are in the server log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// errorPage answers a page request with a short explanation.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	h.render(w, r, status, "error.html", pageData{Title: title, Message: message, Status: status})
}

// consolePage is the Support Center: the lists and details are filled in by
// console.js from the API.
func (h *Handler) consolePage(w http.ResponseWriter, r *http.Request, v *visitor) {
	pos, err := h.eng.LogEnd(r.Context())
	if err != nil {
		h.log.ErrorContext(r.Context(), "console page: log end", "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The details are in the server log.")
		return
	}
	h.render(w, r, http.StatusOK, "console.html", pageData{
		Title: "Support Center", Me: &v.tech, CSRF: v.sess.CSRF, Position: pos.String(),
		Views: []viewLink{{"view-mine", "mine", "Mine"}, {"view-new", "new", "New"}, {"view-active", "active", "Active"},
			{"view-completed", "completed", "Completed"}, {"view-all", "all", "All"}},
		Sorts: []sortColumn{{"updated", "Activity"}, {"created", "Created"}, {"number", "Number"}, {"status", "Status"},
			{"company", "Company"}, {"owner", "Owner"}, {"customer", "Customer"}},
	})
}
