package console_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

func testFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "core", "testdata", "files", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoutes walks every technician API route as Alice, from a
// customer's new request to its close, with what each answers and
// refuses; the conversation every adapter passes is TestConversation.
func TestRoutes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		alice := e.login(d.Alice)

		var me struct {
			Name, Availability, Position string
		}
		alice.do("GET", "/console/api/me", nil, nil).json(t, &me)
		if me.Name != "Alice" || me.Availability != "available" || me.Position == "" {
			t.Fatalf("me: %+v", me)
		}

		o := d.Open(t, d.Acme, "customer@example.com", "my printer is on fire")
		id := o.Request.ID
		other := d.Open(t, d.Acme, "second@example.com", "and the fax too")

		steps := []struct {
			name   string
			method string
			path   string
			body   any
			code   int
			check  func(t *testing.T, res response)
		}{
			{"go busy", "POST", "/console/api/me/availability", map[string]string{"availability": "busy"}, 200, func(t *testing.T, res response) {
				if !strings.Contains(res.body, `"availability":"busy"`) {
					t.Fatal(res.body)
				}
			}},
			{"the New view is empty while busy", "GET", "/console/api/requests?view=new", nil, 200, func(t *testing.T, res response) {
				if !strings.Contains(res.body, `"requests":[]`) {
					t.Fatal(res.body)
				}
			}},
			{"All hides New requests while busy", "GET", "/console/api/requests?view=all", nil, 200, func(t *testing.T, res response) {
				if !strings.Contains(res.body, `"requests":[]`) {
					t.Fatal(res.body)
				}
			}},
			{"a request cannot be taken while busy", "GET", "/console/api/requests/" + id, nil, 200, func(t *testing.T, res response) {
				var dt detail
				res.json(t, &dt)
				if len(dt.Actions) != 0 || !dt.CanNote || dt.CanMessage {
					t.Fatalf("busy: %+v", dt)
				}
			}},
			{"available again", "POST", "/console/api/me/availability", map[string]string{"availability": "available"}, 200, nil},
			{"bad availability", "POST", "/console/api/me/availability", map[string]string{"availability": "asleep"}, 400, nil},
			{"malformed JSON", "POST", "/console/api/me/availability", `{"availability":`, 400, nil},
			{"unknown field", "POST", "/console/api/me/availability", `{"availability":"away","x":1}`, 400, nil},
			{"the new request is in New", "GET", "/console/api/requests?view=new&sort=number&desc=true", nil, 200, func(t *testing.T, res response) {
				var page struct {
					Requests []struct {
						ID, Status, Company, CustomerEmail string
					} `json:"requests"`
					Position string `json:"position"`
				}
				res.json(t, &page)
				if len(page.Requests) != 2 || page.Requests[0].ID != other.Request.ID || page.Requests[1].ID != id || page.Position == "" {
					t.Fatalf("%+v", page)
				}
			}},
			{"details of a new request", "GET", "/console/api/requests/" + id, nil, 200, func(t *testing.T, res response) {
				var dt detail
				res.json(t, &dt)
				if !slices.Equal(dt.Actions, []string{"assign"}) || dt.Request.Status != "new" || dt.Request.CustomerEml != "customer@example.com" ||
					dt.Source.OS != "Windows" || dt.Source.Browser != "Firefox" || dt.Source.Device != "desktop" {
					t.Fatalf("%+v", dt)
				}
				if len(dt.Timeline) != 2 || dt.Timeline[0].Kind != "notice" || dt.Timeline[1].Body != "my printer is on fire" {
					t.Fatalf("timeline %+v", dt.Timeline)
				}
			}},
			{"assign to me", "POST", "/console/api/requests/" + id + "/assign", nil, 200, func(t *testing.T, res response) {
				var dt detail
				res.json(t, &dt)
				if dt.Request.Status != "active" || dt.Request.Owner != "Alice" ||
					!slices.Equal(dt.Actions, []string{"join", "unassign", "transfer", "invite", "close"}) {
					t.Fatalf("%+v", dt)
				}
			}},
			{"colleagues with access", "GET", "/console/api/colleagues?request=" + id, nil, 200, func(t *testing.T, res response) {
				for _, who := range []string{"Bob", "Dave", "Admin"} {
					if !strings.Contains(res.body, `"name":"`+who+`"`) {
						t.Errorf("%s missing: %s", who, res.body)
					}
				}
				if strings.Contains(res.body, "Carol") || strings.Contains(res.body, `"name":"Alice"`) {
					t.Errorf("%s", res.body)
				}
			}},
			{"colleagues need a request", "GET", "/console/api/colleagues", nil, 400, nil},
			{"a message before joining", "POST", "/console/api/requests/" + id + "/messages", map[string]any{"body": "hello"}, 409, nil},
			{"join the chat", "POST", "/console/api/requests/" + id + "/join", map[string]any{}, 200, func(t *testing.T, res response) {
				var dt detail
				res.json(t, &dt)
				if dt.Request.Chat != "live" || !dt.CanMessage ||
					!slices.Equal(dt.Actions, []string{"end", "screenshare", "cobrowse", "call", "sysinfo", "unassign", "transfer", "invite", "close"}) {
					t.Fatalf("%+v", dt)
				}
			}},
			{"write to the customer", "POST", "/console/api/requests/" + id + "/messages", map[string]any{"body": "On my way."}, 201, nil},
			{"write to one customer", "POST", "/console/api/requests/" + id + "/messages", map[string]any{"body": "Just you.", "to": o.Participant.ID}, 201, func(t *testing.T, res response) {
				if !strings.Contains(res.body, `"to":"`+o.Participant.ID+`"`) {
					t.Fatal(res.body)
				}
			}},
			{"a private note", "POST", "/console/api/requests/" + id + "/messages", map[string]any{"body": "customer sounds stressed", "note": true}, 201, func(t *testing.T, res response) {
				if !strings.Contains(res.body, `"note":true`) {
					t.Fatal(res.body)
				}
			}},
			{"a note cannot be addressed", "POST", "/console/api/requests/" + id + "/messages", map[string]any{"body": "x", "note": true, "to": o.Participant.ID}, 400, nil},
			{"an empty message", "POST", "/console/api/requests/" + id + "/messages", map[string]any{"body": "  "}, 400, nil},
			{"a message as form data", "POST", "/console/api/requests/" + id + "/messages", []byte("body=x"), 415, nil},
			{"request screen sharing", "POST", "/console/api/requests/" + id + "/screenshare", nil, 200, nil},
			{"request system info", "POST", "/console/api/requests/" + id + "/sysinfo", nil, 200, nil},
			{"invite a technician", "POST", "/console/api/requests/" + id + "/invite", map[string]string{"technician": d.Bob.ID}, 200, nil},
			{"invite without a technician", "POST", "/console/api/requests/" + id + "/invite", map[string]string{}, 400, nil},
			{"invite someone without access", "POST", "/console/api/requests/" + id + "/invite", map[string]string{"technician": d.Carol.ID}, 403, nil},
			{"an unknown action", "POST", "/console/api/requests/" + id + "/dance", nil, 404, nil},
			{"end the chat", "POST", "/console/api/requests/" + id + "/end", nil, 200, func(t *testing.T, res response) {
				var dt detail
				res.json(t, &dt)
				if dt.Request.Chat != "ended" || dt.Request.Status != "active" || dt.CanMessage {
					t.Fatalf("%+v", dt)
				}
			}},
			{"it is in Mine", "GET", "/console/api/requests?view=mine", nil, 200, func(t *testing.T, res response) {
				if !strings.Contains(res.body, id) {
					t.Fatal(res.body)
				}
			}},
			{"close with a note", "POST", "/console/api/requests/" + id + "/close", map[string]string{"note": "replaced the toner"}, 200, func(t *testing.T, res response) {
				var dt detail
				res.json(t, &dt)
				if dt.Request.Status != "completed" || dt.ClosingNote != "replaced the toner" || len(dt.Actions) != 0 || dt.CanMessage || !dt.CanNote {
					t.Fatalf("%+v", dt)
				}
			}},
			{"Completed lists it", "GET", "/console/api/requests?view=completed", nil, 200, func(t *testing.T, res response) {
				if !strings.Contains(res.body, id) {
					t.Fatal(res.body)
				}
			}},
			{"Mine does not", "GET", "/console/api/requests?view=mine", nil, 200, func(t *testing.T, res response) {
				if strings.Contains(res.body, id) {
					t.Fatal(res.body)
				}
			}},
			{"assign the other one", "POST", "/console/api/requests/" + other.Request.ID + "/assign", nil, 200, nil},
			{"unassign it", "POST", "/console/api/requests/" + other.Request.ID + "/unassign", nil, 200, func(t *testing.T, res response) {
				var dt detail
				res.json(t, &dt)
				if dt.Request.Status != "new" || dt.Request.Owner != "" {
					t.Fatalf("%+v", dt)
				}
			}},
			{"assign it again", "POST", "/console/api/requests/" + other.Request.ID + "/assign", nil, 200, nil},
			{"transfer it to Bob", "POST", "/console/api/requests/" + other.Request.ID + "/transfer", map[string]string{"technician": d.Bob.ID}, 200, func(t *testing.T, res response) {
				var dt detail
				res.json(t, &dt)
				if dt.Request.Owner != "Bob" || len(dt.Actions) != 0 {
					t.Fatalf("%+v", dt)
				}
			}},
			{"companies to invite customers of", "GET", "/console/api/companies", nil, 200, func(t *testing.T, res response) {
				if !strings.Contains(res.body, d.Acme.ID) || strings.Contains(res.body, d.Globex.ID) {
					t.Fatal(res.body)
				}
			}},
			{"invite a customer", "POST", "/console/api/invite-customer", map[string]string{"company": d.Acme.ID, "subject": "VPN set-up"}, 201, func(t *testing.T, res response) {
				var inv struct {
					Code, Link string
					Request    struct{ Status, Owner string }
				}
				res.json(t, &inv)
				if inv.Code == "" || inv.Link != e.srv.URL+"/widget/join?code="+inv.Code || inv.Request.Status != "active" || inv.Request.Owner != "Alice" {
					t.Fatalf("%+v", inv)
				}
			}},
			{"invite a customer of another company", "POST", "/console/api/invite-customer", map[string]string{"company": d.Globex.ID}, 403, nil},
			{"invite a customer of no company", "POST", "/console/api/invite-customer", map[string]string{}, 400, nil},
			{"a bad page cursor", "GET", "/console/api/requests?view=all&after=garbage", nil, 400, nil},
			{"a bad sort", "GET", "/console/api/requests?view=all&sort=mood", nil, 400, nil},
			{"a bad view", "GET", "/console/api/requests?view=mood", nil, 400, nil},
			{"a bad limit", "GET", "/console/api/requests?limit=1000", nil, 400, nil},
			{"an unknown request", "GET", "/console/api/requests/req_nope", nil, 404, nil},
			{"an unknown API call", "GET", "/console/api/nothing", nil, 404, func(t *testing.T, res response) {
				if res.errCode() != "not_found" {
					t.Fatal(res.body)
				}
			}},
			{"the feed from the start of the page", "GET", "/console/api/feed?after=" + me.Position, nil, 200, func(t *testing.T, res response) {
				// On PostgreSQL a poll may stop early at a transaction still
				// running elsewhere on the server; follow "next" as a browser does.
				body := res.body
				for polls := 0; !strings.Contains(body, `"type":"request.transferred"`); polls++ {
					var fr struct{ Next string }
					res.json(t, &fr)
					if polls == 50 {
						t.Fatalf("the feed did not reach request.transferred: %s", body)
					}
					res = alice.do("GET", "/console/api/feed?after="+fr.Next, nil, nil)
					body += res.body
				}
				for _, typ := range []string{"request.created", "request.assigned", "chat.joined", "chat.note", "request.closed", "request.transferred"} {
					if !strings.Contains(body, `"type":"`+typ+`"`) {
						t.Errorf("the feed lacks %s", typ)
					}
				}
			}},
			{"a bad feed position", "GET", "/console/api/feed?after=x", nil, 400, nil},
		}
		for _, s := range steps {
			res := alice.do(s.method, s.path, s.body, nil)
			if res.code != s.code {
				t.Fatalf("%s: %d %s, want %d", s.name, res.code, res.body, s.code)
			}
			if s.check != nil {
				t.Run(s.name, func(t *testing.T) { s.check(t, res) })
			}
		}

		// Every view and every sort, both ways, answers.
		for _, v := range []string{"all", "new", "active", "completed", "mine"} {
			for _, s := range []string{"number", "created", "updated", "company", "status", "owner", "customer"} {
				for _, desc := range []string{"false", "true"} {
					alice.list("view=" + v + "&sort=" + s + "&desc=" + desc)
				}
			}
		}

		// The timeline: notes marked, notices between the lines, the
		// message to one customer says so.
		dt := alice.detail(id)
		var kinds []string
		for _, l := range dt.Timeline {
			kinds = append(kinds, l.Kind)
			if l.Body == "customer sounds stressed" && l.Kind != "note" {
				t.Errorf("the note is a %s", l.Kind)
			}
			if l.Body == "Just you." && l.To == "" {
				t.Error("the direct message does not say to whom")
			}
		}
		if !slices.IsSortedFunc(dt.Timeline, func(a, b struct {
			RSeq int64  `json:"rseq"`
			Kind string `json:"kind"`
			Body string `json:"body"`
			To   string `json:"to"`
			File *struct {
				ID  string `json:"id"`
				URL string `json:"url"`
			} `json:"file"`
		}) int {
			return int(a.RSeq - b.RSeq)
		}) || !contains(kinds, "note") || !contains(kinds, "notice") {
			t.Fatalf("timeline kinds %v", kinds)
		}
	})
}

