package techchat

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core/dispatch"
)

func TestNames(t *testing.T) {
	calls := map[string]int{}
	fail := false
	n := NewNames(func(_ context.Context, id string) (string, error) {
		calls[id]++
		if fail {
			return "", errors.New("ratelimited")
		}
		return "name of " + id, nil
	}, 10*time.Minute, 3)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	n.now = func() time.Time { return now }
	ctx := context.Background()

	if name, ok := n.Name(ctx, "U1"); !ok || name != "name of U1" {
		t.Fatalf("Name(U1) = %q, %v", name, ok)
	}
	n.Name(ctx, "U1")
	if calls["U1"] != 1 {
		t.Errorf("a kept name was looked up again: %d lookups", calls["U1"])
	}

	now = now.Add(11 * time.Minute)
	n.Name(ctx, "U1")
	if calls["U1"] != 2 {
		t.Errorf("an expired name was not looked up again: %d lookups", calls["U1"])
	}

	fail = true
	if name, ok := n.Name(ctx, "U2"); ok || name != "" {
		t.Errorf("a failed lookup gave %q, %v", name, ok)
	}
	n.Name(ctx, "U2")
	if calls["U2"] != 1 {
		t.Errorf("a failed lookup was repeated at once: %d lookups", calls["U2"])
	}
	fail = false
	now = now.Add(2 * time.Minute)
	if _, ok := n.Name(ctx, "U2"); !ok || calls["U2"] != 2 {
		t.Errorf("a failed lookup was not tried again after a while: %v, %d lookups", ok, calls["U2"])
	}

	for i := range 10 {
		now = now.Add(time.Second)
		n.Name(ctx, fmt.Sprint("X", i))
	}
	if len(n.m) > 3 {
		t.Errorf("the cache holds %d names, more than its 3", len(n.m))
	}
	if _, ok := n.m["X9"]; !ok {
		t.Error("the newest name was not kept")
	}
}

// TestNamesNotLookedUp: a lookup that did not happen, because the
// message's time for lookups is over or the platform's budget is spent,
// is not remembered as failed.
func TestNamesNotLookedUp(t *testing.T) {
	var err error
	calls := 0
	n := NewNames(func(context.Context, string) (string, error) {
		calls++
		return "Alice", err
	}, time.Minute, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := n.Name(ctx, "U1"); ok || calls != 0 {
		t.Errorf("a lookup after the context ended: %v, %d calls", ok, calls)
	}
	err = &dispatch.WaitError{After: time.Minute, Reason: "users.info"}
	if _, ok := n.Name(context.Background(), "U1"); ok {
		t.Error("a lookup the pacer refused found a name")
	}
	err = nil
	if name, ok := n.Name(context.Background(), "U1"); !ok || name != "Alice" {
		t.Errorf("after a lookup that did not happen, Name = %q, %v", name, ok)
	}
}
