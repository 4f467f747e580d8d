package core_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestRefusals tries every action that the rules forbid and checks that each
// gets the right code, a message a person can act on, and changes nothing.
func TestRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		d := storetest.NewDesk(t, s)
		e := d.Engine
		alice, bob := storetest.Actor(d.Alice), storetest.Actor(d.Bob)
		carol, dave := storetest.Actor(d.Carol), storetest.Actor(d.Dave)

		fresh := d.Open(t, d.Acme, "new@example.com", "nobody has this yet")
		live := d.Live(t)
		cust := core.CustomerActor(live.Participant.ID)
		globex := d.Open(t, d.Globex, "g@example.com", "globex problem")
		closed := d.Live(t)
		try(e.Close(ctx, alice, closed.Request.ID, "")).must(t)
		closedCust := core.CustomerActor(closed.Participant.ID)
		png := pngBytes(t)

		// Requests that some cases prepare in their setup, before the snapshot.
		var unjoined, mobile core.Opened
		cases := []struct {
			name  string
			code  core.Code
			say   string // part of the message the user reads
			setup func()
			act   func() error
		}{
			{"assign another company's request", core.CodeForbidden, "access", nil, func() error {
				_, err := e.AssignToMe(ctx, carol, fresh.Request.ID)
				return err
			}},
			{"assign while away", core.CodeForbidden, "available", nil, func() error {
				_, err := e.AssignToMe(ctx, dave, fresh.Request.ID)
				return err
			}},
			{"assign a taken request", core.CodeConflict, "Alice", nil, func() error {
				_, err := e.AssignToMe(ctx, bob, live.Request.ID)
				return err
			}},
			{"assign a closed request", core.CodeInvalidState, "closed", nil, func() error {
				_, err := e.AssignToMe(ctx, bob, closed.Request.ID)
				return err
			}},
			{"assign an unknown request", core.CodeNotFound, "not found", nil, func() error {
				_, err := e.AssignToMe(ctx, alice, "req_nope")
				return err
			}},
			{"unassign someone else's request", core.CodeForbidden, "Alice", nil, func() error {
				_, err := e.Unassign(ctx, bob, live.Request.ID)
				return err
			}},
			{"join before assigning", core.CodeForbidden, "assign it to yourself", nil, func() error {
				_, err := e.JoinChat(ctx, alice, fresh.Request.ID)
				return err
			}},
			{"join twice", core.CodeInvalidState, "already joined", nil, func() error {
				_, err := e.JoinChat(ctx, alice, live.Request.ID)
				return err
			}},
			{"end a closed chat", core.CodeInvalidState, "closed", nil, func() error {
				_, err := e.EndChat(ctx, alice, closed.Request.ID)
				return err
			}},
			{"close someone else's request", core.CodeForbidden, "owner", nil, func() error {
				_, err := e.Close(ctx, bob, live.Request.ID, "")
				return err
			}},
			{"close twice", core.CodeInvalidState, "closed", nil, func() error {
				_, err := e.Close(ctx, alice, closed.Request.ID, "")
				return err
			}},
			{"transfer to a technician without access", core.CodeForbidden, "does not have access", nil, func() error {
				_, err := e.Transfer(ctx, alice, live.Request.ID, d.Carol.ID)
				return err
			}},
			{"transfer to oneself", core.CodeInvalid, "other than yourself", nil, func() error {
				_, err := e.Transfer(ctx, alice, live.Request.ID, d.Alice.ID)
				return err
			}},
			{"invite an unknown technician", core.CodeNotFound, "no such technician", nil, func() error {
				_, err := e.InviteTechnician(ctx, alice, live.Request.ID, "tec_nope")
				return err
			}},
			{"message from a technician who is not in the chat", core.CodeForbidden, "private note", nil, func() error {
				_, err := e.PostMessage(ctx, bob, live.Request.ID, core.Post{Body: "hi"})
				return err
			}},
			{"message before joining", core.CodeInvalidState, "join the chat", func() {
				unjoined = d.Open(t, d.Globex, "x@example.com", "x")
				try(e.AssignToMe(ctx, carol, unjoined.Request.ID)).must(t)
			}, func() error {
				_, err := e.PostMessage(ctx, carol, unjoined.Request.ID, core.Post{Body: "hi"})
				return err
			}},
			{"empty message", core.CodeInvalid, "empty", nil, func() error {
				_, err := e.PostMessage(ctx, alice, live.Request.ID, core.Post{Body: "  \n "})
				return err
			}},
			{"oversized message", core.CodeInvalid, "longer", nil, func() error {
				_, err := e.PostMessage(ctx, cust, live.Request.ID, core.Post{Body: strings.Repeat("x", 16001)})
				return err
			}},
			{"message to a participant of another request", core.CodeInvalid, "addressee", nil, func() error {
				_, err := e.PostMessage(ctx, alice, live.Request.ID, core.Post{Body: "hi", To: globex.Participant.ID})
				return err
			}},
			{"customer writes into another request", core.CodeForbidden, "your own", nil, func() error {
				_, err := e.PostMessage(ctx, cust, globex.Request.ID, core.Post{Body: "hi"})
				return err
			}},
			{"customer writes a private note", core.CodeForbidden, "technician", nil, func() error {
				_, err := e.AddNote(ctx, cust, live.Request.ID, core.Note{Body: "sneaky"})
				return err
			}},
			{"customer writes after close", core.CodeInvalidState, "open a new one", nil, func() error {
				_, err := e.PostMessage(ctx, closedCust, closed.Request.ID, core.Post{Body: "hello?"})
				return err
			}},
			{"customer acts as a technician", core.CodeForbidden, "technician", nil, func() error {
				_, err := e.AssignToMe(ctx, cust, live.Request.ID)
				return err
			}},
			{"forged customer", core.CodeForbidden, "not valid", nil, func() error {
				_, err := e.PostMessage(ctx, core.CustomerActor("par_forged"), live.Request.ID, core.Post{Body: "hi"})
				return err
			}},
			{"bad token", core.CodeForbidden, "not valid", nil, func() error {
				_, err := e.CustomerByToken(ctx, "not-a-token")
				return err
			}},
			{"open without e-mail", core.CodeInvalid, "required", nil, func() error {
				_, err := e.OpenRequest(ctx, core.OpenRequest{CompanyID: d.Acme.ID, Message: "hi"})
				return err
			}},
			{"open with a bad e-mail", core.CodeInvalid, "not an e-mail", nil, func() error {
				_, err := e.OpenRequest(ctx, core.OpenRequest{CompanyID: d.Acme.ID, Email: "bob@", Message: "hi"})
				return err
			}},
			{"open at an unknown company", core.CodeNotFound, "no such company", nil, func() error {
				_, err := e.OpenRequest(ctx, core.OpenRequest{CompanyID: "cmp_nope", Email: "a@b.co", Message: "hi"})
				return err
			}},
			{"half an idempotency key", core.CodeInvalid, "both", nil, func() error {
				_, err := e.PostMessage(ctx, cust, live.Request.ID, core.Post{Body: "hi", Key: core.Idempotency{Source: "slack"}})
				return err
			}},
			{"forbidden file type", core.CodeUnsupported, ".exe", nil, func() error {
				_, _, err := e.AttachFile(ctx, cust, live.Request.ID, core.Upload{Name: "setup.exe", Body: bytes.NewReader([]byte("MZ\x90\x00"))})
				return err
			}},
			{"file content lies about its type", core.CodeUnsupported, "not a .pdf", nil, func() error {
				_, _, err := e.AttachFile(ctx, cust, live.Request.ID, core.Upload{Name: "invoice.pdf", Body: bytes.NewReader(png)})
				return err
			}},
			{"a customer naming no request", core.CodeForbidden, "your own support request", nil, func() error {
				_, err := e.PostMessage(ctx, cust, "", core.Post{Body: "hi"})
				return err
			}},
			{"oversized file", core.CodeTooLarge, "64 KB", nil, func() error {
				g := core.CustomerActor(globex.Participant.ID)
				big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("A"), 64<<10)...)
				_, _, err := e.AttachFile(ctx, g, globex.Request.ID, core.Upload{Name: "big.pdf", Body: bytes.NewReader(big)})
				return err
			}},
			{"empty file", core.CodeInvalid, "empty", nil, func() error {
				_, _, err := e.AttachFile(ctx, cust, live.Request.ID, core.Upload{Name: "a.txt", Body: bytes.NewReader(nil)})
				return err
			}},
			{"screen sharing with a mobile customer", core.CodeInvalidState, "desktop", func() {
				mobile = try(e.OpenRequest(ctx, core.OpenRequest{CompanyID: d.Globex.ID, Email: "m@example.com", Message: "x",
					Source: core.Source{Channel: "web", Device: "mobile", OS: "iOS"}})).must(t)
				try(e.AssignToMe(ctx, carol, mobile.Request.ID)).must(t)
				try(e.JoinChat(ctx, carol, mobile.Request.ID)).must(t)
			}, func() error {
				_, err := e.RequestScreenShare(ctx, carol, mobile.Request.ID)
				return err
			}},
			// Uses the mobile request the case above set up.
			{"an iOS customer sends a PDF", core.CodeUnsupported, "only images", nil, func() error {
				pdf := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
				_, _, err := e.AttachFile(ctx, core.CustomerActor(mobile.Participant.ID), mobile.Request.ID, core.Upload{Name: "a.pdf", Body: bytes.NewReader(pdf)})
				return err
			}},
			{"close a new request whose customer is still there", core.CodeForbidden, "still in the chat", nil, func() error {
				_, err := e.Close(ctx, bob, fresh.Request.ID, "")
				return err
			}},
			{"owner leaves the chat", core.CodeInvalidState, "transfer or unassign", nil, func() error {
				_, err := e.Act(ctx, alice, live.Request.ID, core.ActionLeave, core.ActionArgs{})
				return err
			}},
			{"leave a chat one was not invited to", core.CodeInvalidState, "not in the chat", nil, func() error {
				_, err := e.LeaveChat(ctx, bob, live.Request.ID)
				return err
			}},
			{"leave a closed request", core.CodeInvalidState, "closed", nil, func() error {
				_, err := e.LeaveChat(ctx, bob, closed.Request.ID)
				return err
			}},
			{"leave another company's request", core.CodeForbidden, "access", nil, func() error {
				_, err := e.LeaveChat(ctx, carol, live.Request.ID)
				return err
			}},
			{"mark read past the last line", core.CodeInvalid, "no line", nil, func() error {
				_, err := e.MarkRead(ctx, alice, live.Request.ID, live.Request.Version+100)
				return err
			}},
			{"mark read a negative line", core.CodeInvalid, "0 or more", nil, func() error {
				_, err := e.MarkRead(ctx, alice, live.Request.ID, -1)
				return err
			}},
			{"mark read another company's request", core.CodeNotFound, "not found", nil, func() error {
				_, err := e.MarkRead(ctx, carol, live.Request.ID, 1)
				return err
			}},
			{"mark read as a customer", core.CodeForbidden, "technician", nil, func() error {
				_, err := e.MarkRead(ctx, cust, live.Request.ID, 1)
				return err
			}},
			{"unknown view", core.CodeInvalid, "no view", nil, func() error {
				_, err := e.Queue(ctx, alice, core.QueueRequest{View: "urgent"})
				return err
			}},
			{"unknown sort column", core.CodeInvalid, "cannot sort", nil, func() error {
				_, err := e.Queue(ctx, alice, core.QueueRequest{Sort: "priority"})
				return err
			}},
			{"forged page cursor", core.CodeInvalid, "cursor", nil, func() error {
				_, err := e.Queue(ctx, alice, core.QueueRequest{Sort: core.SortNumber, After: "eyJ2IjoieCIsImlkIjoieSJ9"})
				return err
			}},
			{"non-admin creates a company", core.CodeForbidden, "admin", nil, func() error {
				_, err := e.CreateCompany(ctx, alice, core.NewCompany{Name: "Initech"})
				return err
			}},
			{"duplicate company", core.CodeConflict, "exists", nil, func() error {
				_, err := e.CreateCompany(ctx, core.SystemActor(), core.NewCompany{Name: "ACME"})
				return err
			}},
			{"duplicate technician", core.CodeConflict, "exists", nil, func() error {
				_, err := e.CreateTechnician(ctx, core.SystemActor(), core.NewTechnician{Email: "ALICE@desk.test", Name: "A2"})
				return err
			}},
			{"bad availability", core.CodeInvalid, "available, busy or away", nil, func() error {
				_, err := e.SetAvailability(ctx, alice, "sleeping")
				return err
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.setup != nil {
					c.setup()
				}
				before := storetest.Snapshot(t, s)
				err := c.act()
				if core.ErrorCode(err) != c.code {
					t.Fatalf("got %v (%s), want code %s", err, core.ErrorCode(err), c.code)
				}
				if msg := core.ErrorMessage(err); !strings.Contains(msg, c.say) {
					t.Errorf("message %q does not say %q", msg, c.say)
				}
				if after := storetest.Snapshot(t, s); after != before {
					t.Errorf("the refused action changed the database:\n%s", diff(before, after))
				}
			})
		}
	})
}

func diff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, "- "+x, "+ "+y)
		}
	}
	return strings.Join(out, "\n")
}
