package core

import (
	"context"
	"slices"
	"strconv"
)

// Action is something a technician does to a request, named the same on
// every surface: a console button, a Slack or Discord card button, a
// /support subcommand. Which actions a technician may take now is decided
// here, by the same rules the engine applies when the action is taken, so
// that no surface offers what the engine would refuse.
type Action string

// The actions, in the order surfaces show them.
const (
	ActionAssign       Action = "assign"
	ActionJoin         Action = "join"
	ActionEnd          Action = "end"
	ActionScreenShare  Action = "screenshare"
	ActionScreenStop   Action = "screenstop"
	ActionRecord       Action = "record"
	ActionRecordStop   Action = "recordstop"
	ActionCall         Action = "call"
	ActionCallEnd      Action = "callend"
	ActionSystemInfo   Action = "sysinfo"
	ActionUnassign     Action = "unassign"
	ActionTransfer     Action = "transfer"
	ActionInvite       Action = "invite"
	ActionLeave        Action = "leave"
	ActionClose        Action = "close"
	ActionCobrowse     Action = "cobrowse"
	ActionCobrowseStop Action = "cobrowsestop"
)

// actions is every Action in display order.
func actions() []Action {
	return []Action{ActionAssign, ActionJoin, ActionEnd, ActionScreenShare, ActionScreenStop, ActionRecord, ActionRecordStop, ActionCobrowse, ActionCobrowseStop, ActionCall, ActionCallEnd, ActionSystemInfo,
		ActionUnassign, ActionTransfer, ActionInvite, ActionLeave, ActionClose}
}

// ParseAction reads an action's name; unknown names are CodeNotFound.
func ParseAction(name string) (Action, error) {
	if a := Action(name); slices.Contains(actions(), a) {
		return a, nil
	}
	return "", Errorf(CodeNotFound, "there is no action %s", strconv.Quote(name))
}

// Label is the action's button text.
func (a Action) Label() string {
	switch a {
	case ActionAssign:
		return "Assign to me"
	case ActionJoin:
		return "Join chat"
	case ActionEnd:
		return "End chat"
	case ActionScreenShare:
		return "Request screen sharing"
	case ActionScreenStop:
		return "Stop screen sharing"
	case ActionRecord:
		return "Record"
	case ActionRecordStop:
		return "Stop recording"
	case ActionCall:
		return "Start call"
	case ActionCallEnd:
		return "End call"
	case ActionCobrowse:
		return "Request co-browsing"
	case ActionCobrowseStop:
		return "Stop co-browsing"
	case ActionSystemInfo:
		return "Request system info"
	case ActionUnassign:
		return "Unassign"
	case ActionTransfer:
		return "Transfer"
	case ActionInvite:
		return "Invite"
	case ActionLeave:
		return "Leave chat"
	case ActionClose:
		return "Close"
	}
	return string(a)
}

// NeedsTechnician reports whether the action names a colleague (transfer,
// invite).
func (a Action) NeedsTechnician() bool { return a == ActionTransfer || a == ActionInvite }

// ActionArgs are what some actions carry: a closing note (close), the
// colleague to hand over to or invite (transfer, invite).
type ActionArgs struct {
	Note       string
	Technician string
}

// Presence is what some rules need to know of a request's people beyond
// its row: whether the technician is an invited collaborator still in the
// chat (leave), and whether the request has customers and all of them left
// (close).
type Presence struct {
	Collaborator  bool
	CustomersGone bool
}

// PresenceOf reads t's Presence in r from its participants.
func PresenceOf(t Technician, r Request, ps []Participant) Presence {
	_, collab := findParticipant(ps, RoleCollaborator, t.ID)
	customers, here := 0, 0
	for _, p := range ps {
		if p.Role == RoleCustomer {
			customers++
			if p.Active() {
				here++
			}
		}
	}
	return Presence{Collaborator: collab, CustomersGone: r.Status != StatusCompleted && customers > 0 && here == 0}
}

