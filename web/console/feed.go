package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/core/markup"
	"github.com/relaydesk/relaydesk/web/cobrowse"
	"github.com/relaydesk/relaydesk/web/jsonapi"
	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/screen"
)

// eventJSON is one event of the console's live feed.
type eventJSON struct {
	Pos       string         `json:"pos"`
	RequestID string         `json:"request_id"`
	CompanyID string         `json:"company_id"`
	RSeq      int64          `json:"rseq"`
	Type      core.EventType `json:"type"`
	ActorKind core.ActorKind `json:"actor_kind"`
	ActorID   string         `json:"actor_id"`
	Audience  core.Audience  `json:"audience"`
	Data      core.EventData `json:"data"`
	CreatedAt time.Time      `json:"created_at"`
	// Doc is the body of a message or note parsed (core/markup).
	Doc markup.Doc `json:"doc,omitempty"`
}

// feedBatch is how many events one frame carries at most.
const feedBatch = 200

// recheck is how often a live stream makes sure its session still holds:
// a technician signed out elsewhere stops receiving events.
const recheck = time.Minute

// fetcher follows Engine.Feed for a visitor from a position ("" is the
// log's end now). It tells follow what wakes the stream: the companies the
// technician serves (every commit for an admin) and changes to their own
// access, and tells it again whenever a read finds that those changed.
func (h *Handler) fetcher(v *visitor, follow live.Follow) live.Fetch {
	var mu sync.Mutex
	checked := h.now()
	// stillSignedIn re-checks the session once recheck has passed. It runs
	// after the log is read, so events committed after the moment the check
	// became due are never handed to a session that ended.
	stillSignedIn := func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if h.now().Sub(checked) < recheck {
			return nil
		}
		if _, err := h.sessionOf(ctx, v.sess.IDHash, false); err != nil {
			if errors.Is(err, errSignedOut) {
				return core.Errorf(core.CodeForbidden, "signed out")
			}
			return err
		}
		checked = h.now()
		return nil
	}
	// Until the first read says what the technician serves, changes to
	// their access wake the stream; the first read then follows more.
	following := []hub.Key{hub.Technician(v.actor.ID)}
	follow(following...)
	return func(ctx context.Context, after string) ([]any, string, bool, error) {
		pos, err := core.ParsePosition(after)
		if err != nil {
			return nil, after, false, err
		}
		if after == "" {
			if pos, err = h.eng.LogEnd(ctx); err != nil {
				return nil, after, false, err
			}
		}
		page, err := h.feed(ctx, v.actor, pos)
		if err != nil {
			return nil, after, false, err
		}
		if err := stillSignedIn(ctx); err != nil {
			return nil, after, false, err
		}
		// Commits of a company granted since the last read may not have
		// woken the stream: follow it now, and read again.
		refollowed := false
		if keys := feedKeys(v.actor.ID, page); !slices.Equal(keys, following) {
			follow(keys...)
			following, refollowed = keys, true
		}
		if page.Held && len(page.Events) == 0 && page.Next == pos && !refollowed {
			return nil, after, false, live.ErrHeld
		}
		items := make([]any, 0, len(page.Events))
		for _, e := range page.Events {
			ej := eventJSON{Pos: e.Pos.String(), RequestID: e.RequestID, CompanyID: e.CompanyID,
				RSeq: e.RSeq, Type: e.Type, ActorKind: e.Actor.Kind, ActorID: e.Actor.ID, Audience: e.Audience,
				Data: e.Data, CreatedAt: e.CreatedAt}
			if e.Type == core.EventMessage || e.Type == core.EventNote || e.Type == core.EventEdited {
				ej.Doc = markup.Parse(e.Data.Body)
			}
			items = append(items, ej)
		}
		// A page that was held back is looked at again at once: what waits
		// has woken the feed already, and will not wake it again.
		return items, page.Next.String(), page.More || page.Held || refollowed, nil
	}
}

// feed reads a technician's feed after pos: from the reads of the log the
// feeds share when pos is within them, else from the log.
func (h *Handler) feed(ctx context.Context, by core.Actor, pos core.Position) (core.FeedPage, error) {
	evs, held, more, ok, err := h.tail.after(ctx, pos, feedBatch)
	if err != nil {
		return core.FeedPage{Next: pos}, err
	}
	if !ok {
		return h.eng.Feed(ctx, by, pos, feedBatch)
	}
	return h.eng.FeedOf(ctx, by, pos, evs, held, more)
}

// feedKeys is what a technician's feed follows: changes to their access,
// and the events of the companies they serve.
func feedKeys(technicianID string, page core.FeedPage) []hub.Key {
	keys := []hub.Key{hub.Technician(technicianID)}
	if page.Every {
		return append(keys, hub.Everything())
	}
	for _, c := range page.Companies {
		keys = append(keys, hub.Company(c))
	}
	return keys
}

// liveSocket streams the feed over a WebSocket. The session cookie
// authenticates it; pages of other sites are refused, as browsers send
// cookies with cross-site WebSockets too. The client's first frame is
// {"after": POSITION}.
func (h *Handler) liveSocket(w http.ResponseWriter, r *http.Request) {
	v, err := h.visitor(r)
	if errors.Is(err, errSignedOut) {
		jsonapi.Unauthorized(w, "sign in to the console first")
		return
	} else if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	if !h.sameOrigin(r) {
		jsonapi.Problem(w, http.StatusForbidden, "csrf", "this request did not come from a relaydesk console page")
		return
	}
	h.stream.ServeSource(w, r, h.sameOrigin, func(ctx context.Context, hello live.Hello, follow live.Follow) (live.Source, error) {
		if _, err := core.ParsePosition(hello.After); err != nil {
			return live.Source{}, errors.New(core.ErrorMessage(err))
		}
		fetch := h.fetcher(v, follow)
		// The socket's error frame shows the message: only what a user may read.
		src := live.Source{Fetch: func(ctx context.Context, after string) ([]any, string, bool, error) {
			items, next, more, err := fetch(ctx, after)
			if errors.Is(err, live.ErrHeld) {
				return nil, after, false, err
			}
			if core.ErrorCode(err) == core.CodeInternal && ctx.Err() == nil {
				h.log.ErrorContext(ctx, "console live feed", "err", err)
			}
			if err != nil {
				return nil, after, false, errors.New(core.ErrorMessage(err))
			}
			return items, next, more, nil
		}, Signal: live.TypingFrames(v.actor)}
		if m := h.cfg.Screen; m != nil {
			who := screen.Who{Actor: v.actor}
			src.Receive = func(c *live.Conn, data []byte) { m.Receive(context.Background(), who, c, data) }
			src.Gone = m.Gone
		}
		// "cobrowse" frames go to co-browsing, the rest to the screen share.
		h.cfg.Cobrowse.Attach(&src, cobrowse.Who{Actor: v.actor})
		return src, nil
	})
}

// poll is the long-poll fallback: GET /console/api/feed?after=POSITION.
func (h *Handler) poll(w http.ResponseWriter, r *http.Request, v *visitor) {
	after := r.URL.Query().Get("after")
	if _, err := core.ParsePosition(after); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	if after == "" {
		pos, err := h.eng.LogEnd(r.Context())
		if err != nil {
			jsonapi.Fail(w, r, h.log, err)
			return
		}
		after = pos.String()
	}
	fr, err := h.stream.PollSource(r, after, func(follow live.Follow) (live.Source, error) {
		return live.Source{Fetch: h.fetcher(v, follow), Signal: live.TypingFrames(v.actor)}, nil
	})
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, fr)
}
