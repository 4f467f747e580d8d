package widget_test

import (
	"net/http"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestSystemInfoOnlyWhenAsked: a customer sends system information only in
// answer to a technician's request that is still unanswered; unasked it is
// a 409 that changes nothing. What the browser reports is kept beside what
// relaydesk parsed from the User-Agent, never over it.
func TestSystemInfoOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		alice := storetest.Actor(d.Alice)
		c := e.open(t, d.Acme, "pat@example.com", "my screen is black") // Firefox on Windows
		r := e.requestOf(t, c.Token)
		must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, r.ID))
		must[core.Request](t)(d.Engine.JoinChat(ctx, alice, r.ID))
		parsed := e.requestOf(t, c.Token).Source
		send := func(os string) response {
			return e.json(t, "POST", "/api/widget/sysinfo", c.Token, map[string]string{"device": "mobile", "os": os, "browser": "Chrome 126", "language": "fr-FR"})
		}
		unasked := func(name string) {
			t.Helper()
			before := storetest.Snapshot(t, d.Store)
			res := send("iOS")
			var ae apiError
			if res.code == http.StatusConflict {
				res.decode(t, &ae)
			}
			if res.code != http.StatusConflict || ae.Error.Code != string(core.CodeInvalidState) {
				t.Errorf("%s: %d %s, want 409 invalid_state", name, res.code, res.body)
			}
			if storetest.Snapshot(t, d.Store) != before {
				t.Errorf("%s: the refused system information changed the database", name)
			}
		}

		unasked("before any technician asked")
		must[core.Request](t)(d.Engine.RequestSystemInfo(ctx, alice, r.ID))
		mustCode(t, send("Linux"), http.StatusNoContent)
		src := e.requestOf(t, c.Token).Source
		want := core.SystemInfo{Device: "mobile", OS: "Linux", Browser: "Chrome 126", Language: "fr-FR"}
		if src.Reported != want {
			t.Errorf("reported %+v, want %+v", src.Reported, want)
		}
		if src.Device != parsed.Device || src.OS != parsed.OS || src.Browser != parsed.Browser || src.OS != "Windows" {
			t.Errorf("the parsed source changed: %+v, was %+v", src, parsed)
		}
		if co := e.chatOf(t, c.Token).Request.Company; co.ImagesOnly {
			t.Error("a reported OS changed the company's file policy for the customer")
		}
		unasked("once answered")

		must[core.Request](t)(d.Engine.RequestSystemInfo(ctx, alice, r.ID))
		mustCode(t, send("ChromeOS"), http.StatusNoContent)
		if got := e.requestOf(t, c.Token).Source.Reported.OS; got != "ChromeOS" {
			t.Errorf("the second answer reported %q", got)
		}
	})
}
