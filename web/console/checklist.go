package console

import (
	"net/http"
	"slices"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/web/jsonapi"
)

// checklistItem is one step of setting a desk up, for the empty console.
type checklistItem struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Done  bool   `json:"done"`
	Href  string `json:"href,omitempty"`
}

// platformDocs is where the README explains connecting each chat platform.
var platformDocs = []struct{ id, label, href string }{
	{"slack", "Connect Slack", "https://github.com/relaydesk/relaydesk#slack"},
	{"discord", "Connect Discord", "https://github.com/relaydesk/relaydesk#discord"},
	{"telegram", "Connect Telegram", "https://github.com/relaydesk/relaydesk#telegram"},
}

// checklist tells any signed-in technician how far the desk is set up.
// Each item is done by the desk's real state: "snippet" once a customer
// has come through the widget or the portal on their own, which the
// snippet (or the portal link) is for; a platform once this process runs
// its adapter.
func (h *Handler) checklist(w http.ResponseWriter, r *http.Request, v *visitor) {
	st, err := h.eng.DeskState(r.Context(), v.actor)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	items := []checklistItem{
		{ID: "company", Label: "Create a company", Done: st.Companies > 0, Href: "/console/admin#companies"},
		{ID: "snippet", Label: "Copy the widget snippet", Done: st.WebRequests, Href: "/console/admin#companies"},
		{ID: "technicians", Label: "Add technicians", Done: st.Technicians > 1, Href: "/console/admin#technicians"},
		{ID: "available", Label: "Set yourself Available", Done: v.tech.Availability == core.Available},
	}
	for _, p := range platformDocs {
		items = append(items, checklistItem{ID: p.id, Label: p.label, Done: slices.Contains(h.cfg.Platforms, p.id), Href: p.href})
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"items": items})
}
