package widget_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/widget"
)

// TestEndpoints walks one customer through every endpoint, with what each
// answers: portal policy, open, view, chat both ways, files both ways,
// system information, the event log, leaving. The conversation every
// adapter passes is TestConversation.
func TestEndpoints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		alice := storetest.Actor(d.Alice)

		// The open form's policy.
		res := e.get(t, "/api/widget/company?key="+d.Acme.PortalKey, "")
		mustCode(t, res, http.StatusOK)
		var co company
		res.decode(t, &co)
		if co.Name != "Acme" || co.Slug != "acme" || co.MaxFileBytes != core.DefaultMaxFileBytes || !slices.Contains(co.AllowedExts, ".pdf") {
			t.Fatalf("company %+v", co)
		}
		if res.hdr.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(res.hdr.Get("Content-Type"), "application/json") {
			t.Fatalf("company headers %v", res.hdr)
		}

		// Open: 201, a token of at least 128 bits, the first message kept.
		res = e.do(t, call{method: "POST", path: "/api/widget/requests", ctype: "application/json",
			header: http.Header{"Accept-Language": {"de-CH,de;q=0.9,en;q=0.8"}},
			body:   strings.NewReader(`{"key":"` + d.Acme.PortalKey + `","email":"Pat@Example.com","name":"Pat","message":"The printer is on fire"}`)})
		mustCode(t, res, http.StatusCreated)
		var opened chat
		res.decode(t, &opened)
		tok := opened.Token
		if len(tok) < 22 || opened.Request.Number == 0 || opened.Request.Status != "new" || opened.Request.Chat != "waiting" ||
			opened.LastRSeq != 2 || len(opened.Messages) != 1 || opened.Messages[0].Body != "The printer is on fire" ||
			!opened.Messages[0].Mine || opened.Messages[0].RSeq != 2 || opened.Request.Company.Slug != "acme" {
			t.Fatalf("opened %+v", opened)
		}
		if strings.Contains(res.text(), "@") || strings.Contains(res.text(), "127.0.0.1") {
			t.Fatalf("the answer carries the e-mail or IP address: %s", res.body)
		}
		r := e.requestOf(t, tok)
		want := core.Source{Channel: "web", IP: "127.0.0.1", Device: "desktop", OS: "Windows", Browser: "Firefox", Language: "de-CH"}
		if r.Source != want || r.CustomerEmail != "pat@example.com" || r.CustomerName != "Pat" {
			t.Fatalf("stored request %+v", r)
		}

		// The customer's view before anyone joined.
		res = e.get(t, "/api/widget/request", tok)
		mustCode(t, res, http.StatusOK)
		var v chat
		res.decode(t, &v)
		if v.Token != "" || v.Request.Number != opened.Request.Number || v.Request.Technician != "" || len(v.Request.Participants) != 1 ||
			!v.Request.Participants[0].You || v.Request.Participants[0].Name != "Pat" || v.LastRSeq != 2 {
			t.Fatalf("view %+v", v)
		}

		// Alice takes it, joins and answers.
		must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, r.ID))
		must[core.Request](t)(d.Engine.JoinChat(ctx, alice, r.ID))
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, r.ID, core.Post{Body: "Please step away from the printer"}))
		res = e.get(t, "/api/widget/request", tok)
		mustCode(t, res, http.StatusOK)
		v = chat{}
		res.decode(t, &v)
		if v.Request.Status != "active" || v.Request.Chat != "live" || v.Request.Technician != "Alice" || len(v.Messages) != 2 ||
			v.Messages[1].AuthorKind != "technician" || v.Messages[1].AuthorName != "Alice" || v.Messages[1].Mine {
			t.Fatalf("view after the reply %+v", v)
		}

		// The customer writes.
		res = e.json(t, "POST", "/api/widget/messages", tok, map[string]string{"body": "  Done, it is out  "})
		mustCode(t, res, http.StatusCreated)
		var m message
		res.decode(t, &m)
		if m.Body != "Done, it is out" || !m.Mine || m.AuthorKind != "customer" || m.RSeq <= v.LastRSeq || m.ID == "" {
			t.Fatalf("posted %+v", m)
		}

		// A picture, uploaded and downloaded again: shown inline.
		png := fixture(t, "photo.png")
		res = e.upload(t, tok, "screen shot.png", png)
		mustCode(t, res, http.StatusCreated)
		var up struct {
			Message message `json:"message"`
			File    file    `json:"file"`
		}
		res.decode(t, &up)
		if up.File.Name != "screen shot.png" || up.File.ContentType != "image/png" || up.File.Size != int64(len(png)) ||
			up.Message.File == nil || up.Message.File.ID != up.File.ID || !up.Message.Mine {
			t.Fatalf("uploaded %+v", up)
		}
		res = e.get(t, "/api/widget/files/"+up.File.ID, tok)
		mustCode(t, res, http.StatusOK)
		if !bytes.Equal(res.body, png) || res.hdr.Get("Content-Type") != "image/png" ||
			res.hdr.Get("Content-Disposition") != `inline; filename="screen shot.png"; filename*=UTF-8''screen%20shot.png` ||
			res.hdr.Get("X-Content-Type-Options") != "nosniff" || res.hdr.Get("Cache-Control") != "private, no-store" {
			t.Fatalf("download headers %v", res.hdr)
		}

		// A technician's file: anything but an image downloads.
		txt := fixture(t, "notes.txt")
		_, tf, err := d.Engine.AttachFile(ctx, alice, r.ID, core.Upload{Name: "Drucker-Protokoll für Pat.txt", Body: bytes.NewReader(txt)})
		if err != nil {
			t.Fatal(err)
		}
		res = e.get(t, "/api/widget/files/"+tf.ID, tok)
		mustCode(t, res, http.StatusOK)
		if !bytes.Equal(res.body, txt) || res.hdr.Get("Content-Type") != "text/plain; charset=utf-8" ||
			res.hdr.Get("Content-Disposition") != `attachment; filename="Drucker-Protokoll f_r Pat.txt"; filename*=UTF-8''Drucker-Protokoll%20f%C3%BCr%20Pat.txt` {
			t.Fatalf("technician file headers %v", res.hdr)
		}

		// System information, on the customer's consent.
		must[core.Request](t)(d.Engine.RequestSystemInfo(ctx, alice, r.ID))
		res = e.json(t, "POST", "/api/widget/sysinfo", tok, map[string]string{"device": "desktop", "os": "Linux", "browser": "Chrome 126", "language": "fr-FR"})
		mustCode(t, res, http.StatusNoContent)
		reported := core.SystemInfo{Device: "desktop", OS: "Linux", Browser: "Chrome 126", Language: "fr-FR"}
		if src := e.requestOf(t, tok).Source; src.Reported != reported || src.OS != "Windows" || src.Browser != "Firefox" || src.IP != "127.0.0.1" {
			t.Fatalf("source after sysinfo %+v", src)
		}

		// The event log as the customer sees it: no assignment.
		res = e.get(t, "/api/widget/events?after=0", tok)
		mustCode(t, res, http.StatusOK)
		var fr frame
		res.decode(t, &fr)
		var types []string
		for _, ev := range fr.Events {
			types = append(types, ev.Type)
		}
		wantTypes := []string{"request.created", "chat.message", "chat.joined", "chat.message", "chat.message", "chat.file",
			"chat.file", "sysinfo.requested", "sysinfo.provided"}
		if !slices.Equal(types, wantTypes) || fr.Next != "10" {
			t.Fatalf("events %v next %s: %s", types, fr.Next, res.body)
		}
		if j := fr.Events[2]; j.ActorName != "Alice" || j.ActorKind != "technician" {
			t.Fatalf("joined event %+v", j)
		}

		// Leaving: the request stays, the customer is out.
		res = e.do(t, call{method: "POST", path: "/api/widget/leave", token: tok})
		mustCode(t, res, http.StatusNoContent)
		res = e.get(t, "/api/widget/request", tok)
		mustCode(t, res, http.StatusOK)
		v = chat{}
		res.decode(t, &v)
		if !v.Request.Left || v.Request.Status != "active" {
			t.Fatalf("view after leaving %+v", v.Request)
		}
	})
}

