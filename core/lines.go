package core

// What customers read of edited and withdrawn messages in the event log:
// the log keeps every text as it was written, for technicians; a customer
// reads each chat line as its message reads now.

import "context"

// Current returns ev as its chat line reads now: a message, file or edit
// event whose message was edited since shows its current text and
// Version; one whose message was withdrawn since shows no text or file,
// with Data.Withdrawn set. Other events are returned as they are.
//
// An adapter delivering to customers calls it (then Event.ForCustomer)
// before rendering, so that a message withdrawn while the dispatcher was
// behind never reaches a customer, and an edited one arrives as it reads
// now; the later EventEdited then finds the copy current already.
func (e *Engine) Current(ctx context.Context, ev Event) (Event, error) {
	if !isLine(ev.Type) || ev.Data.MessageID == "" {
		return ev, nil
	}
	m, err := e.store.Message(ctx, ev.Data.MessageID)
	if err != nil {
		return ev, err
	}
	lineAsNow(&ev, lineOf(m))
	return ev, nil
}

// isLine reports whether events of typ show a message's text.
func isLine(typ EventType) bool {
	switch typ {
	case EventMessage, EventFile, EventNote, EventEdited, EventWithdrawn:
		return true
	}
	return false
}

// line is what a chat line shows of its message now.
type line struct {
	body      string
	version   int64
	withdrawn bool
}

func lineOf(m Message) line { return line{body: m.Body, version: m.Version, withdrawn: m.Withdrawn()} }

func lineAsNow(ev *Event, l line) {
	switch {
	case l.withdrawn:
		ev.Data.Body, ev.Data.File, ev.Data.Withdrawn = "", nil, true
	case l.version > 1 && ev.Type != EventFile:
		ev.Data.Body, ev.Data.Version = l.body, l.version
	}
}

// currentLines brings the chat lines of evs, a request's events in order,
// to what their messages read now. When evs reach the end of the request's
// log (complete), every later edit or withdrawal of their messages is among
// them, and the last one says what each reads now: no query. Otherwise (a
// long catch-up read page by page) the request's messages are read.
func (e *Engine) currentLines(ctx context.Context, requestID string, evs []Event, complete bool) error {
	now := map[string]line{}
	found := false
	for _, ev := range evs {
		if !isLine(ev.Type) {
			continue
		}
		found = true
		id := ev.Data.MessageID
		switch ev.Type {
		case EventEdited:
			l := now[id]
			l.body, l.version = ev.Data.Body, ev.Data.Version
			now[id] = l
		case EventWithdrawn:
			l := now[id]
			l.withdrawn = true
			now[id] = l
		}
	}
	if !found {
		return nil
	}
	if !complete {
		ms, err := e.store.Messages(ctx, requestID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			now[m.ID] = lineOf(m)
		}
	}
	for i := range evs {
		if l, ok := now[evs[i].Data.MessageID]; ok && isLine(evs[i].Type) {
			lineAsNow(&evs[i], l)
		}
	}
	return nil
}
