package core_test

import (
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestAllowedAgreesWithTheEngine: for every request state, technician and
// action, the action is listed in the request view exactly when the engine
// accepts it. Each try acts on a request of its own in that state.
func TestAllowedAgreesWithTheEngine(t *testing.T) {
	d := storetest.NewDesk(t, storetest.SQLite(t))
	e := d.Engine
	alice := storetest.Actor(d.Alice)
	steps := map[string]func(id string){
		"assign": func(id string) { try(e.AssignToMe(ctx, alice, id)).must(t) },
		"join":   func(id string) { try(e.JoinChat(ctx, alice, id)).must(t) },
		"end":    func(id string) { try(e.EndChat(ctx, alice, id)).must(t) },
		"close":  func(id string) { try(e.Close(ctx, alice, id, "")).must(t) },
	}
	states := []struct {
		name   string
		device string
		steps  []string
	}{
		{"new", "desktop", nil},
		{"assigned", "desktop", []string{"assign"}},
		{"live", "desktop", []string{"assign", "join"}},
		{"live with a phone", "mobile", []string{"assign", "join"}},
		{"chat ended", "desktop", []string{"assign", "join", "end"}},
		{"completed", "desktop", []string{"assign", "close"}},
	}
	techs := []core.Technician{d.Alice, d.Bob, d.Dave, d.Admin}
	actions := []core.Action{core.ActionAssign, core.ActionJoin, core.ActionEnd, core.ActionScreenShare, core.ActionSystemInfo,
		core.ActionUnassign, core.ActionTransfer, core.ActionInvite, core.ActionClose}
	seen := map[core.Action]bool{}
	for _, st := range states {
		for _, tech := range techs {
			for _, act := range actions {
				o, err := e.OpenRequest(ctx, core.OpenRequest{CompanyID: d.Acme.ID, Email: "c@example.com", Message: "help",
					Source: core.Source{Channel: "web", Device: st.device}})
				if err != nil {
					t.Fatal(err)
				}
				id := o.Request.ID
				for _, s := range st.steps {
					steps[s](id)
				}
				by := storetest.Actor(tech)
				v, err := e.ViewRequest(ctx, by, id)
				if err != nil {
					t.Fatal(err)
				}
				offered := slices.Contains(v.Actions, act)
				args := core.ActionArgs{Technician: d.Bob.ID}
				if tech.ID == d.Bob.ID {
					args.Technician = d.Alice.ID
				}
				_, err = e.Act(ctx, by, id, act, args)
				if offered != (err == nil) {
					t.Errorf("%s request, %s, %s: offered %v, but the engine answered %v", st.name, tech.Name, act, offered, err)
				}
				seen[act] = seen[act] || offered
			}
		}
	}
	for _, act := range actions {
		if !seen[act] {
			t.Errorf("%s was never offered: the table does not cover it", act)
		}
	}
}
