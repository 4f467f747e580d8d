package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// shareFile posts the message event of user sharing file (AddFile's) in
// the thread threadTS as message ts, with text.
func (h *harness) shareFile(user, threadTS, ts, text string, file map[string]any) {
	h.t.Helper()
	p := fixture(h.t, "message.json", map[string]any{"event.user": user, "event.thread_ts": threadTS, "event.ts": ts,
		"event.text": text, "event.subtype": "file_share", "event.files": []any{file},
		"event_id": "Ev" + strings.ReplaceAll(ts, ".", "")})
	b, _ := json.Marshal(p)
	if code, body := slacktest.Post(h.t, h.url+slack.EventsPath, secret, "application/json", b); code != 200 {
		h.t.Fatalf("file_share: %d %s", code, body)
	}
	h.a.Idle()
}

// TestFiles is what Slack adds to the files of the conversation every
// adapter passes (TestConversation): a customer's file is uploaded into
// the thread with Slack's three steps (its bytes and the customer's name),
// and posted as a console link when Slack refuses the upload; a file the
// owner shares in the thread is downloaded with the bot token and relayed
// once however often Slack delivers the event; a forbidden file is
// explained to its sender alone and relayed nowhere; a file shared by a
// colleague outside the chat is kept as a private note.
func TestFiles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		e := d.Engine
		o := d.Open(t, d.Acme, "tess@example.com", "See the log.")
		r, cust := o.Request, core.CustomerActor(o.Participant.ID)
		cardTS := h.card(1001)
		h.click(aliceU, string(core.ActionAssign), r.ID)
		h.click(aliceU, string(core.ActionJoin), r.ID)
		h.waitThread(cardTS, "Alice joined the chat")

		// The customer's file, uploaded into the thread.
		logBytes := []byte("2026-01-01 printer: paper jam in tray 2\n")
		must[core.Message](t)(func() (core.Message, error) {
			m, _, err := e.AttachFile(ctx, cust, r.ID, core.Upload{Name: "printer.log", Body: bytes.NewReader(logBytes), Size: int64(len(logBytes))})
			return m, err
		}())
		h.sl.Wait(t, "the upload completed", func(calls []slacktest.Call) bool {
			return len(callsOf(calls, "files.completeUploadExternal")) == 1
		})
		get := h.sl.Calls("files.getUploadURLExternal")
		up := h.sl.Calls("upload")
		done := h.sl.Calls("files.completeUploadExternal")[0]
		if len(get) != 1 || get[0].Fields["filename"] != "printer.log" || get[0].Fields["length"] != itoa(int64(len(logBytes))) {
			t.Fatalf("files.getUploadURLExternal: %+v", get)
		}
		if len(up) != 1 || up[0].Failed || up[0].Fields["content"] != string(logBytes) {
			t.Fatalf("the upload: %+v", up)
		}
		if done.Fields["channel_id"] != channel || done.Fields["thread_ts"] != cardTS ||
			!strings.Contains(done.Fields["initial_comment"], "tess@example.com") ||
			!strings.Contains(done.Fields["initial_comment"], "(customer) sent a file: printer.log") ||
			!strings.Contains(done.Fields["files"], up[0].Fields["file_id"]) {
			t.Fatalf("files.completeUploadExternal: %+v", done.Fields)
		}

		// Slack refuses the next upload for good: a console link instead.
		h.sl.Fail("files.completeUploadExternal", slacktest.Failure{Error: "not_in_channel"})
		must[core.Message](t)(func() (core.Message, error) {
			m, _, err := e.AttachFile(ctx, cust, r.ID, core.Upload{Name: "second.txt", Body: strings.NewReader("more"), Size: 4})
			return m, err
		}())
		h.waitThread(cardTS, "|second.txt> (4 bytes)")

		// Alice shares a file in the thread; Slack delivers the event twice.
		fix := h.sl.AddFile("fix.txt", []byte("Turn it off and on again."))
		h.shareFile(aliceU, cardTS, "1767225700.000500", "", fix)
		h.shareFile(aliceU, cardTS, "1767225700.000500", "", fix)
		// A forbidden file, and a file of Bob's, who is not in the chat.
		h.shareFile(aliceU, cardTS, "1767225700.000600", "", h.sl.AddFile("tool.exe", []byte("MZ...")))
		h.shareFile(bobU, cardTS, "1767225700.000700", "", h.sl.AddFile("bob-notes.txt", []byte("PRIVATE-BOB")))
		h.waitThread(cardTS, "bob-notes.txt by Bob is kept as a private note")

		v := must[core.RequestView](t)(e.ViewRequest(ctx, cust, r.ID))
		var names []string
		for _, m := range v.Messages {
			if m.FileID != "" {
				names = append(names, m.Body)
			}
		}
		if strings.Join(names, ",") != "printer.log,second.txt,fix.txt" {
			t.Fatalf("the customer sees the files %q", names)
		}
		tv := must[core.RequestView](t)(e.ViewRequest(ctx, storetest.Actor(d.Admin), r.ID))
		var noteFiles int
		for _, m := range tv.Messages {
			if m.FileID != "" && m.Audience == core.AudienceTechnicians {
				noteFiles++
			}
		}
		if noteFiles != 1 {
			t.Errorf("%d files kept as notes, want Bob's", noteFiles)
		}
		refused := strings.Join(h.ephemerals(aliceU), "\n")
		if !strings.Contains(refused, "The file tool.exe was not passed on") {
			t.Errorf("Alice was told %q", refused)
		}
		for _, c := range h.sl.Calls("download") {
			if c.Failed {
				t.Errorf("a download failed: %+v", c)
			}
		}
		// The files shared in Slack are not uploaded back into the thread.
		if n := len(h.sl.Calls("files.getUploadURLExternal")); n != 2 {
			t.Errorf("%d uploads started, want the customer's two", n)
		}
	})
}