func TestFiles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		o := d.Live(t) // Acme, Alice's, chat joined
		id := o.Request.ID
		alice := e.login(d.Alice)
		png := testFile(t, "photo.png")

		res := alice.upload(id, "photo.png", png, "")
		if res.code != http.StatusCreated {
			t.Fatalf("upload: %d %s", res.code, res.body)
		}
		var up struct {
			File struct{ ID, URL, Name string } `json:"file"`
		}
		res.json(t, &up)
		if up.File.URL != "/console/api/files/"+up.File.ID {
			t.Fatalf("%+v", up)
		}
		res = alice.upload(id, "notes.txt", testFile(t, "notes.txt"), o.Participant.ID)
		if res.code != http.StatusCreated || !strings.Contains(res.body, `"to":"`+o.Participant.ID+`"`) {
			t.Fatalf("upload to one customer: %d %s", res.code, res.body)
		}
		var txt struct {
			File struct{ ID string } `json:"file"`
		}
		res.json(t, &txt)

		before := e.snapshot()
		refused := []struct {
			name, file string
			content    []byte
			code       int
		}{
			{"a type not allowed", "page.html", testFile(t, "page.html"), http.StatusUnsupportedMediaType},
			{"content that is not what the name says", "report.pdf", testFile(t, "program.txt"), http.StatusUnsupportedMediaType},
			{"an empty file", "empty.txt", nil, http.StatusBadRequest},
		}
		for _, tc := range refused {
			if res := alice.upload(id, tc.file, tc.content, ""); res.code != tc.code {
				t.Errorf("%s: %d %s", tc.name, res.code, res.body)
			}
		}
		if res := alice.do("POST", "/console/api/requests/"+id+"/files", map[string]string{"a": "b"}, nil); res.code != 400 {
			t.Errorf("JSON instead of multipart: %d", res.code)
		}
		if after := e.snapshot(); after != before {
			t.Fatal("a refused upload changed the database")
		}
		// Globex allows 64 KB.
		g := d.Open(t, d.Globex, "big@example.com", "here comes a big one")
		carol := e.login(d.Carol)
		carol.do("POST", "/console/api/requests/"+g.Request.ID+"/assign", nil, nil)
		carol.do("POST", "/console/api/requests/"+g.Request.ID+"/join", nil, nil)
		before = e.snapshot()
		big := append([]byte("log line\n"), make([]byte, 70<<10)...)
		for i := range big {
			if big[i] == 0 {
				big[i] = 'x'
			}
		}
		if res := carol.upload(g.Request.ID, "big.log", big, ""); res.code != http.StatusRequestEntityTooLarge {
			t.Errorf("oversize: %d %s", res.code, res.body)
		}
		if after := e.snapshot(); after != before {
			t.Fatal("a refused upload changed the database")
		}

		downloads := []struct {
			name   string
			who    core.Technician
			file   string
			code   int
			ctype  string
			inline bool
		}{
			{"the uploader", d.Alice, up.File.ID, 200, "image/png", true},
			{"a colleague with access", d.Bob, up.File.ID, 200, "image/png", true},
			{"an admin", d.Admin, up.File.ID, 200, "image/png", true},
			{"a text file is an attachment", d.Bob, txt.File.ID, 200, "text/plain; charset=utf-8", false},
			{"a technician of another company", d.Carol, up.File.ID, 404, "", false},
			{"an unknown file", d.Alice, "fil_nope", 404, "", false},
		}
		for _, tc := range downloads {
			t.Run(tc.name, func(t *testing.T) {
				b := alice
				switch tc.who.ID {
				case d.Bob.ID, d.Admin.ID:
					b = e.login(tc.who)
				case d.Carol.ID:
					b = carol
				}
				res := b.do("GET", "/console/api/files/"+tc.file, nil, nil)
				if res.code != tc.code {
					t.Fatalf("%d %s", res.code, res.body)
				}
				if tc.code != 200 {
					return
				}
				cd := res.hdr.Get("Content-Disposition")
				if res.hdr.Get("Content-Type") != tc.ctype || res.hdr.Get("X-Content-Type-Options") != "nosniff" ||
					strings.HasPrefix(cd, "inline") != tc.inline || !strings.Contains(cd, "filename=") ||
					!strings.Contains(res.hdr.Get("Content-Security-Policy"), "sandbox") {
					t.Fatalf("headers %v", res.hdr)
				}
				if tc.file == up.File.ID && res.body != string(png) {
					t.Fatal("the bytes differ")
				}
			})
		}
	})
}

