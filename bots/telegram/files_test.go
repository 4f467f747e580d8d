package telegram_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestRefusedFiles: a file the company does not take, or Telegram will not
// hand out, gets a clear answer and changes nothing, whether or not the
// customer has a request open; no request is opened for it.
func TestRefusedFiles(t *testing.T) {
	t.Parallel()
	doc := func(name string, size int64) map[string]any {
		return map[string]any{"document": map[string]any{"file_name": name, "mime_type": "application/octet-stream",
			"file_id": "doc-" + name, "file_unique_id": "u-" + name, "file_size": size}, "caption": nil}
	}
	tests := []struct {
		name     string
		set      map[string]any
		data     []byte // served for download; nil: not served
		want     string
		download bool // the bytes had to be fetched to decide
	}{
		{"a program", doc("setup.exe", 4096), []byte("MZ\x90\x00"), ".exe files are not accepted", false},
		{"no extension", doc("README", 10), []byte("hello"), "has no file extension", false},
		{"larger than Telegram lets bots fetch", doc("dump.zip", 30<<20), nil, "Telegram lets bots fetch files of up to 20 MB only", false},
		{"not what its name says", doc("invoice.pdf", 20), []byte("this is plain text, not a PDF"), `the content of "invoice.pdf" is not a .pdf file`, true},
		{"empty", doc("empty.txt", 0), []byte{}, `the file "empty.txt" is empty`, true},
	}
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{noDispatch: true})
		id := int64(400)
		for _, open := range []bool{false, true} {
			if open {
				h.text(id, "I have a request now")
				id++
			}
			for _, tt := range tests {
				if tt.data != nil {
					h.tg.AddFile("doc-"+tt.set["document"].(map[string]any)["file_name"].(string), "documents/"+tt.name, tt.data)
				}
				snap := storetest.Snapshot(t, d.Store)
				downloads := len(h.tg.Downloads())
				h.say("document.json", id, tt.set)
				id++
				h.waitSent(tt.want)
				if got := storetest.Snapshot(t, d.Store); got != snap {
					t.Fatalf("%s (request open: %v): a refused file changed the database:\n%s", tt.name, open, got)
				}
				if fetched := len(h.tg.Downloads()) > downloads; fetched != tt.download {
					t.Errorf("%s (request open: %v): downloaded: %v, want %v", tt.name, open, fetched, tt.download)
				}
			}
		}
		// What was refused is not in the chat; what was said is.
		if got := h.bodies(h.conversation().Request.ID); !slices.Equal(got, []string{"I have a request now"}) {
			t.Fatalf("chat lines %q", got)
		}
	})
}

// TestCompanyFileLimit: the company's size limit is checked before the
// download when Telegram tells the size, and after it otherwise.
func TestCompanyFileLimit(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true, company: "globex"}) // Globex takes 64 KB
	big := []byte(strings.Repeat("log line\n", 10000))                  // 90 KB
	h.tg.AddFile("big-told", "documents/big1.txt", big)
	h.tg.AddFile("big-untold", "documents/big2.txt", big)
	snap := storetest.Snapshot(t, d.Store)
	h.say("document.json", 1, map[string]any{"document": map[string]any{"file_name": "big.txt", "file_id": "big-told",
		"file_unique_id": "b1", "file_size": len(big)}})
	h.waitSent("larger than this company's limit of 64 KB")
	if len(h.tg.Downloads()) != 0 {
		t.Error("a file known to be too large was downloaded")
	}
	h.say("document.json", 2, map[string]any{"document": map[string]any{"file_name": "big.txt", "file_id": "big-untold",
		"file_unique_id": "b2"}})
	if n := len(h.sentTexts(chat)); n != 2 {
		t.Fatalf("%d answers, want 2: %q", n, h.sentTexts(chat))
	}
	if got := storetest.Snapshot(t, d.Store); got != snap {
		t.Fatal("an oversized file changed the database")
	}
	// Small enough: the document opens a request at Globex, its caption
	// the first message.
	h.tg.AddFile("small", "documents/small.txt", []byte("ok\n"))
	h.say("document.json", 3, map[string]any{"document": map[string]any{"file_name": "small.txt", "file_id": "small",
		"file_unique_id": "s", "file_size": 3}})
	c := h.conversation()
	if c.Request.CompanyID != d.Globex.ID {
		t.Fatalf("the request went to %s", c.Request.CompanyName)
	}
	if got := h.bodies(c.Request.ID); !slices.Equal(got, []string{"The printer's log", "small.txt"}) {
		t.Fatalf("chat lines %q", got)
	}
	if v, _ := d.Engine.ViewRequest(ctx, core.TechnicianActor(d.Carol.ID), c.Request.ID); len(v.Files) != 1 {
		t.Fatalf("files %+v", v.Files)
	}
}