// check reports why t may not take a on r now, or nil. It covers the rules
// of the request's state and the technician's part in it; the arguments
// (the colleague) are checked when the action is taken. The rules that
// need to know who is in the request take it from pr; the zero Presence
// (nobody known to have left, t not a collaborator) refuses them.
func (a Action) check(t Technician, r Request, pr Presence) error {
	switch a {
	case ActionAssign:
		switch {
		case r.Status == StatusCompleted:
			return Errorf(CodeInvalidState, "request #%d is closed", r.Number)
		case r.OwnerID != "" && r.OwnerID == t.ID:
			return Errorf(CodeInvalidState, "request #%d is already assigned to you", r.Number)
		case r.OwnerID != "":
			return Errorf(CodeConflict, "request #%d is already assigned to %s", r.Number, r.OwnerName)
		case t.Availability != Available:
			return Errorf(CodeForbidden, "you are %s; set your status to available to take new requests", t.Availability)
		}
		return nil
	case ActionJoin:
		if err := mustOwn(t, r); err != nil {
			return err
		}
		if r.Chat == ChatLive {
			return Errorf(CodeInvalidState, "you already joined the chat of request #%d", r.Number)
		}
		return nil
	case ActionEnd:
		if err := mustOwn(t, r); err != nil {
			return err
		}
		if r.Chat != ChatLive {
			return Errorf(CodeInvalidState, "the chat of request #%d is not live; join it first", r.Number)
		}
		return nil
	case ActionScreenShare:
		if err := mustOwnLive(t, r); err != nil {
			return err
		}
		// Known phones and tablets cannot share; chat platforms (which do
		// not say) get a link that tells the customer to open it on a desktop.
		switch {
		case r.Source.IsMobile():
			return errDesktopOnly
		case r.Screen == ScreenAsked:
			return Errorf(CodeInvalidState, "you asked to see the screen of request #%d already; the customer has not answered yet", r.Number)
		case r.Screen == ScreenLive:
			return Errorf(CodeInvalidState, "the customer of request #%d is sharing their screen already", r.Number)
		}
		return nil
	case ActionScreenStop:
		if err := mustOwn(t, r); err != nil {
			return err
		}
		if r.Screen == ScreenNone {
			return Errorf(CodeInvalidState, "nothing of request #%d is shared", r.Number)
		}
		return nil
	case ActionRecord:
		if err := mustOwn(t, r); err != nil {
			return err
		}
		switch {
		case r.recorded() == "":
			return Errorf(CodeInvalidState, "only a live screen share or call is recorded: request #%d has neither", r.Number)
		case r.Recording == RecordingAsked:
			return Errorf(CodeInvalidState, "you asked to record request #%d already; the customer has not answered yet", r.Number)
		case r.Recording == RecordingOn:
			return Errorf(CodeInvalidState, "request #%d is being recorded already", r.Number)
		}
		return nil
	case ActionRecordStop:
		if err := mustOwn(t, r); err != nil {
			return err
		}
		if r.Recording == RecordingNone {
			return Errorf(CodeInvalidState, "nothing of request #%d is being recorded", r.Number)
		}
		return nil
	case ActionCall:
		if err := mustOwnLive(t, r); err != nil {
			return err
		}
		switch {
		case r.Call == CallRinging:
			return Errorf(CodeInvalidState, "the customer of request #%d is being called already", r.Number)
		case r.Call == CallLive:
			return Errorf(CodeInvalidState, "request #%d has a call already", r.Number)
		case pr.CustomersGone:
			// As the seed says: not before a customer has joined.
			return Errorf(CodeInvalidState, "a call starts once a customer is in the chat of request #%d", r.Number)
		}
		return nil
	case ActionCallEnd:
		if err := mustOwn(t, r); err != nil {
			return err
		}
		if r.Call == CallNone {
			return Errorf(CodeInvalidState, "request #%d has no call", r.Number)
		}
		return nil
	case ActionCobrowse, ActionCobrowseStop:
		return checkCobrowse(a, t, r)
	case ActionSystemInfo:
		return mustOwnLive(t, r)
	case ActionUnassign, ActionTransfer, ActionInvite:
		return mustOwn(t, r)
	case ActionLeave:
		switch {
		case r.Status == StatusCompleted:
			return Errorf(CodeInvalidState, "request #%d is closed", r.Number)
		case r.OwnerID == t.ID:
			return Errorf(CodeInvalidState, "you own request #%d: transfer or unassign it instead of leaving", r.Number)
		case !pr.Collaborator:
			return Errorf(CodeInvalidState, "you are not in the chat of request #%d", r.Number)
		}
		return nil
	case ActionClose:
		// The owner closes; an admin may close any open request, New ones
		// included (spam, duplicates); anyone serving the company may close
		// a New one whose customers all left, which nobody would otherwise
		// take.
		switch {
		case r.Status == StatusCompleted:
			return Errorf(CodeInvalidState, "request #%d is closed", r.Number)
		case t.IsAdmin():
			return nil
		case r.OwnerID == "" && pr.CustomersGone:
			return nil
		case r.OwnerID == "":
			return Errorf(CodeForbidden, "request #%d is not assigned to you and its customer is still in the chat; assign it to yourself to close it", r.Number)
		}
		return mustOwn(t, r)
	}
	return Errorf(CodeNotFound, "there is no action %s", strconv.Quote(string(a)))
}

