package console_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// rowJSON is a list row as tests read it.
type rowJSON struct {
	ID                string   `json:"id"`
	Number            int64    `json:"number"`
	Status            string   `json:"status"`
	CustomerName      string   `json:"customer_name"`
	Role              *string  `json:"role"`
	Preview           *string  `json:"preview"`
	PreviewAuthorKind *string  `json:"preview_author_kind"`
	CustomerLeft      *bool    `json:"customer_left"`
	Unread            *int     `json:"unread"`
	Actions           []string `json:"actions"`
}

func (b *browser) rows(query string) map[string]rowJSON {
	b.e.t.Helper()
	res := b.do("GET", "/console/api/requests?"+query, nil, nil)
	if res.code != 200 {
		b.e.t.Fatalf("list %s: %d %s", query, res.code, res.body)
	}
	var page struct {
		Requests []rowJSON `json:"requests"`
	}
	res.json(b.e.t, &page)
	out := map[string]rowJSON{}
	for _, r := range page.Requests {
		if r.Role == nil || r.Preview == nil || r.PreviewAuthorKind == nil || r.CustomerLeft == nil || r.Unread == nil || r.Actions == nil {
			b.e.t.Fatalf("row %d lacks a field: %s", r.Number, res.body)
		}
		out[r.ID] = r
	}
	return out
}

// TestWorkspaceAPI: the list rows carry role, preview, unread, customer_left
// and actions; POST .../read records a read mark that only goes forward
// and that the details answer as read_rseq without moving it; a
// collaborator leaves with the leave action and the timeline says so.
func TestWorkspaceAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		ctx := t.Context()
		alice, bob, carol := e.login(d.Alice), e.login(d.Bob), e.login(d.Carol)
		o := d.Live(t)
		id := o.Request.ID
		cust := core.CustomerActor(o.Participant.ID)
		m, err := d.Engine.PostMessage(ctx, cust, id, core.Post{Body: "is anyone **there**?"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Engine.InviteTechnician(ctx, storetest.Actor(d.Alice), id, d.Bob.ID); err != nil {
			t.Fatal(err)
		}

		r := alice.rows("view=mine")[id]
		if *r.Role != "owner" || *r.Preview != "is anyone there?" || *r.PreviewAuthorKind != "customer" || *r.Unread != 2 ||
			*r.CustomerLeft || !slices.Contains(r.Actions, "close") || slices.Contains(r.Actions, "leave") {
			t.Errorf("Alice's row: %+v", r)
		}
		if r := bob.rows("view=mine")[id]; *r.Role != "collaborator" || *r.Unread != 2 || !slices.Equal(r.Actions, []string{"leave"}) {
			t.Errorf("Bob's row: %+v", r)
		}

		read := func(b *browser, body any) response {
			t.Helper()
			return b.do("POST", "/console/api/requests/"+id+"/read", body, nil)
		}
		readRSeq := func(b *browser) int64 {
			t.Helper()
			var dt struct {
				ReadRSeq *int64 `json:"read_rseq"`
			}
			res := b.do("GET", "/console/api/requests/"+id, nil, nil)
			res.json(t, &dt)
			if dt.ReadRSeq == nil {
				t.Fatalf("the details lack read_rseq: %s", res.body)
			}
			return *dt.ReadRSeq
		}
		if got := readRSeq(alice); got != 0 {
			t.Errorf("read_rseq before any mark: %d", got)
		}
		if got := readRSeq(alice); got != 0 {
			t.Errorf("loading the details marked them read: %d", got)
		}
		for _, c := range []struct {
			name string
			by   *browser
			body any
			code int
			want string
		}{
			{"mark up to the customer's line", alice, map[string]any{"rseq": m.RSeq}, 200, `"read_rseq":` + strconv.FormatInt(m.RSeq, 10)},
			{"an older mark keeps the newer", alice, map[string]any{"rseq": 1}, 200, `"read_rseq":` + strconv.FormatInt(m.RSeq, 10)},
			{"past the last line", alice, map[string]any{"rseq": 1000}, 400, "no line 1000"},
			{"negative", alice, map[string]any{"rseq": -3}, 400, "0 or more"},
			{"no rseq", alice, map[string]any{}, 400, "rseq"},
			{"not a number", alice, `{"rseq":"five"}`, 400, ""},
			{"malformed JSON", alice, `{"rseq":`, 400, ""},
			{"another company's request", carol, map[string]any{"rseq": 1}, 404, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				res := read(c.by, c.body)
				if res.code != c.code || !strings.Contains(res.body, c.want) {
					t.Fatalf("%d %s; want %d with %q", res.code, res.body, c.code, c.want)
				}
			})
		}
		if got := carol.do("GET", "/console/api/requests/"+id, nil, nil); got.code != 404 {
			t.Errorf("Carol reads the details: %d, the same answer as marking expected", got.code)
		}
		if got := readRSeq(alice); got != m.RSeq {
			t.Errorf("read_rseq %d, want %d", got, m.RSeq)
		}
		if r := alice.rows("view=mine")[id]; *r.Unread != 0 {
			t.Errorf("after reading, %d unread", *r.Unread)
		}
		if got := readRSeq(bob); got != 0 {
			t.Errorf("Alice's mark is Bob's too: %d", got)
		}

		res := bob.do("POST", "/console/api/requests/"+id+"/leave", nil, nil)
		if res.code != 200 || !strings.Contains(res.body, "Bob left the chat") {
			t.Fatalf("leave: %d %s", res.code, res.body)
		}
		if _, ok := bob.rows("view=mine")[id]; ok {
			t.Error("the request stays in Bob's Mine after he left")
		}
		if res := alice.do("POST", "/console/api/requests/"+id+"/leave", nil, nil); res.code != 409 {
			t.Errorf("the owner leaves: %d %s", res.code, res.body)
		}
	})
}

// TestCloseFromQueueWhenCustomerLeft: a New request whose customer left
// shows customer_left and offers close to a technician of the company, who
// closes it; while the customer is there, close is neither offered nor
// allowed.
func TestCloseFromQueueWhenCustomerLeft(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		bob := e.login(d.Bob)
		o := d.Open(t, d.Acme, "gone@example.com", "never mind")
		id := o.Request.ID
		if r := bob.rows("view=new")[id]; *r.CustomerLeft || slices.Contains(r.Actions, "close") {
			t.Errorf("customer present: %+v", r)
		}
		res := bob.do("POST", "/console/api/requests/"+id+"/close", nil, nil)
		if res.code != 403 || !strings.Contains(res.body, "still in the chat") {
			t.Errorf("closing while the customer is there: %d %s", res.code, res.body)
		}
		if err := d.Engine.Leave(t.Context(), core.CustomerActor(o.Participant.ID)); err != nil {
			t.Fatal(err)
		}
		if r := bob.rows("view=new")[id]; !*r.CustomerLeft || !slices.Equal(r.Actions, []string{"assign", "close"}) {
			t.Errorf("customer left: %+v", r)
		}
		if dt := bob.detail(id); !slices.Contains(dt.Actions, "close") {
			t.Errorf("the details offer %v", dt.Actions)
		}
		res = bob.do("POST", "/console/api/requests/"+id+"/close", map[string]string{"note": "customer left"}, nil)
		if res.code != 200 || !strings.Contains(res.body, `"status":"completed"`) {
			t.Fatalf("close: %d %s", res.code, res.body)
		}
	})
}
