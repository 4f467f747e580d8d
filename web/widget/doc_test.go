package widget_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/richtext/richtexttest"
)

// TestMessageDocs: every message the widget API answers with, and every
// chat.message event of the live stream, carries its body parsed as a Doc
// for the page to build its DOM from, whoever wrote it; a file has none.
func TestMessageDocs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		live := d.Live(t)
		alice := storetest.Actor(d.Alice)
		type docs struct {
			Body string          `json:"body"`
			Type string          `json:"type"`
			Doc  json.RawMessage `json:"doc"`
		}
		for _, tc := range richtexttest.Cases {
			t.Run(tc.Name, func(t *testing.T) {
				// The customer's message: the answer to the post, then the chat.
				res := e.json(t, "POST", "/api/widget/messages", live.Token, map[string]string{"body": tc.Body})
				mustCode(t, res, http.StatusCreated)
				var posted docs
				res.decode(t, &posted)
				richtexttest.Equal(t, posted.Doc, tc.Doc)
				must[core.Message](t)(d.Engine.PostMessage(ctx, alice, live.Request.ID, core.Post{Body: tc.Body}))

				res = e.get(t, "/api/widget/request", live.Token)
				mustCode(t, res, http.StatusOK)
				var v struct{ Messages []docs }
				res.decode(t, &v)
				mine, theirs := v.Messages[len(v.Messages)-2], v.Messages[len(v.Messages)-1]
				if mine.Body != tc.Body || theirs.Body != tc.Body {
					t.Fatalf("the chat ends with %q and %q", mine.Body, theirs.Body)
				}
				richtexttest.Equal(t, mine.Doc, tc.Doc)
				richtexttest.Equal(t, theirs.Doc, tc.Doc)

				res = e.get(t, "/api/widget/events?after=0", live.Token)
				mustCode(t, res, http.StatusOK)
				var fr struct{ Events []docs }
				res.decode(t, &fr)
				n := 0
				for _, ev := range fr.Events {
					if ev.Type == string(core.EventMessage) && ev.Body == tc.Body {
						richtexttest.Equal(t, ev.Doc, tc.Doc)
						n++
					}
				}
				if n != 2 {
					t.Fatalf("%d chat.message events of %q", n, tc.Body)
				}
			})
		}

		// A file is its link, or its picture: it has no text to render.
		mustCode(t, e.upload(t, live.Token, "photo.png", fixture(t, "photo.png")), http.StatusCreated)
		mustCode(t, e.upload(t, live.Token, "notes.txt", fixture(t, "notes.txt")), http.StatusCreated)
		res := e.get(t, "/api/widget/request", live.Token)
		var v struct {
			Messages []struct {
				docs
				File *struct {
					Name  string `json:"name"`
					Image bool   `json:"image"`
				} `json:"file"`
			}
		}
		res.decode(t, &v)
		files := v.Messages[len(v.Messages)-2:]
		if files[0].File == nil || !files[0].File.Image || files[1].File == nil || files[1].File.Image || files[0].Doc != nil || files[1].Doc != nil {
			t.Fatalf("files %+v %+v", files[0], files[1])
		}
		res = e.get(t, "/api/widget/events?after=0", live.Token)
		var fr struct {
			Events []struct {
				Type string          `json:"type"`
				Doc  json.RawMessage `json:"doc"`
				File *struct {
					Image bool `json:"image"`
				} `json:"file"`
			}
		}
		res.decode(t, &fr)
		var images []bool
		for _, ev := range fr.Events {
			if ev.Type == string(core.EventFile) {
				images = append(images, ev.File.Image)
				if ev.Doc != nil {
					t.Errorf("a chat.file event with a doc: %s", ev.Doc)
				}
			}
		}
		if len(images) != 2 || !images[0] || images[1] {
			t.Fatalf("chat.file events: images %v", images)
		}
	})
}