// Allowed lists what t may do with r now, in display order, among the
// actions that do not depend on who else is in the request (AllowedWith).
func Allowed(t Technician, r Request) []Action { return AllowedWith(t, r, Presence{}) }

// AllowedWith lists what t may do with r now, in display order, given
// their Presence in it.
func AllowedWith(t Technician, r Request, pr Presence) []Action {
	var out []Action
	for _, a := range actions() {
		if a.check(t, r, pr) == nil {
			out = append(out, a)
		}
	}
	return out
}

// OwnerActions lists what the request's owner may do with it now, or, for
// a request nobody owns, what an available technician may: the buttons of a
// card that a whole channel shares. The engine still checks who presses.
func OwnerActions(r Request) []Action {
	t := Technician{ID: r.OwnerID, Name: r.OwnerName, Role: RoleTechnician, Availability: Available}
	if r.OwnerID == "" {
		t.ID = "anyone"
	}
	return Allowed(t, r)
}

// Act takes action a on a request for by, with its arguments: the one
// entry every surface's buttons and commands go through.
func (e *Engine) Act(ctx context.Context, by Actor, requestID string, a Action, args ActionArgs) (Request, error) {
	switch a {
	case ActionAssign:
		return e.AssignToMe(ctx, by, requestID)
	case ActionJoin:
		return e.JoinChat(ctx, by, requestID)
	case ActionEnd:
		return e.EndChat(ctx, by, requestID)
	case ActionScreenShare:
		return e.RequestScreenShare(ctx, by, requestID)
	case ActionScreenStop:
		return e.StopScreenShare(ctx, by, requestID)
	case ActionRecord:
		return e.RequestRecording(ctx, by, requestID)
	case ActionRecordStop:
		return e.StopRecording(ctx, by, requestID)
	case ActionCall:
		return e.StartCall(ctx, by, requestID)
	case ActionCallEnd:
		return e.EndCall(ctx, by, requestID)
	case ActionCobrowse:
		return e.RequestCobrowse(ctx, by, requestID)
	case ActionCobrowseStop:
		return e.StopCobrowse(ctx, by, requestID)
	case ActionSystemInfo:
		return e.RequestSystemInfo(ctx, by, requestID)
	case ActionUnassign:
		return e.Unassign(ctx, by, requestID)
	case ActionTransfer, ActionInvite:
		if args.Technician == "" {
			return Request{}, Errorf(CodeInvalid, "choose a technician")
		}
		if a == ActionTransfer {
			return e.Transfer(ctx, by, requestID, args.Technician)
		}
		return e.InviteTechnician(ctx, by, requestID, args.Technician)
	case ActionLeave:
		return e.LeaveChat(ctx, by, requestID)
	case ActionClose:
		return e.Close(ctx, by, requestID, args.Note)
	}
	return Request{}, Errorf(CodeNotFound, "there is no action %s", strconv.Quote(string(a)))
}

// LeaveChat ends an invited collaborator's part in a request: they no
// longer chat in it and it leaves their My Support Requests. Everyone in
// the request is told ("Bob left the chat"). The owner cannot leave; they
// transfer or unassign.
func (e *Engine) LeaveChat(ctx context.Context, by Actor, id string) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		ps, err := tx.Participants(ctx, c.r.ID)
		if err != nil {
			return nil, err
		}
		if err := ActionLeave.check(t, *c.r, PresenceOf(t, *c.r, ps)); err != nil {
			return nil, err
		}
		p, _ := findParticipant(ps, RoleCollaborator, t.ID)
		p.LeftAt = e.now().UTC()
		c.add(EventTechnicianLeft, by, AudienceAll, EventData{ActorName: t.Name, TechnicianID: t.ID, TechnicianName: t.Name})
		return func() error { return tx.UpdateParticipant(ctx, p) }, nil
	})
}
