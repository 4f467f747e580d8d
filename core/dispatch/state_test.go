package dispatch_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestDeliveryStateOfMessages: technicians see, on each message the
// customer sees, where it stands towards the destination: sent, given up
// (with the reason), retrying (with the reason) and, behind that, queued.
// Private notes get no state.
func TestDeliveryStateOfMessages(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := be.New(t)
			desk := storetest.NewDesk(t, s)
			o := desk.Live(t)
			alice := storetest.Actor(desk.Alice)
			post := func(body string) core.Message {
				m, err := desk.Engine.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: body})
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			sent, blocked := post("sent fine"), post("refused for good")
			note, err := desk.Engine.AddNote(ctx, alice, o.Request.ID, core.Note{Body: "private"})
			if err != nil {
				t.Fatal(err)
			}
			stuck, behind := post("platform keeps failing"), post("waits its turn")

			var release atomic.Bool
			k := newSink()
			platform := &dest{name: "telegram", sink: k, fail: func(e core.Event, attempt int) error {
				switch e.RSeq {
				case blocked.RSeq:
					return &dispatch.PermanentError{Err: errors.New("Telegram: Tess blocked the bot or deleted the chat")}
				case stuck.RSeq:
					if !release.Load() {
						return &dispatch.RetryAfterError{After: 200 * time.Millisecond, Err: errors.New("Telegram answered 502 Bad Gateway")}
					}
				}
				return nil
			}}
			disp := dispatch.New(s, fast())
			disp.Register(platform)
			run(t, disp)

			state := func() map[string]core.Delivery {
				v, err := desk.Engine.ViewRequest(ctx, alice, o.Request.ID)
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]core.Delivery{}
				for id, ds := range v.Deliveries {
					for _, d := range ds {
						if d.Destination != "telegram" {
							t.Fatalf("a state for destination %q", d.Destination)
						}
						out[id] = d
					}
				}
				return out
			}
			testwait.Eventually(t, "the stuck message to be retrying", func() bool {
				return state()[stuck.ID].State == core.DeliveryRetrying
			})
			got := state()
			for _, c := range []struct {
				m      core.Message
				want   core.DeliveryState
				reason string
			}{
				{sent, core.DeliverySent, ""},
				{blocked, core.DeliveryFailed, "Tess blocked the bot"},
				{stuck, core.DeliveryRetrying, "502 Bad Gateway"},
				{behind, core.DeliveryQueued, ""},
			} {
				d := got[c.m.ID]
				if d.State != c.want || !strings.Contains(d.Reason, c.reason) || (c.reason == "" && d.Reason != "") {
					t.Errorf("%q: %+v, want %s with %q", c.m.Body, d, c.want, c.reason)
				}
			}
			if d, ok := got[note.ID]; ok {
				t.Errorf("a private note has a delivery state: %+v", d)
			}
			cust, err := desk.Engine.ViewRequest(ctx, core.CustomerActor(o.Participant.ID), o.Request.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cust.Deliveries != nil {
				t.Errorf("the customer's view has delivery states: %+v", cust.Deliveries)
			}

			release.Store(true)
			testwait.Eventually(t, "everything sent", func() bool {
				st := state()
				return st[stuck.ID].State == core.DeliverySent && st[behind.ID].State == core.DeliverySent
			})
			if st := state(); st[blocked.ID].State != core.DeliveryFailed {
				t.Errorf("the refused message: %+v", st[blocked.ID])
			}
		})
	}
}
