package widget_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestArchivedCompany: the widget of an archived company refuses a new
// request with "this support desk is closed", changing nothing, while a
// customer of an older request still reads and writes in it; once
// unarchived it takes requests again.
func TestArchivedCompany(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		earlier := e.open(t, d.Acme, "early@example.com", "before the archive")
		if _, err := d.Engine.ArchiveCompany(ctx, core.SystemActor(), d.Acme.ID, true); err != nil {
			t.Fatal(err)
		}
		openCall := func() call {
			return call{method: "POST", path: "/api/widget/requests", ctype: "application/json",
				body: strings.NewReader(`{"key":"` + d.Acme.PortalKey + `","email":"late@example.com","message":"anyone?"}`)}
		}
		before := storetest.Snapshot(t, d.Store)
		res := e.do(t, openCall())
		mustCode(t, res, http.StatusForbidden)
		var body struct {
			Error struct{ Code, Message string }
		}
		res.decode(t, &body)
		if body.Error.Code != "forbidden" || body.Error.Message != "this support desk is closed" {
			t.Fatalf("open at an archived company: %s", res.text())
		}
		if after := storetest.Snapshot(t, d.Store); after != before {
			t.Fatal("the refused open changed the database")
		}
		mustCode(t, e.get(t, "/api/widget/request", earlier.Token), http.StatusOK)
		mustCode(t, e.json(t, "POST", "/api/widget/messages", earlier.Token, map[string]string{"body": "still there?"}), http.StatusCreated)

		if _, err := d.Engine.ArchiveCompany(ctx, core.SystemActor(), d.Acme.ID, false); err != nil {
			t.Fatal(err)
		}
		mustCode(t, e.do(t, openCall()), http.StatusCreated)
	})
}