// TestOnlyOwnMessages checks that a technician's message addressed to one
// customer of a shared session reaches that customer only.
func TestOnlyOwnMessages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		alice := storetest.Actor(d.Alice)
		inv := must[core.Invited](t)(d.Engine.InviteCustomer(ctx, alice, d.Acme.ID, "onboarding"))
		one := must[core.Opened](t)(d.Engine.JoinInvite(ctx, core.JoinInvite{Code: inv.Code, Email: "one@example.com"}))
		two := must[core.Opened](t)(d.Engine.JoinInvite(ctx, core.JoinInvite{Code: inv.Code, Email: "two@example.com"}))
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, inv.Request.ID, core.Post{Body: "your licence key is 1234", To: one.Participant.ID}))
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, inv.Request.ID, core.Post{Body: "welcome, both of you"}))

		for _, c := range []struct {
			token  string
			direct bool
			other  string // the other customer's address, which must not show
		}{{one.Token, true, "two@example.com"}, {two.Token, false, "one@example.com"}} {
			res := e.get(t, "/api/widget/events?after=0", c.token)
			mustCode(t, res, http.StatusOK)
			sawDirect := strings.Contains(res.text(), "licence")
			if strings.Contains(res.text(), c.other) {
				t.Fatalf("the events name the other customer: %s", res.body)
			}
			res = e.get(t, "/api/widget/request", c.token)
			mustCode(t, res, http.StatusOK)
			var v chat
			res.decode(t, &v)
			inView := slices.ContainsFunc(v.Messages, func(m message) bool { return m.Direct && m.Body == "your licence key is 1234" })
			if sawDirect != c.direct || inView != c.direct || !strings.Contains(res.text(), "welcome, both") ||
				len(v.Request.Participants) != 3 || strings.Contains(res.text(), c.other) {
				t.Fatalf("direct message seen in events %v, in view %v (want %v): %s", sawDirect, inView, c.direct, res.body)
			}
		}
	})
}

