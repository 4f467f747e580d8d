package convtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

var ctx = context.Background()

// EngineCustomer is the customer played by the engine directly, as the
// web widget does, for a harness whose surface is the technicians'.
func EngineCustomer(t testing.TB, d *storetest.Desk) Customer {
	return &engineCustomer{t: t, d: d}
}

type engineCustomer struct {
	t  testing.TB
	d  *storetest.Desk
	o  core.Opened
	by core.Actor
}

func (c *engineCustomer) Open(first string) core.Request {
	c.t.Helper()
	c.o = c.d.Open(c.t, c.d.Acme, "tess@example.com", first)
	c.by = core.CustomerActor(c.o.Participant.ID)
	return c.o.Request
}

func (c *engineCustomer) Say(text string) {
	c.t.Helper()
	if _, err := c.d.Engine.PostMessage(ctx, c.by, c.o.Request.ID, core.Post{Body: text}); err != nil {
		c.t.Fatalf("the customer writes %q: %v", text, err)
	}
}

func (c *engineCustomer) SendFile(f File) {
	c.t.Helper()
	if _, _, err := c.d.Engine.AttachFile(ctx, c.by, c.o.Request.ID, upload(f)); err != nil {
		c.t.Fatalf("the customer sends %s: %v", f.Name, err)
	}
}

func (c *engineCustomer) WaitText(text string) {
	c.t.Helper()
	testwait.Until(c.t, fmt.Sprintf("the customer to be shown %q", text), func() error {
		v := c.view()
		for _, m := range v.Messages {
			if m.AuthorKind == core.ActorTechnician && m.FileID == "" && strings.Contains(m.Body, text) {
				return nil
			}
		}
		return fmt.Errorf("the customer sees %q", bodies(v))
	})
}

func (c *engineCustomer) WaitFile(f File) {
	c.t.Helper()
	testwait.Until(c.t, "the customer to be given "+f.Name, func() error {
		return hasFile(c.t, c.d.Engine, c.by, c.view(), core.ActorTechnician, f)
	})
}

func (c *engineCustomer) WaitNotice(n Notice) {
	c.t.Helper()
	testwait.Until(c.t, "the customer to be told "+n.String(), func() error {
		evs := c.events()
		for _, ev := range evs {
			if ev.Type == n.Event && (n.Who == "" || n.Who == noticeWho(ev)) {
				return nil
			}
		}
		return fmt.Errorf("the customer's events: %s", eventTypes(evs))
	})
}

func (c *engineCustomer) NeverSaw(text string) {
	c.t.Helper()
	for _, m := range c.view().Messages {
		if strings.Contains(m.Body, text) {
			c.t.Fatalf("the customer was shown %q in a message: %q", text, m.Body)
		}
	}
	for _, ev := range c.events() {
		if b, _ := json.Marshal(ev); bytes.Contains(b, []byte(text)) {
			c.t.Fatalf("the customer was shown %q in the event %s", text, b)
		}
	}
}

func (c *engineCustomer) view() core.RequestView {
	c.t.Helper()
	v, err := c.d.Engine.ViewRequest(ctx, c.by, c.o.Request.ID)
	if err != nil {
		c.t.Fatalf("the customer's view: %v", err)
	}
	return v
}

func (c *engineCustomer) events() []core.Event {
	c.t.Helper()
	evs, err := c.d.Engine.Events(ctx, c.by, c.o.Request.ID, 0, 500)
	if err != nil {
		c.t.Fatalf("the customer's events: %v", err)
	}
	return evs
}

// noticeWho is the technician an event names for a Notice.
func noticeWho(ev core.Event) string {
	if ev.Type == core.EventTransferred {
		return ev.Data.TechnicianName
	}
	return ev.Data.ActorName
}

func eventTypes(evs []core.Event) string {
	var s []string
	for _, ev := range evs {
		s = append(s, string(ev.Type))
	}
	return strings.Join(s, " ")
}

// EngineTechnicians are the desk's technicians played by the engine
// directly, as the console does, for a harness whose surface is the
// customer's.
func EngineTechnicians(t testing.TB, d *storetest.Desk) func(core.Technician) Technician {
	return func(tech core.Technician) Technician {
		return &engineTechnician{t: t, d: d, tech: tech, by: storetest.Actor(tech)}
	}
}

