package core

import (
	"context"
	"errors"
	"io"
)

// Companies lists the companies an actor may see: all for admins and the
// system, those granted for a technician.
func (e *Engine) Companies(ctx context.Context, by Actor) ([]Company, error) {
	all, err := e.store.Companies(ctx)
	if err != nil || mustAdmin(ctx, e.store, by) == nil {
		return all, err
	}
	t, err := technician(ctx, e.store, by)
	if err != nil {
		return nil, err
	}
	every, ids, err := served(ctx, e.store, t)
	if err != nil || every {
		return all, err
	}
	out := all[:0]
	for _, c := range all {
		for _, id := range ids {
			if c.ID == id {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// Technicians lists every technician, for admins. Password hashes are
// cleared.
func (e *Engine) Technicians(ctx context.Context, by Actor) ([]Technician, error) {
	if err := mustAdmin(ctx, e.store, by); err != nil {
		return nil, err
	}
	ts, err := e.store.Technicians(ctx)
	for i := range ts {
		ts[i].PasswordHash = ""
	}
	return ts, err
}

// Colleagues lists the technicians, other than the actor, who could take
// over or join a request: those with access to its company.
func (e *Engine) Colleagues(ctx context.Context, by Actor, requestID string) ([]Technician, error) {
	me, r, err := readRequest(ctx, e.store, by, requestID)
	if err != nil {
		return nil, err
	}
	ts, err := e.store.Technicians(ctx)
	if err != nil {
		return nil, err
	}
	var out []Technician
	for _, t := range ts {
		if t.ID == me.ID {
			continue
		}
		if ok, err := canServe(ctx, e.store, t, r.CompanyID); err != nil {
			return nil, err
		} else if ok {
			t.PasswordHash = ""
			out = append(out, t)
		}
	}
	return out, nil
}

// AccessOf lists the company IDs a technician was granted, for admins and
// for the technician themself.
func (e *Engine) AccessOf(ctx context.Context, by Actor, technicianID string) ([]string, error) {
	if by.Kind != ActorTechnician || by.ID != technicianID {
		if err := mustAdmin(ctx, e.store, by); err != nil {
			return nil, err
		}
	}
	return e.store.Access(ctx, technicianID)
}

// CompanySettings are what an admin may change of a company; nil fields
// stay as they are.
type CompanySettings struct {
	Name         *string
	AllowedExts  []string // nil: unchanged
	MaxFileBytes *int64
	RotateKey    bool // issue a new portal key: the old snippet stops working
}

// UpdateCompany changes a company's settings.
func (e *Engine) UpdateCompany(ctx context.Context, by Actor, id string, in CompanySettings) (Company, error) {
	var out Company
	err := e.store.Update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); err != nil {
			return err
		}
		c, err := loadCompany(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.Name != nil {
			name, err := cleanLine("the company's name", *in.Name, 200)
			if err != nil {
				return err
			}
			if name == "" {
				return Errorf(CodeInvalid, "a company needs a name of 1 to 200 characters")
			}
			if name != c.Name {
				if err := e.audit(ctx, tx, by, AuditCompanyRename, "company", c.ID, name, c.Name+" → "+name); err != nil {
					return err
				}
			}
			c.Name = name
		}
		if in.AllowedExts != nil {
			if c.AllowedExts, err = CleanExts(in.AllowedExts); err != nil {
				return err
			}
		}
		if in.MaxFileBytes != nil {
			if *in.MaxFileBytes <= 0 || *in.MaxFileBytes > 2<<30 {
				return Errorf(CodeInvalid, "the file size limit must be between 1 byte and 2 GB")
			}
			c.MaxFileBytes = *in.MaxFileBytes
		}
		if in.RotateKey {
			c.PortalKey = NewID("pk")
		}
		out = c
		return tx.UpdateCompany(ctx, c)
	})
	return out, err
}

// DeliveryFile returns the file an event of the log carries, and its
// bytes, for a destination delivering that event to those the event's
// audience names. The event grants the read, not its author: a sender who
// has lost access since still had it when the file was shared.
func (e *Engine) DeliveryFile(ctx context.Context, ev Event) (File, io.ReadCloser, error) {
	notFound := Errorf(CodeNotFound, "file not found")
	if ev.Data.File == nil {
		return File{}, nil, notFound
	}
	f, err := e.store.File(ctx, ev.Data.File.ID)
	if errors.Is(err, ErrNotFound) || (err == nil && f.RequestID != ev.RequestID) {
		return File{}, nil, notFound
	} else if err != nil {
		return File{}, nil, err
	}
	rc, err := e.blobs.Open(ctx, f.SHA256)
	return f, rc, err
}

// OpenFile returns a file and its bytes if the actor may see the message
// that carries it: a technician with access to the request's company, or a
// customer the message was addressed to.
func (e *Engine) OpenFile(ctx context.Context, by Actor, fileID string) (File, io.ReadCloser, error) {
	notFound := Errorf(CodeNotFound, "file not found")
	f, err := e.store.File(ctx, fileID)
	if err != nil {
		return File{}, nil, notFound
	}
	v, err := e.ViewRequest(ctx, by, f.RequestID)
	if err != nil {
		switch ErrorCode(err) {
		case CodeForbidden, CodeNotFound:
			return File{}, nil, notFound // leak nothing about other requests
		}
		return File{}, nil, err
	}
	if _, ok := v.Files[f.ID]; !ok {
		return File{}, nil, notFound
	}
	rc, err := e.blobs.Open(ctx, f.SHA256)
	return f, rc, err
}
