package console_test

import (
	"context"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestSystemInfoBesideSource: the Details show what relaydesk saw of the
// customer's device and, apart from it, what their browser reported when
// asked; while a request for it waits, they say so.
func TestSystemInfoBesideSource(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		ctx := context.Background()
		o := d.Live(t) // Firefox on Windows
		alice := e.login(d.Alice)
		type source struct {
			OS       string `json:"os"`
			Browser  string `json:"browser"`
			Asked    bool   `json:"asked"`
			Reported *struct {
				Device, OS, Browser, Language string
			} `json:"reported"`
		}
		sourceOf := func() source {
			var dt struct {
				Source source `json:"source"`
			}
			alice.do("GET", "/console/api/requests/"+o.Request.ID, nil, nil).json(t, &dt)
			return dt.Source
		}
		if s := sourceOf(); s.Asked || s.Reported != nil {
			t.Fatalf("before asking: %+v", s)
		}
		if res := alice.do("POST", "/console/api/requests/"+o.Request.ID+"/sysinfo", nil, nil); res.code != 200 {
			t.Fatalf("ask: %d %s", res.code, res.body)
		}
		if s := sourceOf(); !s.Asked || s.Reported != nil {
			t.Fatalf("asked: %+v", s)
		}
		if _, err := e.eng.ProvideSystemInfo(ctx, core.CustomerActor(o.Participant.ID),
			core.SystemInfo{Device: "desktop", OS: "Linux", Browser: "Chrome 126", Language: "fr-FR"}); err != nil {
			t.Fatal(err)
		}
		s := sourceOf()
		if s.Asked || s.OS != "Windows" || s.Browser != "Firefox" || s.Reported == nil ||
			s.Reported.OS != "Linux" || s.Reported.Browser != "Chrome 126" || s.Reported.Language != "fr-FR" {
			t.Fatalf("answered: %+v %+v", s, s.Reported)
		}
	})
}
