package bots

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/relaydesk/relaydesk/core"
)

// Directory is what the helpers shared by the technician platforms read of
// the desk: the store, in relaydesk.
type Directory interface {
	CompanyBySlug(ctx context.Context, slug string) (core.Company, error)
	RequestByNumber(ctx context.Context, companyID string, number int64) (core.Request, error)
	Technician(ctx context.Context, id string) (core.Technician, error)
	Identity(ctx context.Context, platform, externalID string) (core.Identity, error)
}

// QueueChannels reads the technician platforms' queue channels: the store.
type QueueChannels interface {
	QueueChannel(ctx context.Context, platform, companyID string) (string, error)
	ChannelCompany(ctx context.Context, platform, channel string) (string, error)
}

// QueueChannel is the company's queue channel on platform; false when it
// has none.
func QueueChannel(ctx context.Context, st QueueChannels, platform, companyID string) (string, bool, error) {
	return found(st.QueueChannel(ctx, platform, companyID))
}

// ChannelCompany is the company whose queue channel is on platform; false
// when it is none's.
func ChannelCompany(ctx context.Context, st QueueChannels, platform, channel string) (string, bool, error) {
	return found(st.ChannelCompany(ctx, platform, channel))
}

// found turns a read's CodeNotFound into false.
func found(v string, err error) (string, bool, error) {
	if core.ErrorCode(err) == core.CodeNotFound {
		return "", false, nil
	}
	return v, err == nil, err
}

// TechnicianWants reports whether an event may concern a technician
// platform (dispatch.Selective): every event of a company with a queue
// channel there (its card and thread), and every new request (the notices
// to technicians). The dispatcher keeps no bookkeeping for the rest.
func TechnicianWants(ctx context.Context, st QueueChannels, platform string, ev core.Event) (bool, error) {
	if ev.Type == core.EventCreated {
		return true, nil
	}
	_, ok, err := QueueChannel(ctx, st, platform, ev.CompanyID)
	return ok, err
}

// FindRequest resolves a request reference typed in a chat, "1001" or
// "acme#1001": the company is the one named, else channelCompany (the
// company whose queue channel it was typed in; "" for none), else the only
// one of the technician's companies that has such a request.
func FindRequest(ctx context.Context, eng *core.Engine, dir Directory, by core.Actor, channelCompany, ref string) (core.Request, error) {
	slug, num, ok := strings.Cut(strings.TrimPrefix(ref, "#"), "#")
	if !ok {
		slug, num = "", slug
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return core.Request{}, core.Errorf(core.CodeInvalid, "%q is not a request number such as 1001 or acme#1001", ref)
	}
	var companies []string
	switch {
	case slug != "":
		co, err := dir.CompanyBySlug(ctx, slug)
		if err != nil {
			return core.Request{}, core.Errorf(core.CodeNotFound, "there is no company %q", slug)
		}
		companies = []string{co.ID}
	default:
		if channelCompany != "" {
			companies = []string{channelCompany}
			break
		}
		cos, err := eng.Companies(ctx, by)
		if err != nil {
			return core.Request{}, err
		}
		for _, c := range cos {
			companies = append(companies, c.ID)
		}
	}
	var found []core.Request
	for _, id := range companies {
		r, err := dir.RequestByNumber(ctx, id, n)
		if core.ErrorCode(err) == core.CodeNotFound {
			continue
		} else if err != nil {
			return r, err
		}
		found = append(found, r)
	}
	switch len(found) {
	case 0:
		return core.Request{}, core.Errorf(core.CodeNotFound, "there is no request #%d you can see", n)
	case 1:
		return found[0], nil
	}
	return core.Request{}, core.Errorf(core.CodeInvalid, "several companies have a request #%d; write it as company#%d", n, n)
}

// InviteCustomer starts a technician-side session at the company named by
// slug and returns the sentence, with the customer's join link (shown
// once), that the technician reads.
func InviteCustomer(ctx context.Context, eng *core.Engine, dir Directory, by core.Actor, publicURL, slug, subject string) (string, error) {
	co, err := dir.CompanyBySlug(ctx, slug)
	if core.ErrorCode(err) == core.CodeNotFound {
		return "", core.Errorf(core.CodeNotFound, "there is no company %q", slug)
	} else if err != nil {
		return "", err
	}
	inv, err := eng.InviteCustomer(ctx, by, co.ID, subject)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Session #%d with %s is open and you are in its chat. Give the customer this link (shown once): %s/widget/join?code=%s",
		inv.Request.Number, co.Name, publicURL, url.QueryEscape(inv.Code)), nil
}
