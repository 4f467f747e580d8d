package bots

import (
	"context"
	"strconv"
	"strings"

	"github.com/relaydesk/relaydesk/core"
)

// FindRequest resolves a request reference typed in a chat, "1001" or
// "acme#1001": the company is the one named, else channelCompany (the
// company whose queue channel it was typed in; "" for none), else the only
// one of the technician's companies that has such a request.
func FindRequest(ctx context.Context, eng *core.Engine, by core.Actor, channelCompany, ref string) (core.Request, error) {
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
		co, err := eng.Store().CompanyBySlug(ctx, slug)
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
		r, err := eng.Store().RequestByNumber(ctx, id, n)
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