// TestNoAccess: Carol serves Globex only. Acme's requests never show in her
// lists and she can do nothing with them.
func TestNoAccess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		o := d.Live(t)
		id := o.Request.ID
		alice := e.login(d.Alice)
		res := alice.upload(id, "photo.png", testFile(t, "photo.png"), "")
		var up struct {
			File struct{ ID string } `json:"file"`
		}
		res.json(t, &up)
		fresh := d.Open(t, d.Acme, "other@example.com", "new one")
		mine := d.Open(t, d.Globex, "globex@example.com", "hello Globex")

		carol := e.login(d.Carol)
		for _, v := range []string{"all", "new", "active", "completed", "mine"} {
			for _, s := range []string{"number", "company", "customer"} {
				ids := carol.list("view=" + v + "&sort=" + s)
				if contains(ids, id) || contains(ids, fresh.Request.ID) {
					t.Fatalf("Carol sees Acme's request in %s", v)
				}
				if (v == "all" || v == "new") && !contains(ids, mine.Request.ID) {
					t.Fatalf("Carol does not see Globex's request in %s", v)
				}
			}
		}
		before := e.snapshot()
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/console/api/requests/" + id, nil},
			{"GET", "/console/api/requests/" + fresh.Request.ID, nil},
			{"POST", "/console/api/requests/" + fresh.Request.ID + "/assign", nil},
			{"POST", "/console/api/requests/" + id + "/close", nil},
			{"POST", "/console/api/requests/" + id + "/messages", map[string]any{"body": "hi", "note": true}},
			{"GET", "/console/api/colleagues?request=" + id, nil},
			{"GET", "/console/api/files/" + up.File.ID, nil},
			{"POST", "/console/api/invite-customer", map[string]string{"company": d.Acme.ID}},
		} {
			res := carol.upload(id, "x.txt", []byte("x"), "")
			if res.code != 403 && res.code != 404 {
				t.Errorf("upload: %d", res.code)
			}
			res = carol.do(c.method, c.path, c.body, nil)
			if res.code != 403 && res.code != 404 {
				t.Errorf("%s %s: %d %s", c.method, c.path, res.code, res.body)
			}
			if strings.Contains(res.body, "customer@example.com") || strings.Contains(res.body, "printer") {
				t.Errorf("%s %s leaks the request: %s", c.method, c.path, res.body)
			}
		}
		if after := e.snapshot(); after != before {
			t.Fatal("Carol's refused requests changed the database")
		}
	})
}

