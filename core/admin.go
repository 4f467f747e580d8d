package core

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// SystemActor is relaydesk itself acting, for the operator's CLI: it may do
// what an admin may.
func SystemActor() Actor { return Actor{Kind: ActorSystem, ID: "system"} }

// mustAdmin lets the system and admin technicians through.
func mustAdmin(ctx context.Context, q Queries, by Actor) error {
	if by.Kind == ActorSystem {
		return nil
	}
	t, err := technician(ctx, q, by)
	if err != nil {
		return err
	}
	if !t.IsAdmin() {
		return Errorf(CodeForbidden, "only an admin can do this")
	}
	return nil
}

// NewCompany describes a company to create. Empty fields take defaults: the
// slug from the name, the seed allowlist, 25 MB.
type NewCompany struct {
	Name         string
	Slug         string
	AllowedExts  []string
	MaxFileBytes int64
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CreateCompany adds a company with a fresh portal key.
func (e *Engine) CreateCompany(ctx context.Context, by Actor, in NewCompany) (Company, error) {
	name, err := cleanLine("the company's name", in.Name, 200)
	if err != nil {
		return Company{}, err
	}
	if name == "" {
		return Company{}, Errorf(CodeInvalid, "a company needs a name of 1 to 200 characters")
	}
	slug := in.Slug
	if slug == "" {
		slug = Slugify(name)
	}
	if !slugRE.MatchString(slug) {
		return Company{}, Errorf(CodeInvalid, "%q is not a valid URL name: use lower-case letters, digits and dashes", slug)
	}
	exts, err := CleanExts(in.AllowedExts)
	if err != nil {
		return Company{}, err
	}
	if in.MaxFileBytes < 0 || in.MaxFileBytes > 2<<30 {
		return Company{}, Errorf(CodeInvalid, "the file size limit must be between 1 byte and 2 GB")
	}
	c := Company{ID: NewID("cmp"), Name: name, Slug: slug, PortalKey: NewID("pk"), AllowedExts: exts,
		MaxFileBytes: in.MaxFileBytes, CreatedAt: e.now().UTC()}
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = DefaultMaxFileBytes
	}
	err = e.store.Update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); err != nil {
			return err
		}
		if _, err := tx.CompanyBySlug(ctx, slug); err == nil {
			return Errorf(CodeConflict, "a company with the URL name %q exists already", slug)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := tx.InsertCompany(ctx, c); err != nil {
			return err
		}
		return e.audit(ctx, tx, by, AuditCompanyCreate, "company", c.ID, c.Name, c.Slug)
	})
	return c, err
}

// CleanExts normalises an extension allowlist (".PDF", "pdf" -> ".pdf") and
// refuses extensions relaydesk cannot check. Empty means the seed default.
func CleanExts(in []string) ([]string, error) {
	if len(in) == 0 {
		return DefaultAllowedExts(), nil
	}
	var out []string
	for _, x := range in {
		x = strings.ToLower(strings.TrimSpace(x))
		if x == "" {
			continue
		}
		if !strings.HasPrefix(x, ".") {
			x = "." + x
		}
		if _, ok := kindOf(x); !ok {
			return nil, Errorf(CodeInvalid, "relaydesk cannot check the content of %s files, so it cannot allow them", x)
		}
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return DefaultAllowedExts(), nil
	}
	return out, nil
}

// Slugify makes a URL name from a company name.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) > 63 {
		s = strings.TrimSuffix(s[:63], "-")
	}
	if s == "" {
		s = "company"
	}
	return s
}

// NewTechnician describes a technician to create. PasswordHash is computed
// by the caller (the console's password package); empty means no console
// login until one is set.
type NewTechnician struct {
	Email        string
	Name         string
	Role         Role
	PasswordHash string
}

