package console

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/web/jsonapi"
	"github.com/relaydesk/relaydesk/web/live"
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
}

// feedBatch is how many events one frame carries at most.
const feedBatch = 200

// recheck is how often a live stream makes sure its session still holds:
// a technician signed out elsewhere stops receiving events.
const recheck = time.Minute

// fetcher follows Engine.Feed for a visitor from a position ("" is the
// log's end now).
func (h *Handler) fetcher(v *visitor) live.Fetch {
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
	return func(ctx context.Context, after string) ([]any, string, error) {
		pos, err := core.ParsePosition(after)
		if err != nil {
			return nil, after, err
		}
		if after == "" {
			if pos, err = h.eng.LogEnd(ctx); err != nil {
				return nil, after, err
			}
		}
		evs, next, held, err := h.eng.Feed(ctx, v.actor, pos, feedBatch)
		if err != nil {
			return nil, after, err
		}
		if err := stillSignedIn(ctx); err != nil {
			return nil, after, err
		}
		if held && len(evs) == 0 && next == pos {
			return nil, after, live.ErrHeld
		}
		items := make([]any, 0, len(evs))
		for _, e := range evs {
			items = append(items, eventJSON{Pos: e.Pos.String(), RequestID: e.RequestID, CompanyID: e.CompanyID,
				RSeq: e.RSeq, Type: e.Type, ActorKind: e.Actor.Kind, ActorID: e.Actor.ID, Audience: e.Audience,
				Data: e.Data, CreatedAt: e.CreatedAt})
		}
		return items, next.String(), nil
	}
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
	fetch := h.fetcher(v)
	// The socket's error frame shows the message: only what a user may read.
	safe := func(ctx context.Context, after string) ([]any, string, error) {
		items, next, err := fetch(ctx, after)
		if errors.Is(err, live.ErrHeld) {
			return nil, after, err
		}
		if core.ErrorCode(err) == core.CodeInternal && ctx.Err() == nil {
			h.log.ErrorContext(ctx, "console live feed", "err", err)
		}
		if err != nil {
			return nil, after, errors.New(core.ErrorMessage(err))
		}
		return items, next, nil
	}
	h.stream.ServeWS(w, r, h.sameOrigin, func(ctx context.Context, hello live.Hello) (live.Fetch, error) {
		if _, err := core.ParsePosition(hello.After); err != nil {
			return nil, errors.New(core.ErrorMessage(err))
		}
		return safe, nil
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
	fr, err := h.stream.Poll(r, after, h.fetcher(v))
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, fr)
}
