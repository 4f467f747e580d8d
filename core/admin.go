package core

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
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
		return tx.InsertCompany(ctx, c)
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
		return tx.InsertTechnician(ctx, t)
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
	return e.access(ctx, by, technicianID, companyID, Tx.GrantAccess)
}

// RevokeAccess takes a company away from a technician. Requests they own stay
// theirs until transferred or closed by an admin.
func (e *Engine) RevokeAccess(ctx context.Context, by Actor, technicianID, companyID string) error {
	return e.access(ctx, by, technicianID, companyID, Tx.RevokeAccess)
}

func (e *Engine) access(ctx context.Context, by Actor, technicianID, companyID string, op func(Tx, context.Context, string, string) error) error {
	return e.store.Update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); err != nil {
			return err
		}
		if _, err := tx.Technician(ctx, technicianID); err != nil {
			return Errorf(CodeNotFound, "there is no technician %s", technicianID)
		}
		if _, err := tx.Company(ctx, companyID); err != nil {
			return Errorf(CodeNotFound, "there is no company %s", companyID)
		}
		return op(tx, ctx, technicianID, companyID)
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
		return tx.LinkIdentity(ctx, id)
	})
}