// CreateTechnician adds a technician, away until they say otherwise.
func (e *Engine) CreateTechnician(ctx context.Context, by Actor, in NewTechnician) (Technician, error) {
	email, err := cleanEmail(in.Email, false)
	if err != nil {
		return Technician{}, err
	}
	name, err := cleanLine("the technician's name", in.Name, 200)
	if err != nil {
		return Technician{}, err
	}
	if name == "" {
		return Technician{}, Errorf(CodeInvalid, "a technician needs a name of 1 to 200 characters")
	}
	if in.Role == "" {
		in.Role = RoleTechnician
	}
	if !in.Role.Valid() {
		return Technician{}, Errorf(CodeInvalid, "%q is not a role; use admin or technician", in.Role)
	}
	t := Technician{ID: NewID("tec"), Email: email, Name: name, Role: in.Role, Availability: Away,
		PasswordHash: in.PasswordHash, CreatedAt: e.now().UTC()}
	err = e.store.Update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); err != nil {
			return err
		}
		if _, err := tx.TechnicianByEmail(ctx, email); err == nil {
			return Errorf(CodeConflict, "a technician with the e-mail address %s exists already", email)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := tx.InsertTechnician(ctx, t); err != nil {
			return err
		}
		return e.audit(ctx, tx, by, AuditTechCreate, "technician", t.ID, t.Name, t.Email+", "+string(t.Role))
	})
	return t, err
}

// SetPassword replaces a technician's console password hash.
func (e *Engine) SetPassword(ctx context.Context, by Actor, technicianID, hash string) error {
	return e.store.Update(ctx, func(tx Tx) error {
		if by.Kind != ActorTechnician || by.ID != technicianID {
			if err := mustAdmin(ctx, tx, by); err != nil {
				return err
			}
		}
		t, err := tx.Technician(ctx, technicianID)
		if err != nil {
			return err
		}
		t.PasswordHash = hash
		return tx.UpdateTechnician(ctx, t)
	})
}

// ClearSignInFailures lets a technician whom failed console sign-ins (their
// own, or a stranger's guesses) locked out sign in again at once: failures
// before now no longer count, in every relaydesk process. Admins only.
func (e *Engine) ClearSignInFailures(ctx context.Context, by Actor, technicianID string) (Technician, error) {
	var out Technician
	err := e.store.Update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); err != nil {
			return err
		}
		t, err := tx.Technician(ctx, technicianID)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeNotFound, "there is no such technician")
		} else if err != nil {
			return err
		}
		t.SignInResetAt = e.now().UTC()
		out = t
		return tx.UpdateTechnician(ctx, t)
	})
	out.PasswordHash = ""
	return out, err
}

// GrantAccess lets a technician serve a company's requests.
func (e *Engine) GrantAccess(ctx context.Context, by Actor, technicianID, companyID string) error {
	return e.access(ctx, by, technicianID, companyID, AuditAccessGrant, Tx.GrantAccess)
}

// RevokeAccess takes a company away from a technician. Requests they own stay
// theirs until transferred or closed by an admin.
func (e *Engine) RevokeAccess(ctx context.Context, by Actor, technicianID, companyID string) error {
	return e.access(ctx, by, technicianID, companyID, AuditAccessRevoke, Tx.RevokeAccess)
}

func (e *Engine) access(ctx context.Context, by Actor, technicianID, companyID, action string, op func(Tx, context.Context, string, string) error) error {
	return e.store.Update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); err != nil {
			return err
		}
		t, err := tx.Technician(ctx, technicianID)
		if err != nil {
			return Errorf(CodeNotFound, "there is no technician %s", technicianID)
		}
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return Errorf(CodeNotFound, "there is no company %s", companyID)
		}
		if err := op(tx, ctx, technicianID, companyID); err != nil {
			return err
		}
		return e.audit(ctx, tx, by, action, "technician", t.ID, t.Name, c.Name)
	})
}

