package discord_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/convtest"
)

// TestConversation is the conversation every adapter passes, its
// technicians in Discord: the card's buttons and /support over the
// interactions endpoint, messages and attachments in the card's thread
// over the gateway; the customer on the engine.
func TestConversation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		convtest.Run(t, d, convtest.EngineCustomer(t, d), h.technicians())
	})
}

// technicians are the desk's technicians working from Discord as the
// users linked to them.
func (h *harness) technicians() func(core.Technician) convtest.Technician {
	users := map[string]string{h.d.Alice.ID: aliceU, h.d.Bob.ID: bobU, h.d.Carol.ID: carolU}
	return func(t core.Technician) convtest.Technician {
		return &discordTechnician{h: h, tech: t, user: users[t.ID], users: users}
	}
}

// discordTechnician is convtest's technician in Discord.
type discordTechnician struct {
	h     *harness
	tech  core.Technician
	user  string
	users map[string]string // Discord users by technician ID
}

// card is r's card and its thread, once the adapter knows them.
func (s *discordTechnician) card(r core.Request) (msg, thread string) {
	s.h.t.Helper()
	return s.h.card(r.Number)
}

func (s *discordTechnician) click(r core.Request, action core.Action, card string) {
	s.h.t.Helper()
	if res := s.h.click(s.user, string(action), r.ID); res.Type != 6 {
		s.h.t.Fatalf("%s pressed %s and was told %q", s.tech.Name, action, res.Data.Content)
	}
	msg, _ := s.card(r)
	s.h.waitCard(msg, card)
}

func (s *discordTechnician) Claim(r core.Request) {
	s.click(r, core.ActionAssign, "owner "+s.tech.Name)
}

func (s *discordTechnician) Join(r core.Request) { s.click(r, core.ActionJoin, "chat live") }

func (s *discordTechnician) Say(r core.Request, text string) {
	s.h.t.Helper()
	_, thread := s.card(r)
	s.h.say(s.user, thread, text)
}

func (s *discordTechnician) Note(r core.Request, text string) {
	s.h.t.Helper()
	_, thread := s.card(r)
	s.h.say(s.user, thread, "!note "+text)
	s.h.waitThread(thread, "Private note by "+s.tech.Name+" saved")
}

func (s *discordTechnician) SendFile(r core.Request, f convtest.File) {
	s.h.t.Helper()
	_, thread := s.card(r)
	id := s.h.dc.NextID()
	url := s.h.dc.Attachment(id, f.Name, f.Body)
	s.h.say(s.user, thread, "", map[string]any{"id": id, "filename": f.Name, "size": len(f.Body),
		"url": url, "proxy_url": url, "content_type": "text/plain"})
}

// command runs /support sub with opts and wants an answer saying want.
func (s *discordTechnician) command(want, sub string, opts ...string) {
	s.h.t.Helper()
	if got := s.h.command(s.user, sub, opts...); !strings.Contains(got, want) {
		s.h.t.Fatalf("%s ran /support %s %q and was told %q, want %q", s.tech.Name, sub, opts, got, want)
	}
}

func (s *discordTechnician) Transfer(r core.Request, to core.Technician) {
	s.h.t.Helper()
	n := strconv.FormatInt(r.Number, 10)
	s.command(to.Name+" now owns request #"+n, "transfer", "request", n, "colleague", "<@"+s.users[to.ID]+">")
	msg, _ := s.card(r)
	s.h.waitCard(msg, "owner "+to.Name)
}

func (s *discordTechnician) Close(r core.Request, note string) {
	s.h.t.Helper()
	n := strconv.FormatInt(r.Number, 10)
	s.command("You closed request #"+n, "close", "request", n, "note", note)
	msg, _ := s.card(r)
	s.h.waitCard(msg, "Completed")
}

func (s *discordTechnician) WaitText(r core.Request, text string) {
	s.h.t.Helper()
	_, thread := s.card(r)
	s.h.waitThread(thread, "(customer): "+text)
}

// WaitFile waits for the file's upload into r's thread: a message saying
// who sent it, with the file attached as Discord takes attachments.
func (s *discordTechnician) WaitFile(r core.Request, f convtest.File) {
	s.h.t.Helper()
	_, thread := s.card(r)
	s.h.dc.Wait(s.h.t, "the customer's "+f.Name+" uploaded into the thread", func(calls []discordtest.Call) bool {
		for _, c := range calls {
			if c.Route != "createMessage" || c.Failed || c.Channel != thread ||
				!strings.Contains(c.Content(), "(customer) sent a file: "+f.Name) {
				continue
			}
			for _, file := range c.Files {
				if strings.HasPrefix(file.Field, "files[") && file.Name == f.Name && bytes.Equal(file.Data, f.Body) {
					return true
				}
			}
		}
		return false
	})
}
