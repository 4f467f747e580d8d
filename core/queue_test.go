package core_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestQueueSortAndPages walks every view, sorted by every column in both
// directions, page by page: each page continues exactly where the last
// ended, in order, and a technician sees only their companies.
func TestQueueSortAndPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		owners := []core.Technician{d.Alice, d.Bob}
		for i := range 23 {
			o := d.Open(t, d.Acme, fmt.Sprintf("c%02d@example.com", (i*7)%23), "help")
			switch i % 4 {
			case 1, 2:
				try(e.AssignToMe(ctx, storetest.Actor(owners[i%2]), o.Request.ID)).must(t)
			case 3:
				try(e.AssignToMe(ctx, storetest.Actor(owners[i%2]), o.Request.ID)).must(t)
				try(e.Close(ctx, storetest.Actor(owners[i%2]), o.Request.ID, "")).must(t)
			}
		}
		for i := range 5 {
			d.Open(t, d.Globex, fmt.Sprintf("g%d@example.com", i), "help")
		}
		// Bob is invited into two of Alice's requests and leaves one again:
		// his Mine shows the other beside his own.
		var shared []string
		for n := int64(1001); len(shared) < 2; n++ {
			r := try(d.Store.RequestByNumber(ctx, d.Acme.ID, n)).must(t)
			if r.OwnerID == d.Alice.ID && r.Status == core.StatusActive {
				try(e.InviteTechnician(ctx, storetest.Actor(d.Alice), r.ID, d.Bob.ID)).must(t)
				shared = append(shared, r.ID)
			}
		}
		try(e.LeaveChat(ctx, storetest.Actor(d.Bob), shared[1])).must(t)
		all := map[core.View][]core.Request{}
		for _, v := range core.Views() {
			var rs []core.Request
			for _, c := range []core.Company{d.Acme, d.Globex} {
				for n := int64(1001); ; n++ {
					r, err := d.Store.RequestByNumber(ctx, c.ID, n)
					if err != nil {
						break
					}
					if inView(r, v, d.Bob.ID) {
						rs = append(rs, r)
					}
				}
			}
			all[v] = rs
		}

		for _, who := range []struct {
			tech      core.Technician
			companies []string
		}{{d.Bob, []string{d.Acme.ID}}, {d.Admin, []string{d.Acme.ID, d.Globex.ID}}} {
			for _, v := range core.Views() {
				for _, col := range core.SortColumns() {
					for _, desc := range []bool{false, true} {
						name := fmt.Sprintf("%s/%s/%s/desc=%v", who.tech.Name, v, col, desc)
						var want []core.Request
						for _, r := range all[v] {
							if slices.Contains(who.companies, r.CompanyID) && (v != core.ViewMine || r.OwnerID == who.tech.ID ||
								who.tech.ID == d.Bob.ID && r.ID == shared[0]) {
								want = append(want, r)
							}
						}
						slices.SortFunc(want, func(a, b core.Request) int {
							c := compare(sortKey(a, col), sortKey(b, col))
							if c == 0 {
								c = cmp.Compare(a.Number, b.Number)
							}
							if c == 0 {
								c = cmp.Compare(a.ID, b.ID)
							}
							if desc {
								c = -c
							}
							return c
						})
						var got []core.Request
						after := ""
						for pages := 0; ; pages++ {
							if pages > 20 {
								t.Fatalf("%s: pagination does not end", name)
							}
							p, err := e.Queue(ctx, storetest.Actor(who.tech), core.QueueRequest{View: v, Sort: col, Desc: desc, After: after, Limit: 4})
							if err != nil {
								t.Fatalf("%s: %v", name, err)
							}
							if len(p.Requests) > 4 {
								t.Fatalf("%s: page of %d", name, len(p.Requests))
							}
							got = append(got, p.Requests...)
							if after = p.NextPage; after == "" {
								break
							}
						}
						if !slices.EqualFunc(got, want, func(a, b core.Request) bool { return a.ID == b.ID }) {
							t.Errorf("%s:\n got %v\nwant %v", name, numbers(got), numbers(want))
						}
					}
				}
			}
		}
		// Carol sees Globex only; nothing of Acme ever.
		p := try(e.Queue(ctx, storetest.Actor(d.Carol), core.QueueRequest{View: core.ViewAll, Limit: 200})).must(t)
		if len(p.Requests) != 5 {
			t.Fatalf("Carol sees %d requests, want Globex's 5", len(p.Requests))
		}
		for _, r := range p.Requests {
			if r.CompanyID != d.Globex.ID {
				t.Fatalf("Carol sees %s's request #%d", r.CompanyName, r.Number)
			}
		}
	})
}

func inView(r core.Request, v core.View, me string) bool {
	switch v {
	case core.ViewNew:
		return r.Status == core.StatusNew
	case core.ViewActive:
		return r.Status == core.StatusActive
	case core.ViewCompleted:
		return r.Status == core.StatusCompleted
	case core.ViewMine:
		return r.Status != core.StatusCompleted
	}
	return true
}

// sortKey is what the lists sort r by in column col: statuses in workflow
// order, not alphabetically.
func sortKey(r core.Request, col core.SortColumn) any {
	if col == core.SortStatus {
		return int64(core.StatusRank(r.Status))
	}
	return r.SortValue(col)
}

func compare(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case string:
		return cmp.Compare(x, b.(string))
	}
	panic(fmt.Sprintf("sort value %T", a))
}

func numbers(rs []core.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmt.Sprintf("%s#%d", r.CompanyName[:1], r.Number)
	}
	return out
}

// TestRequestNumbers are short, human and unique per company.
func TestRequestNumbers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		a1 := d.Open(t, d.Acme, "a@example.com", "1")
		g1 := d.Open(t, d.Globex, "g@example.com", "1")
		a2 := d.Open(t, d.Acme, "a@example.com", "2")
		if a1.Request.Number != 1001 || a2.Request.Number != 1002 || g1.Request.Number != 1001 {
			t.Fatalf("numbers %d %d %d", a1.Request.Number, a2.Request.Number, g1.Request.Number)
		}
		if a1.Request.CustomerID != a2.Request.CustomerID {
			t.Fatal("the same customer e-mail made two customers")
		}
		r := try(d.Store.RequestByNumber(ctx, d.Acme.ID, 1002)).must(t)
		if r.ID != a2.Request.ID {
			t.Fatalf("#1002 is %s", r.ID)
		}
	})
}