// LinkIdentity connects a platform account to a technician, so the adapter
// can act as them.
func (e *Engine) LinkIdentity(ctx context.Context, by Actor, id Identity) error {
	if id.Platform == "" || id.ExternalID == "" || id.SubjectID == "" {
		return Errorf(CodeInvalid, "an identity needs a platform, an account ID and a subject")
	}
	if err := checkIdentity(&id); err != nil {
		return err
	}
	return e.store.Update(ctx, func(tx Tx) error {
		if by.Kind != ActorTechnician || by.ID != id.SubjectID || id.Subject != ActorTechnician {
			if err := mustAdmin(ctx, tx, by); err != nil {
				return err
			}
		}
		if id.Subject == ActorTechnician {
			// A deactivated technician's links were removed on purpose.
			if t, err := tx.Technician(ctx, id.SubjectID); err == nil && !t.Active() {
				return Errorf(CodeForbidden, "%s is deactivated; an admin must reactivate them first", t.Name)
			}
		}
		return tx.LinkIdentity(ctx, id)
	})
}

// AdminEntry is one line of the admin log: who changed what of the desk's
// set-up, and when. Names are as they were at the time.
type AdminEntry struct {
	Seq        int64
	Actor      Actor
	ActorName  string
	Action     string // one of the Audit constants
	TargetKind string // "technician" or "company"
	TargetID   string
	TargetName string
	Detail     string
	At         time.Time
}

// The actions of the admin log.
const (
	AuditCompanyCreate    = "company.create"
	AuditCompanyRename    = "company.rename"
	AuditCompanyArchive   = "company.archive"
	AuditCompanyUnarchive = "company.unarchive"
	AuditTechCreate       = "technician.create"
	AuditTechDeactivate   = "technician.deactivate"
	AuditTechReactivate   = "technician.reactivate"
	AuditTechRole         = "technician.role"
	AuditTechRequeue      = "technician.requeue"
	AuditAccessGrant      = "access.grant"
	AuditAccessRevoke     = "access.revoke"
)

// DeskState is what the first-run checklist asks of the desk: open
// companies, active technicians, and whether a customer ever came through
// the widget or the portal on their own (not by a technician's invitation).
type DeskState struct {
	Companies   int
	Technicians int
	WebRequests bool
}

