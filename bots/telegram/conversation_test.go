package telegram_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/convtest"
)

// TestConversation is the conversation every adapter passes, its customer
// on Telegram: updates pushed through the fake Bot API, what the bot sends
// back read from its calls; the technicians on the engine.
func TestConversation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		convtest.Run(t, d, h.customer(), convtest.EngineTechnicians(t, d))
	})
}

// customer is Tess writing to the bot from her private chat.
func (h *harness) customer() convtest.Customer { return &telegramCustomer{h: h, update: 100} }

// telegramCustomer is convtest's customer on Telegram.
type telegramCustomer struct {
	h      *harness
	update int64        // the update_id of the last update
	r      core.Request // the request Tess opened
}

// push sends an update of Tess's and waits until the adapter processed it.
func (c *telegramCustomer) push(fixture string, set map[string]any) {
	c.h.t.Helper()
	c.update++
	if fixture == "text.json" {
		set["message_id"] = c.update // each message its own, as on Telegram
	}
	c.h.say(fixture, c.update, set)
}

// wait waits until Tess was sent something cond accepts.
func (c *telegramCustomer) wait(what string, cond func(telegramtest.Call) bool) {
	c.h.t.Helper()
	c.h.tg.Wait(c.h.t, "Tess to be sent "+what, func(calls []telegramtest.Call) bool {
		for _, call := range calls {
			if !call.Failed && call.Chat() == chat && cond(call) {
				return true
			}
		}
		return false
	})
}

// waitText waits until Tess was sent a message holding text.
func (c *telegramCustomer) waitText(text string) {
	c.h.t.Helper()
	c.wait(text, func(call telegramtest.Call) bool {
		return call.Method == "sendMessage" && strings.Contains(call.Fields["text"], text)
	})
}

func (c *telegramCustomer) Open(first string) core.Request {
	c.h.t.Helper()
	c.push("text.json", map[string]any{"text": first})
	c.waitText("Your request #")
	c.r = c.h.conversation().Request
	return c.r
}

func (c *telegramCustomer) Say(text string) { c.push("text.json", map[string]any{"text": text}) }

func (c *telegramCustomer) SendFile(f convtest.File) {
	c.h.t.Helper()
	id := "doc-" + f.Name
	c.h.tg.AddFile(id, "documents/"+f.Name, f.Body)
	c.push("document.json", map[string]any{"caption": nil, "document": map[string]any{"file_name": f.Name,
		"mime_type": "text/plain", "file_id": id, "file_unique_id": "u-" + f.Name, "file_size": len(f.Body)}})
}

func (c *telegramCustomer) WaitText(text string) { c.waitText(text) }

// WaitFile waits until Tess was sent the file, as a document or a photo.
func (c *telegramCustomer) WaitFile(f convtest.File) {
	c.h.t.Helper()
	c.wait(f.Name, func(call telegramtest.Call) bool {
		for _, field := range []string{"document", "photo"} {
			if up, ok := call.Files[field]; ok && up.Name == f.Name && bytes.Equal(up.Data, f.Body) {
				return true
			}
		}
		return false
	})
}

// WaitNotice waits for the bot's English text of n.
func (c *telegramCustomer) WaitNotice(n convtest.Notice) {
	c.h.t.Helper()
	switch n.Event {
	case core.EventJoined:
		c.waitText(n.Who + " joined the chat.")
	case core.EventTransferred:
		c.waitText(n.Who + " is now taking care of your request.")
	case core.EventClosed:
		c.waitText(fmt.Sprintf("Request #%d is closed.", c.r.Number))
	default:
		c.h.t.Fatalf("no Telegram text for the notice %s", n)
	}
}

func (c *telegramCustomer) NeverSaw(text string) {
	c.h.t.Helper()
	for _, call := range c.h.tg.Calls() {
		if call.Chat() == chat && strings.Contains(call.Fields["text"]+"\n"+call.Fields["caption"], text) {
			c.h.t.Fatalf("Tess was sent %q in %s: %q", text, call.Method, call.Fields["text"]+call.Fields["caption"])
		}
	}
}
