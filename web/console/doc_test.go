package console_test

import (
	"encoding/json"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/richtext/richtexttest"
)

// TestMessageDocs: a message the console stores, every message and note of
// a request's timeline and every chat.message or chat.note event of the
// feed carry their body parsed as a Doc, for the page to build its DOM
// from; files and notices have none.
func TestMessageDocs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		o := d.Live(t)
		id := o.Request.ID
		alice := e.login(d.Alice)
		customer := core.CustomerActor(o.Participant.ID)
		type docs struct {
			Kind string          `json:"kind"`
			Type string          `json:"type"`
			Body string          `json:"body"`
			Doc  json.RawMessage `json:"doc"`
			Data struct {
				Body string `json:"body"`
			} `json:"data"`
		}
		for _, tc := range richtexttest.Cases {
			t.Run(tc.Name, func(t *testing.T) {
				pos, err := d.Engine.LogEnd(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := d.Engine.PostMessage(t.Context(), customer, id, core.Post{Body: tc.Body}); err != nil {
					t.Fatal(err)
				}
				for _, note := range []bool{false, true} {
					res := alice.do("POST", "/console/api/requests/"+id+"/messages", map[string]any{"body": tc.Body, "note": note}, nil)
					if res.code != 201 {
						t.Fatalf("post: %d %s", res.code, res.body)
					}
					var m docs
					res.json(t, &m)
					richtexttest.Equal(t, m.Doc, tc.Doc)
				}

				res := alice.do("GET", "/console/api/requests/"+id, nil, nil)
				var dt struct{ Timeline []docs }
				res.json(t, &dt)
				kinds := map[string]int{}
				for _, l := range dt.Timeline {
					if l.Body == tc.Body {
						richtexttest.Equal(t, l.Doc, tc.Doc)
						kinds[l.Kind]++
					} else if l.Doc != nil && l.Kind != "message" && l.Kind != "note" {
						t.Errorf("a %s line with a doc: %s", l.Kind, l.Doc)
					}
				}
				if kinds["message"] < 2 || kinds["note"] < 1 {
					t.Fatalf("timeline lines of %q: %v", tc.Body, kinds)
				}

				// The feed, followed as the page does until all three arrived.
				seen := 0
				for after, polls := pos.String(), 0; seen < 3; polls++ {
					if polls == 50 {
						t.Fatalf("the feed carried %d of the 3 messages", seen)
					}
					var fr struct {
						Events []docs
						Next   string
					}
					alice.do("GET", "/console/api/feed?after="+after, nil, nil).json(t, &fr)
					for _, ev := range fr.Events {
						if ev.Type == string(core.EventMessage) || ev.Type == string(core.EventNote) {
							if ev.Data.Body != tc.Body {
								t.Fatalf("a %s of %q", ev.Type, ev.Data.Body)
							}
							richtexttest.Equal(t, ev.Doc, tc.Doc)
							seen++
						}
					}
					after = fr.Next
				}
			})
		}

		// A file is its link or its picture: it has no text to render.
		res := alice.upload(id, "fix.txt", []byte("do this"), "")
		var m docs
		res.json(t, &m)
		if res.code != 201 || m.Doc != nil {
			t.Fatalf("upload: %d %s", res.code, res.body)
		}
		var dt struct{ Timeline []docs }
		alice.do("GET", "/console/api/requests/"+id, nil, nil).json(t, &dt)
		files := 0
		for _, l := range dt.Timeline {
			if l.Kind == "file" {
				files++
				if l.Doc != nil {
					t.Errorf("a file line with a doc: %s", l.Doc)
				}
			}
		}
		if files != 1 {
			t.Fatalf("%d file lines", files)
		}
	})
}
