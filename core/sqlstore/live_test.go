package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestLiveRooms: one process holds a room while its lease runs; another
// takes it over once the lease lapsed or was released.
func TestLiveRooms(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := b.Migrated(t)
			a, other := storetest.Open(t, url), storetest.Open(t, url)
			claim := func(who interface {
				ClaimRoom(context.Context, string, time.Duration) (string, error)
			}, ttl time.Duration) string {
				t.Helper()
				owner, err := who.ClaimRoom(ctx, "req_1", ttl)
				if err != nil {
					t.Fatal(err)
				}
				return owner
			}
			if got := claim(a, time.Minute); got != a.Process() {
				t.Fatalf("first claim went to %s, not the claimer %s", got, a.Process())
			}
			if got := claim(other, time.Minute); got != a.Process() {
				t.Fatalf("a held room went to %s", got)
			}
			if got := claim(a, time.Minute); got != a.Process() {
				t.Fatalf("the holder's own claim went to %s", got)
			}
			if err := a.ReleaseRoom(ctx, "req_1"); err != nil {
				t.Fatal(err)
			}
			if got := claim(other, -time.Second); got != other.Process() { // a lease that has lapsed already
				t.Fatalf("a released room went to %s", got)
			}
			if got := claim(a, time.Minute); got != a.Process() {
				t.Fatalf("a lapsed room went to %s", got)
			}
			if err := other.RenewRooms(ctx, []string{"req_1"}, time.Hour); err != nil {
				t.Fatal(err)
			}
			if got := claim(other, time.Minute); got != a.Process() {
				t.Fatalf("renewing someone else's room took it: %s", got)
			}
		})
	}
}

// TestLiveMail: mail reaches the process it is for, in order, once; on
// PostgreSQL that process is told at once.
func TestLiveMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.MigratedPostgresURL(t)
	a, b := storetest.Open(t, url), storetest.Open(t, url)
	storetest.Listen(t, b)
	told := make(chan struct{}, 100)
	stop := b.OnMail(func() { told <- struct{}{} })
	defer stop()
	var want []string
	for i := range 30 {
		body := fmt.Sprintf(`{"n":%d}`, i)
		want = append(want, body)
		if err := a.SendMail(ctx, b.Process(), body); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SendMail(ctx, a.Process(), "for a"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-told:
	case <-time.After(10 * time.Second):
		t.Fatal("b was not told of its mail")
	}
	got, err := b.TakeMail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("b's mail %v, want %v", got, want)
	}
	if again, err := b.TakeMail(ctx); err != nil || len(again) != 0 {
		t.Fatalf("mail taken twice: %v %v", again, err)
	}
	if mine, err := a.TakeMail(ctx); err != nil || !slices.Equal(mine, []string{"for a"}) {
		t.Fatalf("a's mail %v %v", mine, err)
	}
}
