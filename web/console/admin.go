package console

import (
	"context"
	"errors"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/password"
	"github.com/relaydesk/relaydesk/web/jsonapi"
)

// adminData is what the admin page lists.
type adminData struct {
	Companies   []adminCompanyJSON
	Technicians []adminTechnicianJSON
	Log         []adminLogJSON
}

// Grantable are the technicians an access grant is for: active and not
// admins, who serve every company anyway.
func (d adminData) Grantable() []adminTechnicianJSON {
	var out []adminTechnicianJSON
	for _, t := range d.Technicians {
		if t.Active && t.Role != core.RoleAdmin {
			out = append(out, t)
		}
	}
	return out
}

// OpenCompanies are the companies access can be granted to.
func (d adminData) OpenCompanies() []adminCompanyJSON {
	var out []adminCompanyJSON
	for _, c := range d.Companies {
		if !c.Archived {
			out = append(out, c)
		}
	}
	return out
}

// adminLogJSON is one entry of the admin log.
type adminLogJSON struct {
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	TargetKind string    `json:"target_kind"`
	TargetID   string    `json:"target_id"`
	Target     string    `json:"target"`
	Detail     string    `json:"detail"`
}

// adminLogShown is how many of the latest admin log entries the page shows.
const adminLogShown = 20

// adminCompanyJSON is a company as an admin manages it, with the widget
// snippet to paste into the company's website.
type adminCompanyJSON struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Slug         string   `json:"slug"`
	PortalKey    string   `json:"portal_key"`
	AllowedExts  []string `json:"allowed_exts"`
	MaxFileBytes int64    `json:"max_file_bytes"`
	Snippet      string   `json:"snippet"`
	PortalURL    string   `json:"portal_url"`
	Archived     bool     `json:"archived"`
}

// adminTechnicianJSON is a technician and the companies they serve.
type adminTechnicianJSON struct {
	ID           string            `json:"id"`
	Email        string            `json:"email"`
	Name         string            `json:"name"`
	Role         core.Role         `json:"role"`
	Availability core.Availability `json:"availability"`
	Companies    []companyJSON     `json:"companies"`
	Active       bool              `json:"active"`
	// OpenRequests counts the open requests they own: a deactivated
	// technician keeps theirs for an admin to close.
	OpenRequests int `json:"open_requests"`
}

func adminTechnician(t core.Technician) adminTechnicianJSON {
	return adminTechnicianJSON{ID: t.ID, Email: t.Email, Name: t.Name, Role: t.Role, Availability: t.Availability,
		Companies: []companyJSON{}, Active: t.Active()}
}

func (h *Handler) adminCompany(r *http.Request, c core.Company) adminCompanyJSON {
	base := h.base(r)
	exts := c.Policy().AllowedExts
	return adminCompanyJSON{ID: c.ID, Name: c.Name, Slug: c.Slug, PortalKey: c.PortalKey, AllowedExts: exts,
		MaxFileBytes: c.Policy().MaxBytes, PortalURL: base + "/c/" + c.Slug, Archived: c.Archived(),
		Snippet: `<script src="` + html.EscapeString(base) + `/widget.js" data-key="` + html.EscapeString(c.PortalKey) + `" async></script>`}
}

