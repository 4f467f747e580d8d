package slack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/convtest"
)

// TestConversation is the conversation every adapter passes, its
// technicians in Slack: the card's buttons, replies and files in its
// thread, /support transfer and close; the customer on the engine.
func TestConversation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		convtest.Run(t, d, convtest.EngineCustomer(t, d), h.technicians())
	})
}

// technicians are the desk's technicians working from Slack as the users
// linked to them.
func (h *harness) technicians() func(core.Technician) convtest.Technician {
	users := map[string]string{h.d.Alice.ID: aliceU, h.d.Bob.ID: bobU, h.d.Carol.ID: carolU}
	seq := new(int)
	return func(t core.Technician) convtest.Technician {
		return &slackTechnician{h: h, tech: t, user: users[t.ID], users: users, seq: seq}
	}
}

// slackTechnician is convtest's technician in Slack.
type slackTechnician struct {
	h     *harness
	tech  core.Technician
	user  string
	users map[string]string // Slack users by technician ID
	seq   *int              // numbers the messages written, for their ts
}

// card is the ts of r's card, once the adapter knows it.
func (s *slackTechnician) card(r core.Request) string {
	s.h.t.Helper()
	return s.h.card(r.Number)
}

// answered fails the test when Slack told the technician something since
// they had been told before things: a refusal.
func (s *slackTechnician) answered(what string, before int) {
	s.h.t.Helper()
	if told := s.h.ephemerals(s.user); len(told) > before {
		s.h.t.Fatalf("%s %s in Slack and was told %q", s.tech.Name, what, told[before:])
	}
}

func (s *slackTechnician) click(r core.Request, action core.Action, card string) {
	s.h.t.Helper()
	before := len(s.h.ephemerals(s.user))
	s.h.click(s.user, string(action), r.ID)
	s.answered("pressed "+string(action), before)
	s.h.waitCard(s.card(r), card)
}

func (s *slackTechnician) Claim(r core.Request) {
	s.click(r, core.ActionAssign, "owner "+s.tech.Name)
}

func (s *slackTechnician) Join(r core.Request) { s.click(r, core.ActionJoin, "chat live") }

// write posts text in r's thread, as its next message.
func (s *slackTechnician) write(r core.Request, text string) {
	s.h.t.Helper()
	*s.seq++
	before := len(s.h.ephemerals(s.user))
	if code := s.h.reply(s.user, s.card(r), fmt.Sprintf("1767225700.%06d", *s.seq), text); code != 200 {
		s.h.t.Fatalf("%s wrote %q in the thread: HTTP %d", s.tech.Name, text, code)
	}
	s.answered(fmt.Sprintf("wrote %q", text), before)
}

func (s *slackTechnician) Say(r core.Request, text string) { s.write(r, text) }

func (s *slackTechnician) Note(r core.Request, text string) {
	s.h.t.Helper()
	s.write(r, "!note "+text)
	s.h.waitThread(s.card(r), "Private note by "+s.tech.Name+" saved")
}

func (s *slackTechnician) SendFile(r core.Request, f convtest.File) {
	s.h.t.Helper()
	*s.seq++
	before := len(s.h.ephemerals(s.user))
	s.h.shareFile(s.user, s.card(r), fmt.Sprintf("1767225700.%06d", *s.seq), "", s.h.sl.AddFile(f.Name, f.Body))
	s.answered("shared "+f.Name, before)
}

// command runs /support text and wants an answer saying want.
func (s *slackTechnician) command(text, want string) {
	s.h.t.Helper()
	if got := s.h.command(s.user, text); !strings.Contains(got, want) {
		s.h.t.Fatalf("%s ran /support %s and was told %q, want %q", s.tech.Name, text, got, want)
	}
}

func (s *slackTechnician) Transfer(r core.Request, to core.Technician) {
	s.h.t.Helper()
	s.command(fmt.Sprintf("transfer %d <@%s>", r.Number, s.users[to.ID]), fmt.Sprintf("%s now owns request #%d", to.Name, r.Number))
	s.h.waitCard(s.card(r), "owner "+to.Name)
}

func (s *slackTechnician) Close(r core.Request, note string) {
	s.h.t.Helper()
	s.command(fmt.Sprintf("close %d %s", r.Number, note), fmt.Sprintf("You closed request #%d", r.Number))
	s.h.waitCard(s.card(r), "Completed")
}

func (s *slackTechnician) WaitText(r core.Request, text string) {
	s.h.t.Helper()
	s.h.waitThread(s.card(r), "(customer): "+text)
}

// WaitFile waits for the file's upload into r's thread: its bytes sent to
// the URL Slack gave, and the upload completed in the thread with a
// comment saying who sent it.
func (s *slackTechnician) WaitFile(r core.Request, f convtest.File) {
	s.h.t.Helper()
	ts := s.card(r)
	s.h.sl.Wait(s.h.t, "the customer's "+f.Name+" uploaded into the thread", func(calls []slacktest.Call) bool {
		ids := map[string]bool{}
		for _, c := range calls {
			if c.Method == "upload" && !c.Failed && c.Fields["filename"] == f.Name && c.Fields["content"] == string(f.Body) {
				ids[c.Fields["file_id"]] = true
			}
		}
		for _, c := range calls {
			if c.Method != "files.completeUploadExternal" || c.Failed || c.Fields["thread_ts"] != ts ||
				!strings.Contains(c.Fields["initial_comment"], "(customer) sent a file: "+f.Name) {
				continue
			}
			for id := range ids {
				if strings.Contains(c.Fields["files"], id) {
					return true
				}
			}
		}
		return false
	})
}
