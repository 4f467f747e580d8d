package sfu

import (
	"context"
	"errors"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// Kind is what a signalling Message carries.
type Kind string

// The kinds of signalling message, in both directions.
const (
	// Offer carries an SDP offer: from a browser when it adds or removes
	// its own tracks, from the room when tracks to receive come or go.
	Offer Kind = "offer"
	// Answer carries the SDP answer to the other side's offer.
	Answer Kind = "answer"
	// Candidate carries one ICE candidate (trickle ICE).
	Candidate Kind = "candidate"
	// Stop ends the peer's part: from a browser, it leaves; from the room,
	// the session is over for it (Reason says why).
	Stop Kind = "stop"
)

// Message is one signalling message, small and JSON-able so the widget's and
// console's WebSocket streams can carry it as it is.
type Message struct {
	Kind      Kind                     `json:"kind"`
	SDP       string                   `json:"sdp,omitempty"`
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	Reason    string                   `json:"reason,omitempty"`
}

// Validate reports a message that cannot be acted on.
func (m Message) Validate() error {
	switch m.Kind {
	case Offer, Answer:
		if m.SDP == "" {
			return fmt.Errorf("sfu: %s without SDP", m.Kind)
		}
	case Candidate:
		if m.Candidate == nil {
			return errors.New("sfu: candidate message without a candidate")
		}
	case Stop:
	case "":
		return errors.New("sfu: message without a kind")
	default:
		return fmt.Errorf("sfu: unknown message kind %q", m.Kind)
	}
	return nil
}

// Sender carries the room's messages to one peer's browser.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }
