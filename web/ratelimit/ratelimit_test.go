package ratelimit_test

import (
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/web/ratelimit"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

const window = 10 * time.Minute

func TestLimitPerKey(t *testing.T) {
	l := ratelimit.New(window, 100)
	a := ratelimit.Key{Name: "a", Limit: 3}
	for i := range 3 {
		if wait := l.Attempt(t0.Add(time.Duration(i)*time.Minute), a); wait != 0 {
			t.Fatalf("attempt %d waits %s", i+1, wait)
		}
	}
	// The fourth waits until the first leaves the window.
	if wait := l.Attempt(t0.Add(5*time.Minute), a); wait != 5*time.Minute {
		t.Fatalf("fourth attempt waits %s, want 5m", wait)
	}
	// Another key is not affected.
	if wait := l.Attempt(t0.Add(5*time.Minute), ratelimit.Key{Name: "b", Limit: 3}); wait != 0 {
		t.Fatalf("another key waits %s", wait)
	}
	// The window slides: the first attempt leaves it exactly window later,
	// the second a minute after that.
	if wait := l.Attempt(t0.Add(window), a); wait != 0 {
		t.Fatalf("after the first left the window: waits %s", wait)
	}
	if wait := l.Attempt(t0.Add(window), a); wait != time.Minute {
		t.Fatalf("while the second is in the window: waits %s, want 1m", wait)
	}
}

func TestRefusedAttemptCountsNowhere(t *testing.T) {
	l := ratelimit.New(window, 100)
	full := ratelimit.Key{Name: "full", Limit: 1}
	other := ratelimit.Key{Name: "other", Limit: 2}
	if wait := l.Attempt(t0, full); wait != 0 {
		t.Fatalf("first: waits %s", wait)
	}
	for i := range 5 {
		if wait := l.Attempt(t0.Add(time.Minute), full, other); wait != window-time.Minute {
			t.Fatalf("refused attempt %d waits %s", i+1, wait)
		}
	}
	// None of the refused attempts was counted under other.
	for i := range 2 {
		if wait := l.Attempt(t0.Add(time.Minute), other); wait != 0 {
			t.Fatalf("other, attempt %d: waits %s", i+1, wait)
		}
	}
	if wait := l.Attempt(t0.Add(time.Minute), other); wait == 0 {
		t.Fatal("other over its limit passes")
	}
}

func TestLongestWaitWins(t *testing.T) {
	l := ratelimit.New(window, 100)
	early, late := ratelimit.Key{Name: "early", Limit: 1}, ratelimit.Key{Name: "late", Limit: 1}
	l.Attempt(t0, early)
	l.Attempt(t0.Add(4*time.Minute), late)
	if wait := l.Attempt(t0.Add(5*time.Minute), early, late); wait != 9*time.Minute {
		t.Fatalf("waits %s, want 9m (until late's attempt leaves the window)", wait)
	}
}

func TestSucceeded(t *testing.T) {
	l := ratelimit.New(window, 100)
	email, ip := ratelimit.Key{Name: "email:pat", Limit: 2}, ratelimit.Key{Name: "ip:10.0.0.1", Limit: 3}
	l.Attempt(t0, email, ip)
	l.Attempt(t0, email, ip)
	l.Succeeded(email.Name, ip.Name)
	// email's failures are forgotten: two more pass.
	for i := range 2 {
		if wait := l.Attempt(t0, email); wait != 0 {
			t.Fatalf("email after success, attempt %d: waits %s", i+1, wait)
		}
	}
	// ip had two; the success took one back, so two more pass, not one.
	for i := range 2 {
		if wait := l.Attempt(t0, ip); wait != 0 {
			t.Fatalf("ip after success, attempt %d: waits %s", i+1, wait)
		}
	}
	if wait := l.Attempt(t0, ip); wait == 0 {
		t.Fatal("ip over its limit passes")
	}
}

func TestUndo(t *testing.T) {
	l := ratelimit.New(window, 100)
	k := ratelimit.Key{Name: "k", Limit: 1}
	l.Attempt(t0, k)
	l.Undo(k.Name, "never seen")
	if wait := l.Attempt(t0, k); wait != 0 {
		t.Fatalf("after undo: waits %s", wait)
	}
	if wait := l.Attempt(t0, k); wait == 0 {
		t.Fatal("over the limit passes")
	}
}

// TestParallelBurst: attempts are counted when they start, so no more than
// the limit pass however many arrive at once.
func TestParallelBurst(t *testing.T) {
	l := ratelimit.New(window, 100)
	k := ratelimit.Key{Name: "k", Limit: 5}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		passed int
	)
	for range 50 {
		wg.Go(func() {
			if l.Attempt(t0, k) == 0 {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if passed != 5 {
		t.Fatalf("%d of 50 parallel attempts passed, want 5", passed)
	}
}

func TestForgetBefore(t *testing.T) {
	l := ratelimit.New(window, 100)
	a, b := ratelimit.Key{Name: "a", Limit: 2}, ratelimit.Key{Name: "b", Limit: 2}
	l.Attempt(t0, a, b)
	l.Attempt(t0.Add(time.Minute), a)
	l.Attempt(t0.Add(3*time.Minute), b)
	l.ForgetBefore(t0.Add(2*time.Minute), a.Name, b.Name)
	// a keeps nothing, b its attempt after the cut.
	for i := range 2 {
		if wait := l.Attempt(t0.Add(4*time.Minute), a); wait != 0 {
			t.Fatalf("a, attempt %d after forgetting: waits %s", i+1, wait)
		}
	}
	if wait := l.Attempt(t0.Add(4*time.Minute), b); wait != 0 {
		t.Fatalf("b, its second attempt: waits %s", wait)
	}
	if wait := l.Attempt(t0.Add(4*time.Minute), b); wait != window-time.Minute {
		t.Fatalf("b over its limit: waits %s, want %s", wait, window-time.Minute)
	}
}