// loadAdmin reads everything the admin page shows.
func (h *Handler) loadAdmin(ctx context.Context, r *http.Request, v *visitor) (adminData, error) {
	var d adminData
	cs, err := h.eng.Companies(ctx, v.actor)
	if err != nil {
		return d, err
	}
	names := map[string]companyJSON{}
	for _, c := range cs {
		d.Companies = append(d.Companies, h.adminCompany(r, c))
		names[c.ID] = companyJSON{ID: c.ID, Name: c.Name, Slug: c.Slug}
	}
	ts, err := h.eng.Technicians(ctx, v.actor)
	if err != nil {
		return d, err
	}
	owned, err := h.eng.OpenOwned(ctx, v.actor)
	if err != nil {
		return d, err
	}
	for _, t := range ts {
		ids, err := h.eng.AccessOf(ctx, v.actor, t.ID)
		if err != nil {
			return d, err
		}
		at := adminTechnician(t)
		at.OpenRequests = owned[t.ID]
		for _, id := range ids {
			if c, ok := names[id]; ok {
				at.Companies = append(at.Companies, c)
			}
		}
		d.Technicians = append(d.Technicians, at)
	}
	log, err := h.eng.AdminLog(ctx, v.actor, adminLogShown)
	if err != nil {
		return d, err
	}
	for _, x := range log {
		d.Log = append(d.Log, adminLogJSON{At: x.At, Actor: x.ActorName, Action: x.Action, TargetKind: x.TargetKind,
			TargetID: x.TargetID, Target: x.TargetName, Detail: x.Detail})
	}
	return d, nil
}

// adminPage is the admin's page: companies, technicians, access grants.
func (h *Handler) adminPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	if !v.tech.IsAdmin() {
		h.errorPage(w, r, http.StatusForbidden, "Admins only", "Only an admin can manage companies, technicians and access.")
		return
	}
	d, err := h.loadAdmin(r.Context(), r, v)
	if err != nil {
		h.log.ErrorContext(r.Context(), "admin page", "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The details are in the server log.")
		return
	}
	h.render(w, r, http.StatusOK, "admin.html", pageData{Title: "Administration", Me: &v.tech, CSRF: v.sess.CSRF, Admin: &d,
		SSO: h.loginData().SSO})
}

func (h *Handler) adminCompanies(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := h.loadAdmin(r.Context(), r, v)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	out := d.Companies
	if out == nil {
		out = []adminCompanyJSON{}
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"companies": out})
}

func (h *Handler) createCompany(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		Name         string   `json:"name"`
		Slug         string   `json:"slug"`
		AllowedExts  []string `json:"allowed_exts"`
		MaxFileBytes int64    `json:"max_file_bytes"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	c, err := h.eng.CreateCompany(r.Context(), v.actor, core.NewCompany{Name: in.Name, Slug: strings.TrimSpace(in.Slug),
		AllowedExts: in.AllowedExts, MaxFileBytes: in.MaxFileBytes})
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusCreated, h.adminCompany(r, c))
}

func (h *Handler) updateCompany(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		Name         *string  `json:"name"`
		AllowedExts  []string `json:"allowed_exts"`
		MaxFileBytes *int64   `json:"max_file_bytes"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	c, err := h.eng.UpdateCompany(r.Context(), v.actor, r.PathValue("id"),
		core.CompanySettings{Name: in.Name, AllowedExts: in.AllowedExts, MaxFileBytes: in.MaxFileBytes})
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, h.adminCompany(r, c))
}

// rotateKey issues a new portal key: the old snippet stops working.
func (h *Handler) rotateKey(w http.ResponseWriter, r *http.Request, v *visitor) {
	c, err := h.eng.UpdateCompany(r.Context(), v.actor, r.PathValue("id"), core.CompanySettings{RotateKey: true})
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, h.adminCompany(r, c))
}

func (h *Handler) adminTechnicians(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := h.loadAdmin(r.Context(), r, v)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	out := d.Technicians
	if out == nil {
		out = []adminTechnicianJSON{}
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"technicians": out})
}

// hashPassword hashes a new console password; "" means none (chat platforms
// only).
func hashPassword(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	hash, err := password.Hash(plain)
	if errors.Is(err, password.ErrTooShort) || errors.Is(err, password.ErrTooLong) {
		return "", core.Errorf(core.CodeInvalid, "%s", err.Error())
	}
	return hash, err
}

