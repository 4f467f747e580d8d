package console_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/console"
)

// TestDeactivateSignsOut: deactivating a technician ends their sessions at
// once, from the console or from the CLI (the engine alone), and refuses
// their sign-in with a clear message told only to who knows the password.
func TestDeactivateSignsOut(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		admin, alice, bob := e.login(d.Admin), e.login(d.Alice), e.login(d.Bob)
		if c := alice.do("GET", "/console/api/me", nil, nil).code; c != 200 {
			t.Fatalf("Alice before: %d", c)
		}
		res := admin.do("POST", "/console/api/admin/technicians/"+d.Alice.ID+"/deactivate", nil, nil)
		if res.code != 200 || !strings.Contains(res.body, `"active":false`) {
			t.Fatalf("deactivate: %d %s", res.code, res.body)
		}
		if c := alice.do("GET", "/console/api/me", nil, nil).code; c != http.StatusUnauthorized {
			t.Fatalf("Alice's session after deactivation: %d", c)
		}
		if res := alice.do("GET", "/console", nil, nil); res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/console/login" {
			t.Fatalf("Alice's console page: %d", res.code)
		}
		login := func(tech core.Technician, pw string) response {
			return e.browser().form("/console/login", url.Values{"email": {tech.Email}, "password": {pw}})
		}
		if res := login(d.Alice, testPassword); res.code != http.StatusForbidden || !strings.Contains(res.body, "deactivated") {
			t.Fatalf("Alice signs in: %d %s", res.code, res.body)
		}
		if res := login(d.Alice, "not her password"); res.code != http.StatusUnauthorized || strings.Contains(res.body, "deactivated") {
			t.Fatalf("a stranger tries Alice's address: %d", res.code)
		}

		// The CLI goes through the engine alone: Bob's session ends too.
		if c := bob.do("GET", "/console/api/me", nil, nil).code; c != 200 {
			t.Fatalf("Bob before: %d", c)
		}
		if _, err := e.eng.DeactivateTechnician(context.Background(), core.SystemActor(), d.Bob.ID); err != nil {
			t.Fatal(err)
		}
		if c := bob.do("GET", "/console/api/me", nil, nil).code; c != http.StatusUnauthorized {
			t.Fatalf("Bob's session after deactivation by the CLI: %d", c)
		}

		res = admin.do("POST", "/console/api/admin/technicians/"+d.Alice.ID+"/reactivate", nil, nil)
		if res.code != 200 || !strings.Contains(res.body, `"active":true`) {
			t.Fatalf("reactivate: %d %s", res.code, res.body)
		}
		if res := login(d.Alice, testPassword); res.code != http.StatusSeeOther {
			t.Fatalf("Alice signs in after reactivation: %d %s", res.code, res.body)
		}
	})
}

// TestAdminLifecycleAPI: the admin page's calls for roles, deactivation,
// renames and archives, and their refusals.
func TestAdminLifecycleAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		admin, alice := e.login(d.Admin), e.login(d.Alice)
		live := d.Live(t) // Alice owns it
		tech := "/console/api/admin/technicians/"
		co := "/console/api/admin/companies/"
		steps := []struct {
			name, path string
			body       any
			code       int
			want       string
		}{
			{"deactivate oneself", tech + d.Admin.ID + "/deactivate", nil, 403, "cannot deactivate yourself"},
			{"the last admin steps down", tech + d.Admin.ID + "/role", map[string]string{"role": "technician"}, 409, "last active admin"},
			{"a role that is none", tech + d.Bob.ID + "/role", map[string]string{"role": "king"}, 400, `\"king\" is not a role`},
			{"a role without a body", tech + d.Bob.ID + "/role", map[string]string{}, 400, "is not a role"},
			{"an unknown technician", tech + "tec_nope/deactivate", nil, 404, "no such technician"},
			{"make Bob an admin", tech + d.Bob.ID + "/role", map[string]string{"role": "admin"}, 200, `"role":"admin"`},
			{"deactivate Alice", tech + d.Alice.ID + "/deactivate", nil, 200, `"active":false`},
			{"deactivate Alice again", tech + d.Alice.ID + "/deactivate", nil, 409, "deactivated already"},
			{"rename Acme", co + d.Acme.ID + "/rename", map[string]string{"name": "Acme Industries"}, 200, `"name":"Acme Industries"`},
			{"rename to nothing", co + d.Acme.ID + "/rename", map[string]string{"name": ""}, 400, "needs a name"},
			{"rename an unknown company", co + "cmp_nope/rename", map[string]string{"name": "X"}, 404, "no such company"},
			{"archive Globex", co + d.Globex.ID + "/archive", nil, 200, `"archived":true`},
			{"archive Globex again", co + d.Globex.ID + "/archive", nil, 409, "archived already"},
		}
		for _, s := range steps {
			res := admin.do("POST", s.path, s.body, nil)
			if res.code != s.code || !strings.Contains(res.body, s.want) {
				t.Errorf("%s: %d %s", s.name, res.code, res.body)
			}
		}
		// The lists say what changed; Alice still owns her request.
		var ts struct {
			Technicians []struct {
				ID           string `json:"id"`
				Active       bool   `json:"active"`
				OpenRequests int    `json:"open_requests"`
			} `json:"technicians"`
		}
		admin.do("GET", "/console/api/admin/technicians", nil, nil).json(t, &ts)
		for _, x := range ts.Technicians {
			if x.ID == d.Alice.ID && (x.Active || x.OpenRequests != 1) {
				t.Fatalf("Alice in the list: %+v", x)
			}
		}
		if r, err := e.store.Request(context.Background(), live.Request.ID); err != nil || r.OwnerID != d.Alice.ID || r.CompanyName != "Acme Industries" {
			t.Fatalf("Alice's request: %+v %v", r, err)
		}
		// The admin log lists the changes, newest first.
		res := admin.do("GET", "/console/api/admin/log", nil, nil)
		if res.code != 200 || !strings.Contains(res.body, `"action":"company.archive"`) ||
			strings.Index(res.body, "company.archive") > strings.Index(res.body, "technician.deactivate") {
			t.Fatalf("admin log: %d %s", res.code, res.body)
		}
		page := admin.do("GET", "/console/admin", nil, nil)
		if !strings.Contains(page.body, "technician.deactivate") || !strings.Contains(page.body, "Acme Industries") {
			t.Fatalf("admin page lacks the log or the new name:\n%s", page.body)
		}
		// An archived company is in no picker and takes no invitation.
		bob := e.login(d.Bob)
		if res := bob.do("GET", "/console/api/companies", nil, nil); strings.Contains(res.body, d.Globex.ID) || !strings.Contains(res.body, d.Acme.ID) {
			t.Fatalf("Bob's company picker: %s", res.body)
		}
		if res := bob.do("POST", "/console/api/invite-customer", map[string]string{"company": d.Globex.ID}, nil); res.code != 409 || !strings.Contains(res.body, "archived") {
			t.Fatalf("invite at an archived company: %d %s", res.code, res.body)
		}
		// A technician may call none of it.
		before := e.snapshot()
		for _, p := range []string{tech + d.Bob.ID + "/deactivate", tech + d.Bob.ID + "/reactivate", tech + d.Alice.ID + "/role",
			co + d.Acme.ID + "/rename", co + d.Acme.ID + "/archive", co + d.Globex.ID + "/unarchive"} {
			if res := alice.do("POST", p, map[string]string{"role": "admin", "name": "Mine"}, nil); res.code != http.StatusUnauthorized && res.code != http.StatusForbidden {
				t.Errorf("%s as a technician: %d", p, res.code)
			}
		}
		carol := e.login(d.Carol)
		if res := carol.do("GET", "/console/api/admin/log", nil, nil); res.code != http.StatusForbidden {
			t.Errorf("the admin log for a technician: %d", res.code)
		}
		if e.snapshot() != before {
			t.Fatal("a technician's calls changed the database")
		}
	})
}

