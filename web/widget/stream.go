package widget

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/web/cobrowse"
	"github.com/relaydesk/relaydesk/web/jsonapi"
	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/screen"
)

// batch is how many events one frame carries at most.
const batch = 100

// events answers GET /api/widget/events?after=N, the long-poll fallback of
// the live WebSocket: the events after rseq N, waiting for one if there are
// none yet.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	cs, ok := h.customer(w, r)
	if !ok {
		return
	}
	after := r.URL.Query().Get("after")
	if _, err := parseAfter(after); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	fr, err := h.stream.PollSource(r, normAfter(after), func(follow live.Follow) (live.Source, error) {
		return live.Source{Fetch: h.fetcher(cs, follow), Signal: live.TypingFrames(cs.Actor)}, nil
	})
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, fr)
}

// live answers GET /api/widget/live: a WebSocket whose first client frame
// is {"after": "N", "token": "..."}; browsers cannot set an Authorization
// header on a WebSocket.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	h.stream.ServeSource(w, r, h.sameOrigin, func(ctx context.Context, hello live.Hello, follow live.Follow) (live.Source, error) {
		if _, err := parseAfter(hello.After); err != nil {
			return live.Source{}, h.public(ctx, err)
		}
		cs, err := h.eng.CustomerByToken(ctx, hello.Token)
		if err != nil {
			return live.Source{}, h.public(ctx, err)
		}
		fetch := h.fetcher(cs, follow)
		src := live.Source{Fetch: func(ctx context.Context, after string) ([]any, string, bool, error) {
			items, next, more, err := fetch(ctx, after)
			if err != nil {
				err = h.public(ctx, err)
			}
			return items, next, more, err
		}, Signal: live.TypingFrames(cs.Actor)}
		if h.screen != nil {
			who := screen.Who{Actor: cs.Actor, RequestID: cs.RequestID}
			src.Receive = func(c *live.Conn, data []byte) { h.screen.Receive(context.Background(), who, c, data) }
			src.Gone = h.screen.Gone
		}
		// "cobrowse" frames go to co-browsing, the rest to the screen share.
		h.cobrowse.Attach(&src, cobrowse.Who{Actor: cs.Actor, RequestID: cs.RequestID})
		return src, nil
	})
}

// public turns an error into what an error frame may tell the client: the
// user-facing message of a refusal, a generic sentence (and a log line) for
// anything else.
func (h *Handler) public(ctx context.Context, err error) error {
	if core.ErrorCode(err) == core.CodeInternal && ctx.Err() == nil {
		h.log.ErrorContext(ctx, "widget live stream", "err", err)
	}
	return errors.New(core.ErrorMessage(err))
}

// fetcher follows one customer's request: its events as the customer may
// see them, the cursor being the rseq of the last event looked at. It tells
// follow that commits on that request, and no other, wake the stream.
func (h *Handler) fetcher(cs core.CustomerSession, follow live.Follow) live.Fetch {
	by, requestID := cs.Actor, cs.RequestID
	follow(hub.Request(requestID))
	return func(ctx context.Context, after string) ([]any, string, bool, error) {
		n, err := parseAfter(after)
		if err != nil {
			return nil, after, false, err
		}
		after = normAfter(after)
		// The request's version is the rseq of its last event. Reading it
		// first makes a wake-up with nothing for this customer one cheap
		// query, and tells how far the events read below reach.
		r, err := h.store.Request(ctx, requestID)
		if err != nil {
			return nil, after, false, err
		}
		if r.Version <= n {
			return nil, after, false, nil
		}
		evs, err := h.eng.Events(ctx, by, requestID, n, batch)
		if err != nil {
			return nil, after, false, err
		}
		// Every rseq up to min(n+batch, version) existed when the events
		// were read, and the customer may see none that was left out (notes,
		// assignments): the cursor moves past them, so a long run of hidden
		// events never stalls the stream.
		next := min(n+batch, r.Version)
		items := make([]any, len(evs))
		for i, ev := range evs {
			items[i] = viewEvent(ev, by.ID)
			next = max(next, ev.RSeq)
		}
		// Events after next that committed after the version was read woke
		// the stream again: only the rest of a long backlog is "more".
		return items, strconv.FormatInt(next, 10), next < r.Version, nil
	}
}

// parseAfter reads a cursor: an rseq, "" for the start.
func parseAfter(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, core.Errorf(core.CodeInvalid, "after must be the rseq of the last event seen, such as 12")
	}
	return n, nil
}

func normAfter(s string) string {
	if s == "" {
		return "0"
	}
	return s
}
