package widget_test

import (
	"bytes"
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

// TestConversation is the conversation every adapter passes, its customer
// in the web widget, over the widget's HTTP API; the technicians on the
// engine.
func TestConversation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		convtest.Run(t, e.desk, &widgetCustomer{t: t, e: e}, convtest.EngineTechnicians(t, e.desk))
	})
}

// widgetCustomer is convtest's customer in the widget: the token the
// widget keeps once the request is open.
type widgetCustomer struct {
	t     *testing.T
	e     *env
	token string
}

func (c *widgetCustomer) Open(first string) core.Request {
	c.t.Helper()
	c.token = c.e.open(c.t, c.e.desk.Acme, "tess@example.com", first).Token
	return c.e.requestOf(c.t, c.token)
}

func (c *widgetCustomer) Say(text string) {
	c.t.Helper()
	mustCode(c.t, c.e.json(c.t, "POST", "/api/widget/messages", c.token, map[string]string{"body": text}), http.StatusCreated)
}

func (c *widgetCustomer) SendFile(f convtest.File) {
	c.t.Helper()
	mustCode(c.t, c.e.upload(c.t, c.token, f.Name, f.Body), http.StatusCreated)
}

// chat is the request as the widget shows it now.
func (c *widgetCustomer) chat() (chat, response) {
	c.t.Helper()
	res := c.e.get(c.t, "/api/widget/request", c.token)
	mustCode(c.t, res, http.StatusOK)
	var v chat
	res.decode(c.t, &v)
	return v, res
}

// waitMessage waits until the widget shows a technician's message that ok
// accepts.
func (c *widgetCustomer) waitMessage(what string, ok func(message) bool) message {
	c.t.Helper()
	var found message
	testwait.Until(c.t, "the customer to be shown "+what+" in the widget", func() error {
		v, _ := c.chat()
		var seen []string
		for _, m := range v.Messages {
			if !m.Mine && m.AuthorKind == string(core.ActorTechnician) && ok(m) {
				found = m
				return nil
			}
			seen = append(seen, m.Body)
		}
		return fmt.Errorf("the widget shows %q", seen)
	})
	return found
}

func (c *widgetCustomer) WaitText(text string) {
	c.t.Helper()
	c.waitMessage(fmt.Sprintf("%q", text), func(m message) bool { return m.File == nil && strings.Contains(m.Body, text) })
}

// WaitFile waits for the file in the chat and downloads it from there.
func (c *widgetCustomer) WaitFile(f convtest.File) {
	c.t.Helper()
	m := c.waitMessage(f.Name, func(m message) bool { return m.File != nil && m.File.Name == f.Name })
	res := c.e.get(c.t, "/api/widget/files/"+m.File.ID, c.token)
	mustCode(c.t, res, http.StatusOK)
	if !bytes.Equal(res.body, f.Body) {
		c.t.Fatalf("the customer downloads %q for %s, want %q", res.body, f.Name, f.Body)
	}
}

// events are the request's events as the widget reads them, and the answer
// they came in.
func (c *widgetCustomer) events() (frame, response) {
	c.t.Helper()
	res := c.e.get(c.t, "/api/widget/events?after=0", c.token)
	mustCode(c.t, res, http.StatusOK)
	var fr frame
	res.decode(c.t, &fr)
	return fr, res
}

// WaitNotice waits for the event the widget renders as the notice n.
func (c *widgetCustomer) WaitNotice(n convtest.Notice) {
	c.t.Helper()
	testwait.Until(c.t, "the customer to be told "+n.String()+" in the widget", func() error {
		fr, _ := c.events()
		var seen []string
		for _, ev := range fr.Events {
			who := ev.ActorName
			if ev.Type == string(core.EventTransferred) {
				who = ev.TechnicianName
			}
			if ev.Type == string(n.Event) && (n.Who == "" || who == n.Who) {
				return nil
			}
			seen = append(seen, ev.Type)
		}
		return fmt.Errorf("the events: %v", seen)
	})
}

// NeverSaw looks for text in all the widget was given of the request.
func (c *widgetCustomer) NeverSaw(text string) {
	c.t.Helper()
	_, view := c.chat()
	_, evs := c.events()
	for _, res := range []response{view, evs} {
		if strings.Contains(res.text(), text) {
			c.t.Fatalf("the widget was given %q: %s", text, res.body)
		}
	}
}