// TestChecklist: the first-run checklist follows the desk's real state.
func TestChecklist(t *testing.T) {
	t.Parallel()
	type item struct {
		ID   string `json:"id"`
		Done bool   `json:"done"`
		Href string `json:"href"`
	}
	read := func(t *testing.T, b *browser) map[string]item {
		t.Helper()
		var out struct{ Items []item }
		res := b.do("GET", "/console/api/checklist", nil, nil)
		if res.code != 200 {
			t.Fatalf("checklist: %d %s", res.code, res.body)
		}
		res.json(t, &out)
		m := map[string]item{}
		for _, x := range out.Items {
			m[x.ID] = x
		}
		if len(m) != 7 {
			t.Fatalf("checklist items: %+v", out.Items)
		}
		return m
	}
	want := func(t *testing.T, got map[string]item, done map[string]bool) {
		t.Helper()
		for id, d := range done {
			if got[id].Done != d {
				t.Errorf("%s done = %v, want %v", id, got[id].Done, d)
			}
		}
	}
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		t.Run("empty desk", func(t *testing.T) {
			s := newStore(t)
			eng := core.NewEngine(core.Config{Store: s, Blobs: blob.NewDir(filepath.Join(t.TempDir(), "blobs"))})
			root, err := eng.CreateTechnician(context.Background(), core.SystemActor(), core.NewTechnician{Email: "root@desk.test",
				Name: "Root", Role: core.RoleAdmin, PasswordHash: passwordHash(t)})
			if err != nil {
				t.Fatal(err)
			}
			e := serve(t, s, nil, eng, func(c *console.Config) { c.Platforms = []string{"discord"} })
			got := read(t, e.login(root))
			want(t, got, map[string]bool{"company": false, "snippet": false, "technicians": false, "available": false,
				"slack": false, "discord": true, "telegram": false})
			if got["company"].Href != "/console/admin#companies" || !strings.HasSuffix(got["slack"].Href, "#slack") {
				t.Fatalf("links: %+v", got)
			}
		})
		t.Run("set up", func(t *testing.T) {
			e := newEnv(t, newStore, func(c *console.Config) { c.Platforms = []string{"slack", "telegram"} })
			alice := e.login(e.d.Alice) // available
			want(t, read(t, alice), map[string]bool{"company": true, "snippet": false, "technicians": true, "available": true,
				"slack": true, "discord": false, "telegram": true})
			want(t, read(t, e.login(e.d.Dave)), map[string]bool{"available": false})
			e.d.Open(t, e.d.Acme, "c@example.com", "through the widget")
			want(t, read(t, alice), map[string]bool{"snippet": true})
			if res := e.browser().do("GET", "/console/api/checklist", nil, nil); res.code != http.StatusUnauthorized {
				t.Fatalf("checklist signed out: %d", res.code)
			}
		})
	})
}