func callsOf(calls []slacktest.Call, method string) []slacktest.Call {
	var out []slacktest.Call
	for _, c := range calls {
		if c.Method == method && !c.Failed {
			out = append(out, c)
		}
	}
	return out
}

// revokes is the desk's store, except that the first file looked up once
// armed has its sender's access revoked just before: a colleague who
// loses the company's grant while their file is on its way.
type revokes struct {
	core.Store
	armed  atomic.Bool
	once   sync.Once
	revoke func()
}

func (s *revokes) File(ctx context.Context, id string) (core.File, error) {
	if s.armed.Load() {
		s.once.Do(s.revoke)
	}
	return s.Store.File(ctx, id)
}

// TestFileOfARevokedSender: a file is delivered for the event that shared
// it, whatever its sender may read by the time it goes out.
func TestFileOfARevokedSender(t *testing.T) {
	d := storetest.NewDesk(t, storetest.SQLite(t))
	st := &revokes{Store: d.Store, revoke: func() {
		if err := d.Engine.RevokeAccess(ctx, core.SystemActor(), d.Bob.ID, d.Acme.ID); err != nil {
			t.Errorf("revoke: %v", err)
		}
	}}
	h := newHarness(t, d, options{engine: core.NewEngine(core.Config{Store: st, Blobs: d.Blobs})})
	o := d.Live(t)
	cardTS := h.card(1001)
	h.waitThread(cardTS, "Alice joined the chat")
	if _, err := d.Engine.InviteTechnician(ctx, storetest.Actor(d.Alice), o.Request.ID, d.Bob.ID); err != nil {
		t.Fatal(err)
	}
	h.waitThread(cardTS, "invited Bob")
	st.armed.Store(true)

	notes := []byte("the fuser was replaced in March\n")
	if _, _, err := d.Engine.AttachFile(ctx, storetest.Actor(d.Bob), o.Request.ID,
		core.Upload{Name: "history.txt", Body: bytes.NewReader(notes), Size: int64(len(notes))}); err != nil {
		t.Fatal(err)
	}
	var link string
	h.sl.Wait(t, "the file or its link in the thread", func(calls []slacktest.Call) bool {
		for _, c := range calls {
			if c.Method == "files.completeUploadExternal" && c.Fields["thread_ts"] == cardTS {
				return true
			}
			if c.Method == "chat.postMessage" && c.Fields["thread_ts"] == cardTS && strings.Contains(c.Fields["text"], "history.txt") {
				link = c.Fields["text"]
				return true
			}
		}
		return false
	})
	if up := h.sl.Calls("upload"); link != "" || len(up) != 1 || up[0].Fields["content"] != string(notes) {
		t.Fatalf("Bob's file was not uploaded into the thread (uploads: %+v; posted instead: %q)", up, link)
	}
}
