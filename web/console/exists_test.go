package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestOtherCompanysRequestIsNotFound: for Carol, who serves Globex only, a
// request of Acme answers exactly as an ID that does not exist, on every
// console route that names a request or a file, read or action: 404 with
// the same body, so an ID tells her nothing.
func TestOtherCompanysRequestIsNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		o := d.Live(t)
		_, f, err := e.eng.AttachFile(context.Background(), core.CustomerActor(o.Participant.ID), o.Request.ID,
			core.Upload{Name: "log.txt", Body: strings.NewReader("acme's log")})
		if err != nil {
			t.Fatal(err)
		}
		carol := e.login(d.Carol)
		const unknownRequest, unknownFile = "req_00000000000000000000000000", "fil_00000000000000000000000000"
		routes := []struct {
			name, method, path string
			body               any
		}{
			{"details", "GET", "/console/api/requests/{req}", nil},
			{"colleagues", "GET", "/console/api/colleagues?request={req}", nil},
			{"file", "GET", "/console/api/files/{file}", nil},
			{"assign", "POST", "/console/api/requests/{req}/assign", nil},
			{"close", "POST", "/console/api/requests/{req}/close", map[string]string{"note": "x"}},
			{"transfer", "POST", "/console/api/requests/{req}/transfer", map[string]string{"technician": d.Carol.ID}},
			{"message", "POST", "/console/api/requests/{req}/messages", map[string]any{"body": "hi"}},
			{"note", "POST", "/console/api/requests/{req}/messages", map[string]any{"body": "hi", "note": true}},
			{"upload", "UPLOAD", "{req}", nil},
		}
		before := e.snapshot()
		for _, rt := range routes {
			t.Run(rt.name, func(t *testing.T) {
				call := func(req, file string) response {
					path := strings.NewReplacer("{req}", req, "{file}", file).Replace(rt.path)
					if rt.method == "UPLOAD" {
						return carol.upload(path, "x.txt", []byte("x"), "")
					}
					return carol.do(rt.method, path, rt.body, nil)
				}
				other, unknown := call(o.Request.ID, f.ID), call(unknownRequest, unknownFile)
				if other.code != http.StatusNotFound || unknown.code != http.StatusNotFound || other.body != unknown.body {
					t.Errorf("another company's: %d %s\nunknown: %d %s", other.code, other.body, unknown.code, unknown.body)
				}
			})
		}
		if after := e.snapshot(); after != before {
			t.Error("Carol's refused calls changed the database")
		}
	})
}