// TestClientIP records the address a request came from: the peer's, or
// behind a trusted proxy the right-most untrusted X-Forwarded-For hop.
func TestClientIP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		trusted := []string{"127.0.0.0/8", "10.0.0.0/8", "::1/128"}
		withProxy := newEnv(t, s, func(c *widget.Config) { c.TrustedProxies = prefixes(t, trusted...) })
		// A second server on the same database that trusts nobody.
		direct := newEnvOn(t, withProxy.desk, nil)
		tests := []struct {
			name string
			env  *env
			xff  []string
			want string
		}{
			{"no header", withProxy, nil, "127.0.0.1"},
			{"one client behind the proxy", withProxy, []string{"203.0.113.9"}, "203.0.113.9"},
			{"the right-most untrusted hop wins over what the client wrote", withProxy, []string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},
			{"trusted hops are skipped", withProxy, []string{"203.0.113.9, 10.1.2.3"}, "203.0.113.9"},
			{"several headers are one list", withProxy, []string{"198.51.100.1", "203.0.113.9", "10.1.2.3"}, "203.0.113.9"},
			{"IPv6 client", withProxy, []string{"2001:db8::7"}, "2001:db8::7"},
			{"garbage stops the walk at the last proxy", withProxy, []string{"203.0.113.9, not-an-ip"}, "127.0.0.1"},
			{"only proxies", withProxy, []string{"10.9.9.9"}, "10.9.9.9"},
			{"spoofed header from an untrusted peer is ignored", direct, []string{"203.0.113.9"}, "127.0.0.1"},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				body := `{"key":"` + withProxy.desk.Acme.PortalKey + `","email":"ip` + string(rune('a'+i)) + `@example.com","message":"where am I"}`
				res := tc.env.do(t, call{method: "POST", path: "/api/widget/requests", ctype: "application/json",
					header: http.Header{"X-Forwarded-For": tc.xff}, body: strings.NewReader(body)})
				mustCode(t, res, http.StatusCreated)
				var v chat
				res.decode(t, &v)
				if got := tc.env.requestOf(t, v.Token).Source.IP; got != tc.want {
					t.Fatalf("IP %q, want %q", got, tc.want)
				}
			})
		}
	})
}

// TestJoinInvite: a customer follows a technician's invitation link, says
// who they are and is in the technician's chat.
func TestJoinInvite(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		alice := storetest.Actor(d.Alice)
		inv := must[core.Invited](t)(d.Engine.InviteCustomer(ctx, alice, d.Acme.ID, "printer setup"))

		res := e.get(t, "/widget/join?code="+inv.Code, "")
		mustCode(t, res, http.StatusOK)
		if !strings.Contains(res.text(), `data-invite="`+inv.Code+`"`) || strings.Contains(res.text(), `id="message"`) ||
			!strings.Contains(res.text(), `data-slug="acme"`) || !strings.Contains(res.hdr.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Fatalf("join page: %s", res.body)
		}

		res = e.json(t, "POST", "/api/widget/join", "", map[string]string{"code": inv.Code, "email": "pat@example.com", "name": "Pat"})
		mustCode(t, res, http.StatusCreated)
		var v chat
		res.decode(t, &v)
		if len(v.Token) < 22 || v.Request.Number != inv.Request.Number || v.Request.Status != "active" || v.Request.Chat != "live" ||
			v.Request.Technician != "Alice" || v.LastRSeq != 3 {
			t.Fatalf("joined %+v", v)
		}
		if src := e.requestOf(t, v.Token).Source; src.IP != "127.0.0.1" || src.Browser != "Firefox" || src.Channel != "web" {
			t.Fatalf("source %+v", src)
		}
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, inv.Request.ID, core.Post{Body: "thanks for joining"}))
		res = e.get(t, "/api/widget/events?after=0", v.Token)
		mustCode(t, res, http.StatusOK)
		if !contains(res.text(), `"request.created"`, `"chat.joined"`, `"customer.joined"`, "thanks for joining") {
			t.Fatalf("events %s", res.body)
		}

		for _, c := range []struct{ path, say string }{
			{"/widget/join?code=nope", "not valid"},
			{"/widget/join", "not valid"},
		} {
			res := e.get(t, c.path, "")
			if res.code != http.StatusNotFound || !strings.Contains(res.text(), c.say) {
				t.Fatalf("%s: %d %s", c.path, res.code, res.body)
			}
		}
		must[core.Request](t)(d.Engine.Close(ctx, alice, inv.Request.ID, ""))
		if res := e.get(t, "/widget/join?code="+inv.Code, ""); res.code != http.StatusNotFound || !strings.Contains(res.text(), "ended") {
			t.Fatalf("ended session: %d %s", res.code, res.body)
		}
	})
}

func contains(hay string, needles ...string) bool {
	for _, n := range needles {
		if !strings.Contains(hay, n) {
			return false
		}
	}
	return true
}
