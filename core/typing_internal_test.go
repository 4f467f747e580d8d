package core

import (
	"fmt"
	"testing"
	"time"
)

// TestTypingGateBounded: the limit remembers at most maxTypists typists;
// past it new ones are dropped until the old expire, and then swept out.
func TestTypingGateBounded(t *testing.T) {
	var g typingGate
	now := time.Now()
	key := func(i int) typingKey {
		return typingKey{actor: TechnicianActor(fmt.Sprint("tec_", i)), request: "req_1"}
	}
	for i := range maxTypists {
		if !g.take(key(i), now) {
			t.Fatalf("typist %d refused", i)
		}
	}
	if g.take(key(maxTypists), now) {
		t.Fatal("a typist past the bound was let through")
	}
	if g.take(key(0), now.Add(time.Second)) {
		t.Fatal("a typist within the interval was let through")
	}
	later := now.Add(TypingInterval)
	if !g.due(key(maxTypists), later) || !g.take(key(maxTypists), later) {
		t.Fatal("a new typist was refused once the others expired")
	}
	if n := g.remembered(); n != 1 {
		t.Fatalf("remembering %d typists after the sweep, want 1", n)
	}
}