// audit writes an admin log entry in the transaction of the change.
func (e *Engine) audit(ctx context.Context, tx Tx, by Actor, action, kind, id, name, detail string) error {
	entry := AdminEntry{Actor: by, Action: action, TargetKind: kind, TargetID: id, TargetName: name, Detail: detail,
		At: e.now().UTC()}
	switch by.Kind {
	case ActorSystem:
		entry.ActorName = "relaydesk CLI"
	case ActorTechnician:
		t, err := tx.Technician(ctx, by.ID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		entry.ActorName = t.Name
	}
	return tx.AppendAdminLog(ctx, entry)
}

// AdminLog returns the latest limit entries of the admin log, newest
// first. Admins only.
func (e *Engine) AdminLog(ctx context.Context, by Actor, limit int) ([]AdminEntry, error) {
	if err := mustAdmin(ctx, e.store, by); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	return e.store.AdminLog(ctx, limit)
}

// OpenOwned counts the open requests each technician owns, by technician
// ID: a deactivated technician keeps theirs until an admin transfers or
// closes them. Admins only.
func (e *Engine) OpenOwned(ctx context.Context, by Actor) (map[string]int, error) {
	if err := mustAdmin(ctx, e.store, by); err != nil {
		return nil, err
	}
	return e.store.OpenOwned(ctx)
}

// DeskState tells any technician how far the desk is set up.
func (e *Engine) DeskState(ctx context.Context, by Actor) (DeskState, error) {
	if by.Kind != ActorSystem {
		if _, err := technician(ctx, e.store, by); err != nil {
			return DeskState{}, err
		}
	}
	return e.store.DeskState(ctx)
}

// loadTechnician reads a technician an admin acts on.
func loadTechnician(ctx context.Context, q Queries, id string) (Technician, error) {
	t, err := q.Technician(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return t, Errorf(CodeNotFound, "there is no such technician")
	}
	return t, err
}

// loadCompany reads a company an admin acts on.
func loadCompany(ctx context.Context, q Queries, id string) (Company, error) {
	c, err := q.Company(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return c, Errorf(CodeNotFound, "there is no such company")
	}
	return c, err
}

// DeactivateTechnician stops a technician working here: they are signed
// out of every console at once, cannot sign in, lose their chat-platform
// links, are nobody's colleague and get no new requests. Requests they own
// stay theirs, for an admin to transfer or close (OpenOwned counts them);
// what they wrote stays. Admins only, never themselves, never the last
// active admin.
func (e *Engine) DeactivateTechnician(ctx context.Context, by Actor, id string) (Technician, error) {
	return e.setActive(ctx, by, id, false)
}

// ReturnRequests puts back in the queue (New, for any available technician
// with access) the open requests of a deactivated technician, who can no
// longer act on them. Each is unassigned in a transaction of its own, as if
// its owner had unassigned it: the customer reads that they left. Admins
// only. It returns how many went back.
func (e *Engine) ReturnRequests(ctx context.Context, by Actor, technicianID string) (int, error) {
	t, err := loadTechnician(ctx, e.store, technicianID)
	if err != nil {
		return 0, err
	}
	if err := mustAdmin(ctx, e.store, by); err != nil {
		return 0, err
	}
	if t.Active() {
		return 0, Errorf(CodeInvalidState, "%s is active: they unassign or transfer their own requests", t.Name)
	}
	ids, err := e.store.OpenRequestsOf(ctx, t.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		done := false
		err := e.update(ctx, func(tx Tx) error {
			done = false
			r, err := tx.Request(ctx, id)
			if err != nil {
				return err
			}
			if r.OwnerID != t.ID || r.Status == StatusCompleted {
				return nil // taken or closed meanwhile
			}
			c := e.begin(&r)
			r.Status, r.OwnerID, r.OwnerName, r.Chat = StatusNew, "", "", ChatWaiting
			c.add(EventUnassigned, by, AudienceAll, EventData{ActorName: t.Name, Note: "returned to the queue by an admin"})
			if err := e.save(ctx, tx, c, false, nil); err != nil {
				return err
			}
			done = true
			return e.audit(ctx, tx, by, AuditTechRequeue, "technician", t.ID, t.Name, fmt.Sprintf("request #%d", r.Number))
		})
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// ReactivateTechnician lets a deactivated technician sign in again. Their
// chat-platform accounts must be linked anew.
func (e *Engine) ReactivateTechnician(ctx context.Context, by Actor, id string) (Technician, error) {
	return e.setActive(ctx, by, id, true)
}

func (e *Engine) setActive(ctx context.Context, by Actor, id string, active bool) (Technician, error) {
	var out Technician
	err := e.store.Update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); err != nil {
			return err
		}
		t, err := loadTechnician(ctx, tx, id)
		if err != nil {
			return err
		}
		action := AuditTechReactivate
		switch {
		case active && t.Active():
			return Errorf(CodeInvalidState, "%s is active already", t.Name)
		case active:
			t.DeactivatedAt = time.Time{}
		case !t.Active():
			return Errorf(CodeInvalidState, "%s is deactivated already", t.Name)
		case by.Kind == ActorTechnician && by.ID == t.ID:
			return Errorf(CodeForbidden, "you cannot deactivate yourself; another admin can")
		default:
			if err := notLastAdmin(ctx, tx, t, "deactivate them"); err != nil {
				return err
			}
			t.DeactivatedAt, t.Availability = e.now().UTC(), Away
			action = AuditTechDeactivate
		}
		if err := tx.UpdateTechnician(ctx, t); err != nil {
			return err
		}
		if !active {
			if err := tx.EndTechnicianAccess(ctx, t.ID); err != nil {
				return err
			}
		}
		out = t
		return e.audit(ctx, tx, by, action, "technician", t.ID, t.Name, t.Email)
	})
	out.PasswordHash = ""
	if err == nil {
		e.log.InfoContext(ctx, "technician "+map[bool]string{true: "reactivated", false: "deactivated"}[active],
			"technician", out.ID, "by", by.ID)
	}
	return out, err
}

