package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

func TestAdminOnly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		alice := e.login(e.d.Alice)
		if res := alice.do("GET", "/console/admin", nil, nil); res.code != http.StatusForbidden || !strings.Contains(res.body, "Admins only") {
			t.Fatalf("admin page for a technician: %d", res.code)
		}
		if strings.Contains(alice.do("GET", "/console", nil, nil).body, `href="/console/admin"`) {
			t.Error("a technician's console links to the admin page")
		}
		before := e.snapshot()
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/console/api/admin/companies", nil},
			{"POST", "/console/api/admin/companies", map[string]string{"name": "Initech"}},
			{"PATCH", "/console/api/admin/companies/" + e.d.Acme.ID, map[string]any{"max_file_bytes": 1}},
			{"POST", "/console/api/admin/companies/" + e.d.Acme.ID + "/rotate-key", nil},
			{"GET", "/console/api/admin/technicians", nil},
			{"POST", "/console/api/admin/technicians", map[string]string{"name": "Mallory", "email": "m@desk.test", "role": "admin"}},
			{"POST", "/console/api/admin/technicians/" + e.d.Alice.ID + "/password", map[string]string{"password": "a new long password"}},
			{"POST", "/console/api/admin/access/grant", map[string]string{"technician": e.d.Alice.ID, "company": e.d.Globex.ID}},
			{"POST", "/console/api/admin/access/revoke", map[string]string{"technician": e.d.Bob.ID, "company": e.d.Acme.ID}},
		} {
			if res := alice.do(c.method, c.path, c.body, nil); res.code != http.StatusForbidden {
				t.Errorf("%s %s: %d %s", c.method, c.path, res.code, res.body)
			}
		}
		if after := e.snapshot(); after != before {
			t.Fatal("a technician's admin calls changed the database")
		}
	})
}

