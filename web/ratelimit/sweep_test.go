package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// TestSweep: past maxKeys, keys whose attempts all left the window are
// dropped, so memory stays bounded; keys still counting are kept.
func TestSweep(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	l := New(time.Minute, 3)
	for i := range 4 {
		l.Attempt(t0, Key{Name: fmt.Sprint("old", i), Limit: 1})
	}
	l.Attempt(t0.Add(30*time.Second), Key{Name: "fresh", Limit: 1})
	if n := len(l.hits); n != 5 {
		t.Fatalf("%d keys before the window passed, want 5", n)
	}
	l.Attempt(t0.Add(time.Minute), Key{Name: "new", Limit: 1})
	if n := len(l.hits); n != 2 {
		t.Fatalf("%d keys after the sweep, want 2 (fresh, new): %v", n, l.hits)
	}
	// Below maxKeys nothing is swept.
	l.Attempt(t0.Add(time.Hour), Key{Name: "later", Limit: 1})
	if n := len(l.hits); n != 3 {
		t.Fatalf("%d keys below maxKeys, want 3", n)
	}
	// The sweep forgets nothing that still counts.
	if wait := l.Attempt(t0.Add(time.Hour), Key{Name: "later", Limit: 1}); wait == 0 {
		t.Fatal("a key still in its window was forgotten")
	}
}