type engineTechnician struct {
	t    testing.TB
	d    *storetest.Desk
	tech core.Technician
	by   core.Actor
}

// must fails the test when what the technician did was refused.
func (e *engineTechnician) must(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s %s: %v", e.tech.Name, what, err)
	}
}

func (e *engineTechnician) Claim(r core.Request) {
	e.t.Helper()
	_, err := e.d.Engine.AssignToMe(ctx, e.by, r.ID)
	e.must("claims the request", err)
}

func (e *engineTechnician) Join(r core.Request) {
	e.t.Helper()
	_, err := e.d.Engine.JoinChat(ctx, e.by, r.ID)
	e.must("joins the chat", err)
}

func (e *engineTechnician) Say(r core.Request, text string) {
	e.t.Helper()
	_, err := e.d.Engine.PostMessage(ctx, e.by, r.ID, core.Post{Body: text})
	e.must(fmt.Sprintf("writes %q", text), err)
}

func (e *engineTechnician) Note(r core.Request, text string) {
	e.t.Helper()
	_, err := e.d.Engine.AddNote(ctx, e.by, r.ID, core.Note{Body: text})
	e.must("writes a note", err)
}

func (e *engineTechnician) SendFile(r core.Request, f File) {
	e.t.Helper()
	_, _, err := e.d.Engine.AttachFile(ctx, e.by, r.ID, upload(f))
	e.must("sends "+f.Name, err)
}

func (e *engineTechnician) Transfer(r core.Request, to core.Technician) {
	e.t.Helper()
	_, err := e.d.Engine.Transfer(ctx, e.by, r.ID, to.ID)
	e.must("hands the request over to "+to.Name, err)
}

func (e *engineTechnician) Close(r core.Request, note string) {
	e.t.Helper()
	_, err := e.d.Engine.Close(ctx, e.by, r.ID, note)
	e.must("closes the request", err)
}

func (e *engineTechnician) WaitText(r core.Request, text string) {
	e.t.Helper()
	testwait.Until(e.t, fmt.Sprintf("%s to be shown the customer's %q", e.tech.Name, text), func() error {
		v := e.view(r)
		for _, m := range v.Messages {
			if m.AuthorKind == core.ActorCustomer && m.FileID == "" && strings.Contains(m.Body, text) {
				return nil
			}
		}
		return fmt.Errorf("%s sees %q", e.tech.Name, bodies(v))
	})
}

func (e *engineTechnician) WaitFile(r core.Request, f File) {
	e.t.Helper()
	testwait.Until(e.t, fmt.Sprintf("%s to be given the customer's %s", e.tech.Name, f.Name), func() error {
		return hasFile(e.t, e.d.Engine, e.by, e.view(r), core.ActorCustomer, f)
	})
}

func (e *engineTechnician) view(r core.Request) core.RequestView {
	e.t.Helper()
	v, err := e.d.Engine.ViewRequest(ctx, e.by, r.ID)
	if err != nil {
		e.t.Fatalf("%s's view of the request: %v", e.tech.Name, err)
	}
	return v
}

func upload(f File) core.Upload {
	return core.Upload{Name: f.Name, Body: bytes.NewReader(f.Body), Size: int64(len(f.Body))}
}

// hasFile says whether v holds f, sent by someone of kind from, with f's
// bytes as by reads them.
func hasFile(tb testing.TB, e *core.Engine, by core.Actor, v core.RequestView, from core.ActorKind, f File) error {
	tb.Helper()
	for _, m := range v.Messages {
		file, ok := v.Files[m.FileID]
		if m.FileID == "" || !ok || m.AuthorKind != from || file.Name != f.Name {
			continue
		}
		_, rc, err := e.OpenFile(ctx, by, file.ID)
		if err != nil {
			tb.Fatalf("open %s: %v", f.Name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatalf("read %s: %v", f.Name, err)
		}
		if !bytes.Equal(got, f.Body) {
			tb.Fatalf("%s holds %q, want %q", f.Name, got, f.Body)
		}
		return nil
	}
	return fmt.Errorf("the messages are %q", bodies(v))
}

func bodies(v core.RequestView) []string {
	var out []string
	for _, m := range v.Messages {
		out = append(out, m.Body)
	}
	return out
}
