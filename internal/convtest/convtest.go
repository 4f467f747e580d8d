// Package convtest is the one scripted conversation every adapter passes:
// a customer opens a request with a first message, a technician claims
// it, joins the chat, they write to each other, send a file each way, the
// technician writes a private note that must never reach the customer,
// hands the request over to a colleague, who writes and closes it with a
// closing note. After each step the script says what each side must see,
// and at the points where a leak would have shown, what the customer must
// not have seen.
//
// The script is written once, against two small sides (Customer and
// Technician). Each adapter's test harness plays the side it has through
// its real surface (the platform's payloads against its fake, or
// relaydesk's HTTP API); the engine plays the side it lacks
// (EngineCustomer, EngineTechnicians). A side is bound to its test when it
// is made and fails it, saying what it waited for, when what it does is
// refused or what it waits for does not come.
package convtest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// Customer is the customer of the conversation, on one surface.
type Customer interface {
	// Open opens a request at the desk's Acme with first as its first
	// message and returns it as the desk stored it.
	Open(first string) core.Request
	// Say writes text to the technicians.
	Say(text string)
	// SendFile sends f to the technicians.
	SendFile(f File)
	// WaitText waits until the customer is shown a technician's message
	// saying text.
	WaitText(text string)
	// WaitFile waits until the customer is given f from a technician: its
	// name and its bytes.
	WaitFile(f File)
	// WaitNotice waits until the customer is told of n.
	WaitNotice(n Notice)
	// NeverSaw fails the test if anything the customer was shown so far
	// holds text.
	NeverSaw(text string)
}

// Technician is one technician of the desk working the conversation's
// request, on one surface.
type Technician interface {
	// Claim assigns r to the technician.
	Claim(r core.Request)
	// Join joins r's chat.
	Join(r core.Request)
	// Say writes text to r's customer.
	Say(r core.Request, text string)
	// Note writes text as a private note on r.
	Note(r core.Request, text string)
	// SendFile sends f to r's customer.
	SendFile(r core.Request, f File)
	// Transfer hands r over to the colleague to.
	Transfer(r core.Request, to core.Technician)
	// Close closes r with a closing note.
	Close(r core.Request, note string)
	// WaitText waits until the technician is shown the customer's message
	// saying text in r.
	WaitText(r core.Request, text string)
	// WaitFile waits until the technician is given f from r's customer:
	// its name and its bytes.
	WaitFile(r core.Request, f File)
}

// File is a file sent in the conversation.
type File struct {
	Name string
	Body []byte
}

// Notice is something the customer is told of that is no chat message: a
// technician joined the chat (Who: the technician), the request went to
// another technician (Who: the new owner), the request was closed.
type Notice struct {
	Event core.EventType // core.EventJoined, core.EventTransferred or core.EventClosed
	Who   string         // the technician's name; "" for a close
}

func (n Notice) String() string {
	switch n.Event {
	case core.EventJoined:
		return n.Who + " joined the chat"
	case core.EventTransferred:
		return "the request went to " + n.Who
	case core.EventClosed:
		return "the request was closed"
	}
	return string(n.Event)
}

// What the conversation says. Plain words only: every surface shows them
// as they are, without markup to escape.
const (
	First   = "My printer prints everything twice."
	Hello   = "Hello, Alice here. Which model is it?"
	Answer  = "It is a LaserJet 1020."
	Secret  = "PRIVATE NOTE: her printer is out of warranty"
	BobSays = "Bob here, I am taking over. The new driver should fix it."
	Thanks  = "Thank you Bob, it prints once now."
	Closing = "CLOSING NOTE: replaced the driver"
)

// The files of the conversation: plain text, which every company takes.
var (
	LogFile = File{Name: "printer.log", Body: []byte("2026-01-01 12:00 printer: every page printed twice\n")}
	FixFile = File{Name: "fix.txt", Body: []byte("Install driver 5.1, then restart the printer.\n")}
)

// Run plays the conversation on d between cust and Alice, then Bob, each
// working from the surface tech gives them.
//
// Run is no test helper: a failure reported by a side points at the step
// of Run it failed in.
func Run(t *testing.T, d *storetest.Desk, cust Customer, tech func(core.Technician) Technician) {
	alice, bob := tech(d.Alice), tech(d.Bob)
	step := func(n int, what string) {
		t.Helper()
		t.Logf("conversation step %d: %s", n, what)
	}

	step(1, "the customer opens a request; the technician sees its first message")
	r := cust.Open(First)
	alice.WaitText(r, First)

	step(2, "Alice claims it and joins the chat; the customer is told she joined")
	alice.Claim(r)
	alice.Join(r)
	cust.WaitNotice(Notice{Event: core.EventJoined, Who: d.Alice.Name})

	step(3, "Alice and the customer write to each other")
	alice.Say(r, Hello)
	cust.WaitText(Hello)
	cust.Say(Answer)
	alice.WaitText(r, Answer)

	step(4, "the customer sends a file; Alice gets it")
	cust.SendFile(LogFile)
	alice.WaitFile(r, LogFile)

	step(5, "Alice writes a private note, then sends a file: the customer gets the file and never the note")
	alice.Note(r, Secret)
	alice.SendFile(r, FixFile)
	cust.WaitFile(FixFile)
	// The note came first: had it been let through, it would be there by
	// now, as each request's events reach a surface in order.
	cust.NeverSaw(Secret)

	step(6, "Alice hands the request over to Bob; the customer is told")
	alice.Transfer(r, d.Bob)
	cust.WaitNotice(Notice{Event: core.EventTransferred, Who: d.Bob.Name})

	step(7, "Bob and the customer write to each other")
	bob.Say(r, BobSays)
	cust.WaitText(BobSays)
	cust.Say(Thanks)
	bob.WaitText(r, Thanks)

	step(8, "Bob closes it with a closing note; the customer is told, and never sees the note or the closing note")
	bob.Close(r, Closing)
	cust.WaitNotice(Notice{Event: core.EventClosed})
	cust.NeverSaw(Secret)
	cust.NeverSaw(Closing)

	step(9, "the desk kept the conversation once, in order, the note private")
	checkRecord(t, d, r)
}

// checkRecord compares the request as the desk stored it with what the
// script did: each line once, in order, only the note private.
func checkRecord(t *testing.T, d *storetest.Desk, r core.Request) {
	t.Helper()
	v, err := d.Engine.ViewRequest(context.Background(), storetest.Actor(d.Admin), r.ID)
	if err != nil {
		t.Fatalf("the request as an admin sees it: %v", err)
	}
	want := []string{First, Hello, Answer, LogFile.Name, "(private) " + Secret, FixFile.Name, BobSays, Thanks}
	var got []string
	for _, m := range v.Messages {
		line := m.Body
		if m.Audience == core.AudienceTechnicians {
			line = "(private) " + line
		} else if m.Audience != core.AudienceAll {
			line = fmt.Sprintf("(to %s) %s", m.Audience, line)
		}
		got = append(got, line)
	}
	if !slices.Equal(got, want) {
		t.Errorf("the request's chat as stored:\n%q\nwant\n%q", got, want)
	}
	if q := v.Request; q.Status != core.StatusCompleted || q.OwnerID != d.Bob.ID || q.ClosingNote != Closing {
		t.Errorf("the request ended %s, owner %s, closing note %q; want completed, owner Bob, closing note %q",
			q.Status, q.OwnerName, q.ClosingNote, Closing)
	}
}