// notLastAdmin refuses to take the admin role from t, or to deactivate
// them, when t is the desk's last active admin: nobody could manage it any
// more. It locks the admins' rows (Tx.ActiveAdmins).
func notLastAdmin(ctx context.Context, tx Tx, t Technician, doing string) error {
	if !t.IsAdmin() || !t.Active() {
		return nil
	}
	admins, err := tx.ActiveAdmins(ctx)
	if err != nil {
		return err
	}
	for _, a := range admins {
		if a.ID != t.ID {
			return nil
		}
	}
	return Errorf(CodeInvalidState, "%s is the last active admin: make another technician an admin before you %s", t.Name, doing)
}

// SetRole makes a technician an admin or a technician. Admins only; the
// last active admin keeps the role, whoever asks.
func (e *Engine) SetRole(ctx context.Context, by Actor, id string, role Role) (Technician, error) {
	if !role.Valid() {
		return Technician{}, Errorf(CodeInvalid, "%q is not a role; use admin or technician", role)
	}
	var out Technician
	err := e.store.Update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); err != nil {
			return err
		}
		t, err := loadTechnician(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.Role == role {
			return Errorf(CodeInvalidState, "%s is %s already", t.Name, article(role))
		}
		if role != RoleAdmin {
			if err := notLastAdmin(ctx, tx, t, "make them a technician"); err != nil {
				return err
			}
		}
		prev := t.Role
		t.Role = role
		if err := tx.UpdateTechnician(ctx, t); err != nil {
			return err
		}
		out = t
		return e.audit(ctx, tx, by, AuditTechRole, "technician", t.ID, t.Name, string(prev)+" → "+string(role))
	})
	out.PasswordHash = ""
	return out, err
}

func article(r Role) string {
	if r == RoleAdmin {
		return "an admin"
	}
	return "a technician"
}

// RenameCompany changes a company's display name everywhere it shows; its
// slug, and so its portal address, stays.
func (e *Engine) RenameCompany(ctx context.Context, by Actor, id, name string) (Company, error) {
	return e.UpdateCompany(ctx, by, id, CompanySettings{Name: &name})
}

// ArchiveCompany closes a company's support desk (archived true) or opens
// it again. An archived company takes no new requests from any channel and
// is offered in no picker; its requests and their history stay readable.
func (e *Engine) ArchiveCompany(ctx context.Context, by Actor, id string, archived bool) (Company, error) {
	var out Company
	err := e.store.Update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); err != nil {
			return err
		}
		c, err := loadCompany(ctx, tx, id)
		if err != nil {
			return err
		}
		action := AuditCompanyUnarchive
		switch {
		case archived && c.Archived():
			return Errorf(CodeInvalidState, "%s is archived already", c.Name)
		case !archived && !c.Archived():
			return Errorf(CodeInvalidState, "%s is not archived", c.Name)
		case archived:
			c.ArchivedAt = e.now().UTC()
			action = AuditCompanyArchive
		default:
			c.ArchivedAt = time.Time{}
		}
		if err := tx.UpdateCompany(ctx, c); err != nil {
			return err
		}
		out = c
		return e.audit(ctx, tx, by, action, "company", c.ID, c.Name, c.Slug)
	})
	return out, err
}

// ErrDeskClosed refuses a new request for an archived company.
var ErrDeskClosed error = &Error{Code: CodeForbidden, Message: "this support desk is closed"}
