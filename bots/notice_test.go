package bots_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/internal/golden"
)

func TestLang(t *testing.T) {
	for tag, want := range map[string]string{"": "en", "en": "en", "de": "de", "de-CH": "de", "FR": "fr",
		"es_MX": "es", "pt-br": "en", "zz": "en"} {
		if got := bots.Lang(tag); got != want {
			t.Errorf("Lang(%q) = %q, want %q", tag, got, want)
		}
	}
}

func TestCatalogFallsBackToEnglish(t *testing.T) {
	c := bots.Catalog{"hi": {"en": "Hello %s", "de": "Hallo %s"}}
	for lang, want := range map[string]string{"de": "Hallo Tess", "fr": "Hello Tess", "": "Hello Tess"} {
		if got := c.Text(lang, "hi", "Tess"); got != want {
			t.Errorf("Text(%q) = %q, want %q", lang, got, want)
		}
	}
	if got := c.Text("en", "missing"); got != "missing" {
		t.Errorf("a missing key reads %q", got)
	}
}

// TestNotice renders every event type in every language into a golden
// file: what customers read is reviewed as text.
func TestNotice(t *testing.T) {
	events := []core.Event{
		{Type: core.EventCreated, Data: core.EventData{ActorName: "Tess", Body: "help"}},
		{Type: core.EventAssigned, Data: core.EventData{ActorName: "Alice"}},
		{Type: core.EventJoined, Data: core.EventData{ActorName: "Alice"}},
		{Type: core.EventJoined},
		{Type: core.EventInvited, Data: core.EventData{ActorName: "Alice", TechnicianName: "Bob"}},
		{Type: core.EventCustomerJoined, Data: core.EventData{ActorName: "Sam"}},
		{Type: core.EventCustomerLeft, Data: core.EventData{ActorName: "Sam"}},
		{Type: core.EventTechnicianLeft, Data: core.EventData{ActorName: "Bob"}},
		{Type: core.EventTransferred, Data: core.EventData{ActorName: "Alice", OwnerName: "Bob"}},
		{Type: core.EventUnassigned, Data: core.EventData{ActorName: "Alice"}},
		{Type: core.EventScreenShareAsked, Data: core.EventData{ActorName: "Alice"}},
		{Type: core.EventSystemInfoAsked, Data: core.EventData{ActorName: "Alice"}},
		{Type: core.EventEnded, Data: core.EventData{ActorName: "Alice", Number: 1001}},
		{Type: core.EventClosed, Data: core.EventData{ActorName: "Alice", Number: 1001, Note: "never shown"}},
		{Type: core.EventMessage, Data: core.EventData{ActorName: "Alice", Body: "chat lines are the adapter's"}},
		{Type: core.EventNote, Data: core.EventData{ActorName: "Alice", Body: "secret"}},
	}
	var b strings.Builder
	for _, lang := range bots.Languages {
		fmt.Fprintf(&b, "== %s\n", lang)
		for _, ev := range events {
			text, ok := bots.Notice(ev, lang)
			if !ok {
				text = "(not shown)"
			}
			fmt.Fprintf(&b, "%-22s %s\n", ev.Type, text)
		}
	}
	fmt.Fprintf(&b, "== line\n%s\n%s\n", bots.Line(core.Event{Data: core.EventData{ActorName: "Alice", Body: "Hi!"}}),
		bots.Line(core.Event{Data: core.EventData{Body: "anonymous"}}))
	golden.Check(t, "notices.golden", []byte(b.String()))
	if strings.Contains(b.String(), "secret") || strings.Contains(b.String(), "never shown") {
		t.Error("a note or a closing note reached a customer's text")
	}
}
