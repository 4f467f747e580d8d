package console_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/browsertest"
)

// adminView saves what the window shows of the page once the element sel
// is scrolled to its top.
func adminView(sel, name string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.Evaluate(`document.querySelector('`+sel+`').scrollIntoView({block: 'start'})`, nil),
		browsertest.Shot(name),
	}
}

// aligned is true when every table of the admin page has as many headers
// as its rows have cells, each header starting where its column does.
const aligned = `[...document.querySelectorAll('table.adm-table')].every((t) => {
	const ths = [...t.querySelectorAll('thead th')];
	return [...t.querySelectorAll('tbody tr')].filter((r) => !r.querySelector('td[colspan]')).every((r) => {
		const tds = [...r.children];
		return tds.length === ths.length && tds.every((td, i) => Math.abs(td.getBoundingClientRect().left - ths[i].getBoundingClientRect().left) < 1);
	});
})`

// TestBrowserAdmin is the admin page in Chromium, on a desktop and on a
// phone: the snippet shows whole and copies; a new technician is the one
// the grant form offers, admins are not offered; feedback shows beside
// what caused it; roles change, technicians are deactivated and companies
// renamed.
func TestBrowserAdmin(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	e := newEnv(t, storetest.SQLite)
	d := e.d
	ctx := context.Background()
	tab := b.Tab(t)
	row := func(table, id string) string { return `#` + table + ` tr[data-id="` + id + `"]` }
	status := func(sel string) string {
		return `(document.querySelector('` + sel + ` .form-status')?.textContent ?? '')`
	}

	tab.Run("sign in as the admin",
		chromedp.EmulateViewport(1440, 900),
		chromedp.Navigate(e.srv.URL+"/console/login"),
		chromedp.WaitVisible("#email", chromedp.ByQuery),
		chromedp.SendKeys("#email", d.Admin.Email, chromedp.ByQuery),
		chromedp.SendKeys("#password", testPassword, chromedp.ByQuery),
		chromedp.Click("#login", chromedp.ByQuery),
		chromedp.WaitVisible("#availability", chromedp.ByQuery),
		chromedp.Navigate(e.srv.URL+"/console/admin"),
		chromedp.WaitVisible("#companies-table", chromedp.ByQuery),
		browsertest.FullShot("admin-desktop"),
	)
	tab.WaitUntil("the table headers line up with their columns", aligned)
	tab.WaitUntil("the grant form offers no admin", `![...document.querySelectorAll('#grant-tech option')].some((o) => o.textContent.includes('admin@desk.test'))`)
	snippet := `<script src="` + e.srv.URL + `/widget.js" data-key="` + d.Acme.PortalKey + `" async></script>`
	tab.WaitUntil("the whole snippet shows in a code block", `(() => {
		const pre = document.querySelector('`+row("companies-table", d.Acme.ID)+` pre.adm-snippet');
		return pre.querySelector('code').textContent === `+"`"+snippet+"`"+` && pre.scrollWidth <= pre.clientWidth;
	})()`)
	tab.Run("copy the snippet", chromedp.Click(row("companies-table", d.Acme.ID)+` [data-copy-code]`, chromedp.ByQuery))
	tab.WaitUntil("the button says it copied", `document.querySelector('`+row("companies-table", d.Acme.ID)+` [data-copy-code]').textContent === 'Copied'`)

	tab.Run("add a technician",
		chromedp.SendKeys("#new-tech-name", "Erin", chromedp.ByQuery),
		chromedp.SendKeys("#new-tech-email", "erin@desk.test", chromedp.ByQuery),
		chromedp.Click("#tech-create button[type=submit]", chromedp.ByQuery),
	)
	tab.WaitUntil("the message shows beside the form", status("#tech-create")+`.startsWith('Technician Erin added.')`)
	erin, err := e.store.TechnicianByEmail(ctx, "erin@desk.test")
	if err != nil {
		t.Fatal(err)
	}
	tab.WaitUntil("the grant form has Erin chosen", `document.querySelector('#grant-tech').value === '`+erin.ID+`'`)
	tab.Run("grant Erin access",
		chromedp.SetValue("#grant-company", d.Globex.ID, chromedp.ByQuery),
		chromedp.Click("#grant-form button[type=submit]", chromedp.ByQuery),
	)
	tab.WaitUntil("the grant says so beside its form", status("#grant-form")+` === 'Access granted.' && `+status("#tech-create")+` === ''`)
	if ok, err := e.store.HasAccess(ctx, erin.ID, d.Globex.ID); err != nil || !ok {
		t.Fatalf("Erin's access to Globex: %v %v", ok, err)
	}

	bob := row("technicians-table", d.Bob.ID)
	tab.Run("make Bob an admin",
		chromedp.SetValue(bob+` select[name=role]`, "admin", chromedp.ByQuery),
		chromedp.Click(bob+` form.set-role button`, chromedp.ByQuery),
	)
	tab.WaitUntil("Bob's row says he is an admin", status(bob)+` === 'Bob is now an admin.'`)

	alice := row("technicians-table", d.Alice.ID)
	open := liveFor(t, d, d.Alice, "pat@example.com").Request.ID
	tab.Run("reload with Alice's open request counted", chromedp.Reload(), chromedp.WaitVisible(alice, chromedp.ByQuery))
	tab.Run("deactivate Alice: the first click asks", chromedp.Click(alice+` [data-deactivate]`, chromedp.ByQuery))
	tab.WaitUntil("the button asks again", `document.querySelector('`+alice+` [data-deactivate]').textContent === 'Really deactivate Alice?'`)
	tab.Run("deactivate Alice: the second click does it", chromedp.Click(alice+` [data-deactivate]`, chromedp.ByQuery))
	tab.WaitUntil("Alice's row shows her deactivated", status(alice)+`.startsWith('Alice is deactivated') &&
		document.querySelector('`+alice+`').classList.contains('deactivated') && !!document.querySelector('`+alice+` [data-reactivate]')`)
	// Her open request goes back to the queue, for anyone to take.
	tab.Run("return Alice's requests: the first click asks", chromedp.Click(alice+` [data-return-requests]`, chromedp.ByQuery))
	tab.Run("the second click does it", chromedp.Click(alice+` [data-return-requests]`, chromedp.ByQuery))
	tab.WaitUntil("the row says so and counts none", status(alice)+`.startsWith('1 request(s) of Alice are back in the queue') &&
		document.querySelector('`+alice+` td.num').textContent === '0' && !document.querySelector('`+alice+` [data-return-requests]')`)
	if r, err := e.store.Request(ctx, open); err != nil || r.Status != core.StatusNew || r.OwnerID != "" {
		t.Fatalf("Alice's request after the return: %+v %v", r, err)
	}

	acme := row("companies-table", d.Acme.ID)
	tab.Run("rename Acme",
		chromedp.SetValue(acme+` input[name=name]`, "Acme Industries", chromedp.ByQuery),
		chromedp.Click(acme+` form.company-rename button`, chromedp.ByQuery),
	)
	tab.WaitUntil("Acme's row has its new name", `document.querySelector('`+acme+` .co-name').textContent === 'Acme Industries' && `+
		status(acme)+` === 'Renamed to Acme Industries.'`)
	tab.WaitUntil("the admin log lists the changes", `document.querySelector('#log-table tbody').textContent.includes('company.rename')`)
	tab.WaitUntil("the headers still line up", aligned)
	tab.Run("screenshot after the changes", browsertest.FullShot("admin-desktop-after"))

	for id, want := range map[string]func(core.Technician) bool{
		d.Bob.ID:   func(x core.Technician) bool { return x.Role == core.RoleAdmin },
		d.Alice.ID: func(x core.Technician) bool { return !x.Active() },
	} {
		x, err := e.store.Technician(ctx, id)
		if err != nil || !want(x) {
			t.Errorf("%s after the page's changes: %+v %v", id, x, err)
		}
	}

	tab.Run("look at it on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Reload(),
		chromedp.WaitVisible("#companies-table", chromedp.ByQuery),
	)
	tab.WaitUntil("nothing is wider than the phone", `document.documentElement.scrollWidth <= 390`)
	tab.Run("screenshot on a phone", browsertest.FullShot("admin-phone"),
		adminView("#companies", "admin-phone-companies"), adminView("#technicians", "admin-phone-technicians"),
		adminView("#access", "admin-phone-access"))
	if ds := tab.Dialogs(); len(ds) > 0 {
		t.Errorf("the page opened dialogs: %q", ds)
	}
}
