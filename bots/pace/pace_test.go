package pace_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/pace"
	"github.com/relaydesk/relaydesk/core/dispatch"
)

// waitOf returns how long Wait said to come back after, 0 if it let the
// call through.
func waitOf(t *testing.T, err error) time.Duration {
	t.Helper()
	var we *dispatch.WaitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &we):
		return we.After
	}
	t.Fatalf("Wait: %v", err)
	return 0
}

func TestWait(t *testing.T) {
	ctx := context.Background()
	perSecond := pace.Limit{Rate: 1, Burst: 1}
	for _, tt := range []struct {
		name  string
		share int
		limit pace.Limit
		// want is the wait asked after one call went through.
		min, max time.Duration
	}{
		{"a chat's budget", 1, perSecond, 900 * time.Millisecond, time.Second},
		{"a shared budget, one process", 1, pace.Limit{Rate: 10, Burst: 1, Shared: true}, 90 * time.Millisecond, 100 * time.Millisecond},
		{"a shared budget split between two", 2, pace.Limit{Rate: 10, Burst: 1, Shared: true}, 190 * time.Millisecond, 200 * time.Millisecond},
		{"a budget of one conversation is not split", 2, perSecond, 900 * time.Millisecond, time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := pace.New(0, func() int { return tt.share })
			b := pace.Bucket{Key: "k", Limit: tt.limit}
			if d := waitOf(t, p.Wait(ctx, b)); d != 0 {
				t.Fatalf("the first call waits %v", d)
			}
			d := waitOf(t, p.Wait(ctx, b))
			if d < tt.min || d > tt.max {
				t.Fatalf("the second call is told to wait %v, want %v to %v", d, tt.min, tt.max)
			}
			// Refused calls spend nothing: the wait does not grow.
			if again := waitOf(t, p.Wait(ctx, b)); again > d {
				t.Fatalf("a refused call spent budget: the wait grew from %v to %v", d, again)
			}
		})
	}
}

// TestWaitTakesEveryBudget: a call spends from all its buckets, and waits
// for the slowest; a refused one spends from none.
func TestWaitTakesEveryBudget(t *testing.T) {
	ctx := context.Background()
	p := pace.New(0, nil)
	global := pace.Bucket{Key: "global", Limit: pace.Limit{Rate: 100, Burst: 2}}
	chat := func(id string) pace.Bucket {
		return pace.Bucket{Key: "chat:" + id, Limit: pace.Limit{Rate: 1, Burst: 1}}
	}
	if d := waitOf(t, p.Wait(ctx, global, chat("a"))); d != 0 {
		t.Fatalf("first call waits %v", d)
	}
	if d := waitOf(t, p.Wait(ctx, global, chat("a"))); d < 500*time.Millisecond {
		t.Fatalf("a second call in the same chat waits only %v", d)
	}
	// The refused call left the global budget's second token alone.
	if d := waitOf(t, p.Wait(ctx, global, chat("b"))); d != 0 {
		t.Fatalf("another chat waits %v: the refused call spent the global budget", d)
	}
}

// TestWaitSleepsShortWaits: under maxWait the call is let through after
// the wait, not refused.
func TestWaitSleepsShortWaits(t *testing.T) {
	ctx := context.Background()
	p := pace.New(time.Second, nil)
	b := pace.Bucket{Key: "k", Limit: pace.Limit{Rate: 20, Burst: 1}}
	if err := p.Wait(ctx, b); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.Wait(ctx, b); err != nil {
		t.Fatalf("a 50 ms wait was refused: %v", err)
	}
	if took := time.Since(start); took < 40*time.Millisecond {
		t.Fatalf("the second call went through after %v, before its budget allowed", took)
	}
	// Block waits however long it takes, and gives up with the context.
	slow := pace.Bucket{Key: "slow", Limit: pace.Limit{Rate: 0.001, Burst: 1}}
	if err := p.Block(ctx, slow); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Block(cctx, slow); !errors.Is(err, context.Canceled) {
		t.Fatalf("Block with a cancelled context: %v", err)
	}
}

// TestRoom: Room counts the calls a budget lets through now (this
// process's share of a shared one) and says how soon one more goes
// through; a refused call leaves it as it was.
func TestRoom(t *testing.T) {
	ctx := context.Background()
	p := pace.New(0, func() int { return 2 })
	b := pace.Bucket{Key: "global", Limit: pace.Limit{Rate: 10, Burst: 3, Shared: true}}
	// Half of 10 a second is one call every 200 ms.
	if n, more := p.Room(b); n != 3 || more <= 0 || more > 200*time.Millisecond {
		t.Fatalf("a full budget has room for %d, one more in %v; want 3, and one more within 200ms", n, more)
	}
	for range 3 {
		if d := waitOf(t, p.Wait(ctx, b)); d != 0 {
			t.Fatalf("a call within the burst waits %v", d)
		}
	}
	n, more := p.Room(b)
	if n != 0 || more <= 0 || more > 200*time.Millisecond {
		t.Fatalf("a spent budget has room for %d, one more in %v; want none, and one within 200ms", n, more)
	}
	if d := waitOf(t, p.Wait(ctx, b)); d == 0 {
		t.Fatal("a call went through a spent budget")
	}
	if again, later := p.Room(b); again != 0 || later > more {
		t.Fatalf("after a refused call the budget has room for %d, one more in %v (%v before)", again, later, more)
	}
}
