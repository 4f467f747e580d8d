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
	ActionAssign      Action = "assign"
	ActionJoin        Action = "join"
	ActionEnd         Action = "end"
	ActionScreenShare Action = "screenshare"
	ActionSystemInfo  Action = "sysinfo"
	ActionUnassign    Action = "unassign"
	ActionTransfer    Action = "transfer"
	ActionInvite      Action = "invite"
	ActionClose       Action = "close"
)

// actions is every Action in display order.
func actions() []Action {
	return []Action{ActionAssign, ActionJoin, ActionEnd, ActionScreenShare, ActionSystemInfo,
		ActionUnassign, ActionTransfer, ActionInvite, ActionClose}
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
	case ActionSystemInfo:
		return "Request system info"
	case ActionUnassign:
		return "Unassign"
	case ActionTransfer:
		return "Transfer"
	case ActionInvite:
		return "Invite"
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

// check reports why t may not take a on r now, or nil. It covers the rules
// of the request's state and the technician's part in it; the arguments
// (the colleague) are checked when the action is taken.
func (a Action) check(t Technician, r Request) error {
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
		if r.Source.IsMobile() {
			return Errorf(CodeInvalidState, "screen sharing needs a customer on a desktop web browser")
		}
		return nil
	case ActionSystemInfo:
		return mustOwnLive(t, r)
	case ActionUnassign, ActionTransfer, ActionInvite:
		return mustOwn(t, r)
	case ActionClose:
		// The owner closes; an admin may close any open request, New ones
		// included (spam, duplicates).
		if t.IsAdmin() && r.Status != StatusCompleted {
			return nil
		}
		return mustOwn(t, r)
	}
	return Errorf(CodeNotFound, "there is no action %s", strconv.Quote(string(a)))
}

// Allowed lists what t may do with r now, in display order.
func Allowed(t Technician, r Request) []Action {
	var out []Action
	for _, a := range actions() {
		if a.check(t, r) == nil {
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
	case ActionClose:
		return e.Close(ctx, by, requestID, args.Note)
	}
	return Request{}, Errorf(CodeNotFound, "there is no action %s", strconv.Quote(string(a)))
}
