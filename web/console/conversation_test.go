package console_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/convtest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestConversation is the conversation every adapter passes, its
// technicians signed in to the console and working over its HTTP API;
// the customer on the engine.
func TestConversation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		convtest.Run(t, e.d, convtest.EngineCustomer(t, e.d), e.technicians())
	})
}

// technicians are the desk's technicians, each signed in to the console
// in a browser of their own.
func (e *env) technicians() func(core.Technician) convtest.Technician {
	return func(t core.Technician) convtest.Technician {
		return &consoleTechnician{e: e, tech: t, b: e.login(t)}
	}
}

// consoleTechnician is convtest's technician in the console.
type consoleTechnician struct {
	e    *env
	tech core.Technician
	b    *browser
}

// post sends body to the API route of r named action and wants code.
func (c *consoleTechnician) post(r core.Request, action string, body any, code int) {
	c.e.t.Helper()
	if res := c.b.do("POST", "/console/api/requests/"+r.ID+action, body, nil); res.code != code {
		c.e.t.Fatalf("%s: POST %s answered %d %s, want %d", c.tech.Name, action, res.code, res.body, code)
	}
}

func (c *consoleTechnician) Claim(r core.Request) { c.post(r, "/assign", nil, http.StatusOK) }

func (c *consoleTechnician) Join(r core.Request) { c.post(r, "/join", map[string]any{}, http.StatusOK) }

func (c *consoleTechnician) Say(r core.Request, text string) {
	c.post(r, "/messages", map[string]any{"body": text}, http.StatusCreated)
}

func (c *consoleTechnician) Note(r core.Request, text string) {
	c.post(r, "/messages", map[string]any{"body": text, "note": true}, http.StatusCreated)
}

func (c *consoleTechnician) SendFile(r core.Request, f convtest.File) {
	c.e.t.Helper()
	if res := c.b.upload(r.ID, f.Name, f.Body, ""); res.code != http.StatusCreated {
		c.e.t.Fatalf("%s: the upload of %s answered %d %s", c.tech.Name, f.Name, res.code, res.body)
	}
}

func (c *consoleTechnician) Transfer(r core.Request, to core.Technician) {
	c.post(r, "/transfer", map[string]string{"technician": to.ID}, http.StatusOK)
}

func (c *consoleTechnician) Close(r core.Request, note string) {
	c.post(r, "/close", map[string]string{"note": note}, http.StatusOK)
}

// line is one line of the Details panel's timeline, as the conversation
// reads it.
type line struct {
	Kind       string `json:"kind"`
	AuthorKind string `json:"author_kind"`
	Body       string `json:"body"`
	File       *struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"file"`
}

// waitLine waits until r's timeline holds a line of the customer's that
// ok accepts.
func (c *consoleTechnician) waitLine(r core.Request, what string, ok func(line) bool) {
	c.e.t.Helper()
	testwait.Until(c.e.t, c.tech.Name+" to be shown "+what+" in the console", func() error {
		res := c.b.do("GET", "/console/api/requests/"+r.ID, nil, nil)
		if res.code != http.StatusOK {
			c.e.t.Fatalf("%s: the details of the request answered %d %s", c.tech.Name, res.code, res.body)
		}
		var d struct{ Timeline []line }
		res.json(c.e.t, &d)
		var seen []string
		for _, l := range d.Timeline {
			if l.AuthorKind == string(core.ActorCustomer) && ok(l) {
				return nil
			}
			seen = append(seen, l.Kind+": "+l.Body)
		}
		return fmt.Errorf("the timeline: %q", seen)
	})
}

func (c *consoleTechnician) WaitText(r core.Request, text string) {
	c.e.t.Helper()
	c.waitLine(r, fmt.Sprintf("the customer's %q", text), func(l line) bool {
		return l.Kind == "message" && strings.Contains(l.Body, text)
	})
}

// WaitFile waits for the customer's file in the timeline and downloads it
// from the link there.
func (c *consoleTechnician) WaitFile(r core.Request, f convtest.File) {
	c.e.t.Helper()
	var url string
	c.waitLine(r, "the customer's "+f.Name, func(l line) bool {
		if l.Kind != "file" || l.File == nil || l.File.Name != f.Name {
			return false
		}
		url = l.File.URL
		return true
	})
	if res := c.b.do("GET", url, nil, nil); res.code != http.StatusOK || res.body != string(f.Body) {
		c.e.t.Fatalf("%s: the download of %s answered %d %q, want %q", c.tech.Name, f.Name, res.code, res.body, f.Body)
	}
}
