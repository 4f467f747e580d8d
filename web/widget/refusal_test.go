package widget_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"

// TestRefusals sends every kind of bad input and checks that each gets its
// JSON error and status, and that the database did not change.
func TestRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		alice := storetest.Actor(d.Alice)

		live := d.Live(t)
		left := d.Open(t, d.Acme, "gone@example.com", "never mind")
		if err := d.Engine.Leave(ctx, core.CustomerActor(left.Participant.ID)); err != nil {
			t.Fatal(err)
		}
		closed := d.Live(t)
		must[core.Request](t)(d.Engine.Close(ctx, alice, closed.Request.ID, "fixed"))
		globex := e.open(t, d.Globex, "g@example.com", "globex problem") // 64 KB file limit
		invited := must[core.Invited](t)(d.Engine.InviteCustomer(ctx, alice, d.Acme.ID, "remote session"))
		ended := must[core.Invited](t)(d.Engine.InviteCustomer(ctx, alice, d.Acme.ID, "finished session"))
		must[core.Request](t)(d.Engine.Close(ctx, alice, ended.Request.ID, ""))

		var mobile chat
		res := e.do(t, call{method: "POST", path: "/api/widget/requests", ctype: "application/json",
			header: http.Header{"User-Agent": {iphone}},
			body:   strings.NewReader(`{"key":"` + d.Acme.PortalKey + `","email":"phone@example.com","message":"from my phone"}`)})
		mustCode(t, res, http.StatusCreated)
		res.decode(t, &mobile)
		if !mobile.Request.Company.ImagesOnly || len(mobile.Request.Company.AllowedExts) != 6 {
			t.Fatalf("an iOS customer's policy %+v", mobile.Request.Company)
		}

		// Another request's file, and a file of another company.
		other := d.Open(t, d.Acme, "other@example.com", "mine is private")
		_, otherFile, err := d.Engine.AttachFile(ctx, core.CustomerActor(other.Participant.ID), other.Request.ID, core.Upload{Name: "secret.png", Body: bytes.NewReader(fixture(t, "photo.png"))})
		if err != nil {
			t.Fatal(err)
		}
		gres := e.upload(t, globex.Token, "globex.pdf", fixture(t, "report.pdf"))
		mustCode(t, gres, http.StatusCreated)
		var gup struct {
			File file `json:"file"`
		}
		gres.decode(t, &gup)

		big := bytes.Repeat([]byte("log line\n"), 200<<10/9) // 200 KB of text, over Globex's 64 KB
		tooBig, tooBigType := form(t, "file", "big.txt", big)
		tooBigBytes, _ := io.ReadAll(tooBig)
		noFile, noFileType := form(t, "attachment", "notes.txt", fixture(t, "notes.txt"))
		unknownFile := e.get(t, "/api/widget/files/fil_nope", live.Token)

		json := func(s string) io.Reader { return strings.NewReader(s) }
		key := d.Acme.PortalKey
		tests := []struct {
			name   string
			c      call
			upload string // file name: send fixture as the file field instead of c.body
			file   string // fixture to upload
			status int
			code   string
		}{
			// Opening.
			{name: "open: malformed JSON", c: call{method: "POST", path: "/api/widget/requests", ctype: "application/json", body: json(`{"key":`)}, status: 400, code: "invalid_input"},
			{name: "open: unknown field", c: call{method: "POST", path: "/api/widget/requests", ctype: "application/json", body: json(`{"key":"` + key + `","email":"a@example.com","message":"hi","admin":true}`)}, status: 400, code: "invalid_input"},
			{name: "open: trailing data", c: call{method: "POST", path: "/api/widget/requests", ctype: "application/json", body: json(`{"key":"` + key + `","email":"a@example.com","message":"hi"} {}`)}, status: 400, code: "invalid_input"},
			{name: "open: not JSON", c: call{method: "POST", path: "/api/widget/requests", ctype: "text/plain", body: json(`key=` + key)}, status: 415, code: "unsupported_media"},
			{name: "open: unknown portal key", c: call{method: "POST", path: "/api/widget/requests", ctype: "application/json", body: json(`{"key":"pk_nope","email":"a@example.com","message":"hi"}`)}, status: 404, code: "not_found"},
			{name: "open: no portal key", c: call{method: "POST", path: "/api/widget/requests", ctype: "application/json", body: json(`{"email":"a@example.com","message":"hi"}`)}, status: 404, code: "not_found"},
			{name: "open: no e-mail", c: call{method: "POST", path: "/api/widget/requests", ctype: "application/json", body: json(`{"key":"` + key + `","message":"hi"}`)}, status: 400, code: "invalid_input"},
			{name: "open: not an e-mail", c: call{method: "POST", path: "/api/widget/requests", ctype: "application/json", body: json(`{"key":"` + key + `","email":"pat at example","message":"hi"}`)}, status: 400, code: "invalid_input"},
			{name: "open: empty message", c: call{method: "POST", path: "/api/widget/requests", ctype: "application/json", body: json(`{"key":"` + key + `","email":"a@example.com","message":"   "}`)}, status: 400, code: "invalid_input"},
			{name: "join: unknown invitation", c: call{method: "POST", path: "/api/widget/join", ctype: "application/json", body: json(`{"code":"nope","email":"a@example.com"}`)}, status: 404, code: "not_found"},
			{name: "join: malformed JSON", c: call{method: "POST", path: "/api/widget/join", ctype: "application/json", body: json(`{"code":`)}, status: 400, code: "invalid_input"},
			{name: "join: bad e-mail", c: call{method: "POST", path: "/api/widget/join", ctype: "application/json", body: json(`{"code":"` + invited.Code + `","email":"nope"}`)}, status: 400, code: "invalid_input"},
			{name: "join: the session has ended", c: call{method: "POST", path: "/api/widget/join", ctype: "application/json", body: json(`{"code":"` + ended.Code + `","email":"a@example.com"}`)}, status: 409, code: "invalid_state"},
			{name: "company: unknown portal key", c: call{method: "GET", path: "/api/widget/company?key=pk_nope"}, status: 404, code: "not_found"},

			// Credentials.
			{name: "view: no token", c: call{method: "GET", path: "/api/widget/request"}, status: 401, code: "unauthorized"},
			{name: "view: unknown token", c: call{method: "GET", path: "/api/widget/request", token: "not-a-token"}, status: 401, code: "unauthorized"},
			{name: "view: not a bearer token", c: call{method: "GET", path: "/api/widget/request", auth: "Basic " + live.Token}, status: 401, code: "unauthorized"},
			{name: "message: no token", c: call{method: "POST", path: "/api/widget/messages", ctype: "application/json", body: json(`{"body":"hi"}`)}, status: 401, code: "unauthorized"},
			{name: "message: unknown token", c: call{method: "POST", path: "/api/widget/messages", token: "x" + live.Token, ctype: "application/json", body: json(`{"body":"hi"}`)}, status: 401, code: "unauthorized"},
			{name: "file: no token", upload: "notes.txt", file: "notes.txt", c: call{method: "POST", path: "/api/widget/files"}, status: 401, code: "unauthorized"},
			{name: "download: no token", c: call{method: "GET", path: "/api/widget/files/" + otherFile.ID}, status: 401, code: "unauthorized"},
			{name: "leave: no token", c: call{method: "POST", path: "/api/widget/leave"}, status: 401, code: "unauthorized"},
			{name: "sysinfo: no token", c: call{method: "POST", path: "/api/widget/sysinfo", ctype: "application/json", body: json(`{"os":"Linux"}`)}, status: 401, code: "unauthorized"},
			{name: "events: no token", c: call{method: "GET", path: "/api/widget/events?after=0"}, status: 401, code: "unauthorized"},

			// Messages and state.
			{name: "message: malformed JSON", c: call{method: "POST", path: "/api/widget/messages", token: live.Token, ctype: "application/json", body: json(`{"body":"hi"`)}, status: 400, code: "invalid_input"},
			{name: "message: wrong type", c: call{method: "POST", path: "/api/widget/messages", token: live.Token, ctype: "application/json", body: json(`{"body":42}`)}, status: 400, code: "invalid_input"},
			{name: "message: empty", c: call{method: "POST", path: "/api/widget/messages", token: live.Token, ctype: "application/json", body: json(`{"body":""}`)}, status: 400, code: "invalid_input"},
			{name: "message: after leaving", c: call{method: "POST", path: "/api/widget/messages", token: left.Token, ctype: "application/json", body: json(`{"body":"hello?"}`)}, status: 409, code: "invalid_state"},
			{name: "message: closed request", c: call{method: "POST", path: "/api/widget/messages", token: closed.Token, ctype: "application/json", body: json(`{"body":"one more thing"}`)}, status: 409, code: "invalid_state"},
			{name: "leave: twice", c: call{method: "POST", path: "/api/widget/leave", token: left.Token}, status: 409, code: "invalid_state"},
			{name: "sysinfo: closed request", c: call{method: "POST", path: "/api/widget/sysinfo", token: closed.Token, ctype: "application/json", body: json(`{"os":"Linux"}`)}, status: 409, code: "invalid_state"},
			{name: "sysinfo: malformed JSON", c: call{method: "POST", path: "/api/widget/sysinfo", token: live.Token, ctype: "application/json", body: json(`[`)}, status: 400, code: "invalid_input"},
			{name: "sysinfo: unknown device", c: call{method: "POST", path: "/api/widget/sysinfo", token: live.Token, ctype: "application/json", body: json(`{"device":"toaster"}`)}, status: 400, code: "invalid_input"},
			{name: "events: bad cursor", c: call{method: "GET", path: "/api/widget/events?after=abc", token: live.Token}, status: 400, code: "invalid_input"},

			// Files.
			{name: "file: forbidden type", upload: "page.html", file: "page.html", c: call{method: "POST", path: "/api/widget/files", token: live.Token}, status: 415, code: "unsupported_media"},
			{name: "file: no extension", upload: "README", file: "notes.txt", c: call{method: "POST", path: "/api/widget/files", token: live.Token}, status: 415, code: "unsupported_media"},
			{name: "file: content is not what the name says", upload: "screenshot.pdf", file: "screenshot.pdf", c: call{method: "POST", path: "/api/widget/files", token: live.Token}, status: 415, code: "unsupported_media"},
			{name: "file: a program named .txt", upload: "program.txt", file: "program.txt", c: call{method: "POST", path: "/api/widget/files", token: live.Token}, status: 415, code: "unsupported_media"},
			{name: "file: iOS customers send images only", upload: "report.pdf", file: "report.pdf", c: call{method: "POST", path: "/api/widget/files", token: mobile.Token}, status: 415, code: "unsupported_media"},
			{name: "file: too large, by Content-Length", c: call{method: "POST", path: "/api/widget/files", token: globex.Token, ctype: tooBigType, body: bytes.NewReader(tooBigBytes)}, status: 413, code: "too_large"},
			{name: "file: too large, streamed", c: call{method: "POST", path: "/api/widget/files", token: globex.Token, ctype: tooBigType, body: io.MultiReader(bytes.NewReader(tooBigBytes))}, status: 413, code: "too_large"},
			{name: "file: not multipart", c: call{method: "POST", path: "/api/widget/files", token: live.Token, ctype: "application/octet-stream", body: bytes.NewReader(fixture(t, "photo.png"))}, status: 415, code: "unsupported_media"},
			{name: "file: no file field", c: call{method: "POST", path: "/api/widget/files", token: live.Token, ctype: noFileType, body: noFile}, status: 400, code: "invalid_input"},
			{name: "file: broken multipart", c: call{method: "POST", path: "/api/widget/files", token: live.Token, ctype: "multipart/form-data; boundary=xyz", body: json("--xyz\r\nnot a part")}, status: 400, code: "invalid_input"},
			{name: "file: after leaving", upload: "photo.png", file: "photo.png", c: call{method: "POST", path: "/api/widget/files", token: left.Token}, status: 409, code: "invalid_state"},
			{name: "file: closed request", upload: "photo.png", file: "photo.png", c: call{method: "POST", path: "/api/widget/files", token: closed.Token}, status: 409, code: "invalid_state"},
			{name: "download: another request's file", c: call{method: "GET", path: "/api/widget/files/" + otherFile.ID, token: live.Token}, status: 404, code: "not_found"},
			{name: "download: another company's file", c: call{method: "GET", path: "/api/widget/files/" + gup.File.ID, token: live.Token}, status: 404, code: "not_found"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c := tc.c
				if tc.upload != "" {
					c.body, c.ctype = form(t, "file", tc.upload, fixture(t, tc.file))
				}
				before := storetest.Snapshot(t, d.Store)
				res := e.do(t, c)
				if res.code != tc.status {
					t.Fatalf("status %d, want %d: %s", res.code, tc.status, res.body)
				}
				var body apiError
				res.decode(t, &body)
				if body.Error.Code != tc.code || body.Error.Message == "" {
					t.Fatalf("error %+v, want code %s", body, tc.code)
				}
				if ct := res.hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Fatalf("Content-Type %q", ct)
				}
				if tc.status == 401 && res.hdr.Get("WWW-Authenticate") == "" {
					t.Fatal("401 without WWW-Authenticate")
				}
				if after := storetest.Snapshot(t, d.Store); after != before {
					t.Fatalf("the database changed:\nbefore\n%s\nafter\n%s", before, after)
				}
			})
		}

		// A file of someone else's request is as unknown as one that does
		// not exist: the answers are the same to the byte.
		for _, id := range []string{otherFile.ID, gup.File.ID} {
			if res := e.get(t, "/api/widget/files/"+id, live.Token); res.code != unknownFile.code || res.text() != unknownFile.text() {
				t.Fatalf("another request's file: %d %s; unknown file: %d %s", res.code, res.body, unknownFile.code, unknownFile.body)
			}
		}
	})
}