func TestAdmin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		admin := e.login(d.Admin)

		page := admin.do("GET", "/console/admin", nil, nil)
		snippet := `&lt;script src=&#34;` + e.srv.URL + `/widget.js&#34; data-key=&#34;` + d.Acme.PortalKey + `&#34; async&gt;&lt;/script&gt;`
		if page.code != 200 || !strings.Contains(page.body, snippet) || !strings.Contains(page.body, "Globex") || !strings.Contains(page.body, "carol@desk.test") {
			t.Fatalf("admin page %d:\n%s", page.code, page.body)
		}

		var co struct {
			ID, Name, Slug, Snippet string
			PortalKey               string   `json:"portal_key"`
			AllowedExts             []string `json:"allowed_exts"`
			MaxFileBytes            int64    `json:"max_file_bytes"`
		}
		res := admin.do("POST", "/console/api/admin/companies", map[string]any{"name": "Initech", "allowed_exts": []string{"PDF", ".png"}, "max_file_bytes": 5 << 20}, nil)
		if res.code != 201 {
			t.Fatalf("create company: %d %s", res.code, res.body)
		}
		res.json(t, &co)
		if co.Slug != "initech" || strings.Join(co.AllowedExts, " ") != ".pdf .png" || co.MaxFileBytes != 5<<20 ||
			co.Snippet != `<script src="`+e.srv.URL+`/widget.js" data-key="`+co.PortalKey+`" async></script>` {
			t.Fatalf("%+v", co)
		}
		oldKey := co.PortalKey

		steps := []struct {
			name, method, path string
			body               any
			code               int
			want               string
		}{
			{"a duplicate company", "POST", "/console/api/admin/companies", map[string]string{"name": "Initech"}, 409, ""},
			{"a company without a name", "POST", "/console/api/admin/companies", map[string]string{"name": " "}, 400, ""},
			{"an extension relaydesk cannot check", "POST", "/console/api/admin/companies", map[string]any{"name": "X", "allowed_exts": []string{".exe"}}, 400, ""},
			{"change the allowlist and size", "PATCH", "/console/api/admin/companies/" + co.ID, map[string]any{"allowed_exts": []string{".txt"}, "max_file_bytes": 1 << 20}, 200, `"allowed_exts":[".txt"]`},
			{"a size of zero", "PATCH", "/console/api/admin/companies/" + co.ID, map[string]any{"max_file_bytes": 0}, 400, ""},
			{"an unknown company", "PATCH", "/console/api/admin/companies/cmp_nope", map[string]any{"max_file_bytes": 1}, 404, ""},
			{"rotate the key", "POST", "/console/api/admin/companies/" + co.ID + "/rotate-key", nil, 200, `"portal_key":"pk_`},
			{"list companies", "GET", "/console/api/admin/companies", nil, 200, `"name":"Initech"`},
			{"create a technician", "POST", "/console/api/admin/technicians", map[string]string{"name": "Erin", "email": "erin@desk.test", "role": "technician", "password": "erin's long password"}, 201, `"email":"erin@desk.test"`},
			{"a short password", "POST", "/console/api/admin/technicians", map[string]string{"name": "Frank", "email": "frank@desk.test", "password": "short"}, 400, "10 characters"},
			{"a bad role", "POST", "/console/api/admin/technicians", map[string]string{"name": "Frank", "email": "frank@desk.test", "role": "king"}, 400, ""},
			{"a taken address", "POST", "/console/api/admin/technicians", map[string]string{"name": "Alice 2", "email": "alice@desk.test"}, 409, ""},
			{"a bad address", "POST", "/console/api/admin/technicians", map[string]string{"name": "Frank", "email": "frank"}, 400, ""},
			{"grant access", "POST", "/console/api/admin/access/grant", map[string]string{"technician": d.Carol.ID, "company": co.ID}, 200, co.ID},
			{"grant to nobody", "POST", "/console/api/admin/access/grant", map[string]string{"technician": "tec_nope", "company": co.ID}, 404, ""},
			{"grant without a company", "POST", "/console/api/admin/access/grant", map[string]string{"technician": d.Carol.ID}, 400, ""},
			{"revoke access", "POST", "/console/api/admin/access/revoke", map[string]string{"technician": d.Bob.ID, "company": d.Acme.ID}, 200, `"companies":[]`},
			{"list technicians", "GET", "/console/api/admin/technicians", nil, 200, `"name":"Erin"`},
		}
		for _, s := range steps {
			res := admin.do(s.method, s.path, s.body, nil)
			if res.code != s.code || !strings.Contains(res.body, s.want) {
				t.Fatalf("%s: %d %s", s.name, res.code, res.body)
			}
		}
		c, err := e.store.Company(context.Background(), co.ID)
		if err != nil || c.PortalKey == oldKey || c.MaxFileBytes != 1<<20 {
			t.Fatalf("after the changes: %+v, %v", c, err)
		}
		if ok, _ := e.store.HasAccess(context.Background(), d.Bob.ID, d.Acme.ID); ok {
			t.Fatal("Bob kept his access")
		}

		// The new technician signs in with the password the admin chose.
		erin, err := e.store.TechnicianByEmail(context.Background(), "erin@desk.test")
		if err != nil {
			t.Fatal(err)
		}
		try := func(pw string) int {
			return e.browser().form("/console/login", url.Values{"email": {"erin@desk.test"}, "password": {pw}}).code
		}
		if c := try("erin's long password"); c != http.StatusSeeOther {
			t.Fatalf("Erin signs in: %d", c)
		}
		// A new password signs the technician out everywhere.
		bob := e.login(d.Bob)
		res = admin.do("POST", "/console/api/admin/technicians/"+d.Bob.ID+"/password", map[string]string{"password": "bob's brand new password"}, nil)
		if res.code != 200 {
			t.Fatalf("set password: %d %s", res.code, res.body)
		}
		if c := bob.do("GET", "/console/api/me", nil, nil).code; c != http.StatusUnauthorized {
			t.Fatalf("Bob's old session after the change: %d", c)
		}
		if c := e.browser().form("/console/login", url.Values{"email": {"bob@desk.test"}, "password": {"bob's brand new password"}}).code; c != http.StatusSeeOther {
			t.Fatalf("Bob with the new password: %d", c)
		}
		if res := admin.do("POST", "/console/api/admin/technicians/"+erin.ID+"/password", map[string]string{"password": "short"}, nil); res.code != 400 {
			t.Fatalf("short password: %d", res.code)
		}
		if res := admin.do("POST", "/console/api/admin/technicians/tec_nope/password", map[string]string{"password": "a long enough one"}, nil); res.code != 404 {
			t.Fatalf("unknown technician: %d", res.code)
		}
		// Admins serve every company: the console's lists show all.
		g := d.Open(t, d.Globex, "g@example.com", "globex")
		a := d.Open(t, d.Acme, "a@example.com", "acme")
		ids := admin.list("view=all")
		if !contains(ids, g.Request.ID) || !contains(ids, a.Request.ID) {
			t.Fatalf("admin's All: %v", ids)
		}
		// An admin may close any request, New ones included.
		dt := admin.detail(g.Request.ID)
		if !contains(dt.Actions, "close") || !contains(dt.Actions, "assign") {
			t.Fatalf("admin's actions on a new request: %v", dt.Actions)
		}
		if res := admin.do("POST", "/console/api/requests/"+g.Request.ID+"/close", map[string]string{"note": "spam"}, nil); res.code != 200 {
			t.Fatalf("admin closes: %d %s", res.code, res.body)
		}
	})
}