// TestRefusedByState: what the request's state does not allow is refused
// with 409 and changes nothing.
func TestRefusedByState(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		ctx := context.Background()
		alice := e.login(d.Alice)
		live := d.Live(t)
		waiting := d.Open(t, d.Acme, "w@example.com", "waiting")
		if _, err := e.eng.AssignToMe(ctx, storetest.Actor(d.Alice), waiting.Request.ID); err != nil {
			t.Fatal(err)
		}
		bobs := d.Open(t, d.Acme, "b@example.com", "Bob's")
		if _, err := e.eng.AssignToMe(ctx, storetest.Actor(d.Bob), bobs.Request.ID); err != nil {
			t.Fatal(err)
		}
		closed := d.Open(t, d.Acme, "c@example.com", "closed")
		if _, err := e.eng.AssignToMe(ctx, storetest.Actor(d.Alice), closed.Request.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.eng.Close(ctx, storetest.Actor(d.Alice), closed.Request.ID, ""); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, request, action string
			body                  any
		}{
			{"assign what Bob owns", bobs.Request.ID, "assign", nil},
			{"assign what is mine already", waiting.Request.ID, "assign", nil},
			{"assign a closed request", closed.Request.ID, "assign", nil},
			{"join a live chat again", live.Request.ID, "join", nil},
			{"end a chat nobody joined", waiting.Request.ID, "end", nil},
			{"close a closed request", closed.Request.ID, "close", map[string]string{"note": "again"}},
			{"unassign a closed request", closed.Request.ID, "unassign", nil},
			{"ask for system info before joining", waiting.Request.ID, "sysinfo", nil},
			{"ask for the screen before joining", waiting.Request.ID, "screenshare", nil},
			{"write before joining", waiting.Request.ID, "messages", map[string]string{"body": "hello?"}},
		}
		before := e.snapshot()
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				dt := alice.detail(tc.request)
				if contains(dt.Actions, tc.action) {
					t.Errorf("the details offer %s", tc.action)
				}
				res := alice.do("POST", "/console/api/requests/"+tc.request+"/"+tc.action, tc.body, nil)
				if res.code != http.StatusConflict {
					t.Fatalf("%d %s", res.code, res.body)
				}
				if after := e.snapshot(); after != before {
					t.Fatal("a refused action changed the database")
				}
			})
		}
	})
}
