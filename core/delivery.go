package core

import "context"

// DeliveryState is where a message stands towards one outbound destination
// (a Telegram bot, a Slack workspace, a Discord guild).
type DeliveryState string

// The delivery states people see.
const (
	DeliveryQueued   DeliveryState = "queued"   // waiting its turn (or the platform's pace)
	DeliverySent     DeliveryState = "sent"     // the platform took it
	DeliveryRetrying DeliveryState = "retrying" // the platform failed; tried again, Reason says why
	DeliveryFailed   DeliveryState = "failed"   // given up for good, Reason says why
)

// Delivery is one message's state towards one destination.
type Delivery struct {
	Destination string
	State       DeliveryState
	Reason      string
}

// DeliveryProgress is what the dispatcher recorded of one request's
// conversation with one destination.
type DeliveryProgress struct {
	Destination string
	Since       int64 // events up to this rseq came before the destination followed the request
	Pending     int64 // the last rseq the destination was told of
	Delivered   int64 // the last rseq delivered or given up
	Attempts    int   // failed attempts at the next event
	LastError   string
	Used        bool             // the destination showed anything of the request
	Failed      map[int64]string // rseq -> why it was given up
}

// deliveryReader is the optional store capability to report delivery
// progress.
type deliveryReader interface {
	DeliveryProgress(ctx context.Context, requestID string) ([]DeliveryProgress, error)
}

// deliveries works out, for each message of v that its customers see, its
// state towards each destination that shows the request. A store without
// delivery progress reports none.
func (e *Engine) deliveries(ctx context.Context, v RequestView) (map[string][]Delivery, error) {
	dr, ok := e.store.(deliveryReader)
	if !ok {
		return nil, nil
	}
	ps, err := dr.DeliveryProgress(ctx, v.Request.ID)
	if err != nil {
		return nil, err
	}
	out := map[string][]Delivery{}
	for _, m := range v.Messages {
		if m.Audience == AudienceTechnicians {
			continue
		}
		for _, p := range ps {
			if !p.Used || m.RSeq <= p.Since {
				continue
			}
			d := Delivery{Destination: p.Destination, State: DeliveryQueued}
			switch reason, failed := p.Failed[m.RSeq]; {
			case failed:
				d.State, d.Reason = DeliveryFailed, reason
			case m.RSeq <= p.Delivered:
				d.State = DeliverySent
			case m.RSeq == p.Delivered+1 && p.Attempts > 0:
				d.State, d.Reason = DeliveryRetrying, p.LastError
			}
			out[m.ID] = append(out[m.ID], d)
		}
	}
	return out, nil
}