func (h *Handler) createTechnician(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		Email    string    `json:"email"`
		Name     string    `json:"name"`
		Role     core.Role `json:"role"`
		Password string    `json:"password"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	hash, err := hashPassword(in.Password)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	t, err := h.eng.CreateTechnician(r.Context(), v.actor, core.NewTechnician{Email: in.Email, Name: in.Name, Role: in.Role, PasswordHash: hash})
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusCreated, adminTechnician(t))
}

// setPassword replaces a technician's console password and signs them out
// everywhere.
func (h *Handler) setPassword(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		Password string `json:"password"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	if in.Password == "" {
		jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "type the new password")
		return
	}
	hash, err := hashPassword(in.Password)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	id := r.PathValue("id")
	if err := h.eng.SetPassword(r.Context(), v.actor, id, hash); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	if err := h.sessions.DeleteSessionsOf(r.Context(), id); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"ok": true})
}

// clearSignIns lets a technician whom failed sign-ins locked out sign in
// again at once, in every relaydesk process.
func (h *Handler) clearSignIns(w http.ResponseWriter, r *http.Request, v *visitor) {
	t, err := h.eng.ClearSignInFailures(r.Context(), v.actor, r.PathValue("id"))
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"technician": t.ID, "cleared_at": t.SignInResetAt})
}

type grantBody struct {
	Technician string `json:"technician"`
	Company    string `json:"company"`
}

func (h *Handler) grant(w http.ResponseWriter, r *http.Request, v *visitor) {
	h.access(w, r, v, h.eng.GrantAccess)
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, v *visitor) {
	h.access(w, r, v, h.eng.RevokeAccess)
}

func (h *Handler) access(w http.ResponseWriter, r *http.Request, v *visitor, op func(context.Context, core.Actor, string, string) error) {
	var in grantBody
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	if in.Technician == "" || in.Company == "" {
		jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "choose a technician and a company")
		return
	}
	if err := op(r.Context(), v.actor, in.Technician, in.Company); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	ids, err := h.eng.AccessOf(r.Context(), v.actor, in.Technician)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"technician": in.Technician, "companies": ids})
}

// deactivate signs a technician out everywhere and stops them working here.
func (h *Handler) deactivate(w http.ResponseWriter, r *http.Request, v *visitor) {
	t, err := h.eng.DeactivateTechnician(r.Context(), v.actor, r.PathValue("id"))
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, adminTechnician(t))
}

// returnRequests puts a deactivated technician's open requests back in the
// queue.
func (h *Handler) returnRequests(w http.ResponseWriter, r *http.Request, v *visitor) {
	n, err := h.eng.ReturnRequests(r.Context(), v.actor, r.PathValue("id"))
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, map[string]int{"returned": n})
}

func (h *Handler) reactivate(w http.ResponseWriter, r *http.Request, v *visitor) {
	t, err := h.eng.ReactivateTechnician(r.Context(), v.actor, r.PathValue("id"))
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, adminTechnician(t))
}

func (h *Handler) setRole(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		Role core.Role `json:"role"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	t, err := h.eng.SetRole(r.Context(), v.actor, r.PathValue("id"), in.Role)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, adminTechnician(t))
}

func (h *Handler) renameCompany(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		Name string `json:"name"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	c, err := h.eng.RenameCompany(r.Context(), v.actor, r.PathValue("id"), in.Name)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, h.adminCompany(r, c))
}

func (h *Handler) archiveCompany(archived bool) func(http.ResponseWriter, *http.Request, *visitor) {
	return func(w http.ResponseWriter, r *http.Request, v *visitor) {
		c, err := h.eng.ArchiveCompany(r.Context(), v.actor, r.PathValue("id"), archived)
		if err != nil {
			jsonapi.Fail(w, r, h.log, err)
			return
		}
		jsonapi.Write(w, http.StatusOK, h.adminCompany(r, c))
	}
}

func (h *Handler) adminLog(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := h.loadAdmin(r.Context(), r, v)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	out := d.Log
	if out == nil {
		out = []adminLogJSON{}
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"entries": out})
}
