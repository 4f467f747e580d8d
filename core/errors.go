package core

import (
	"errors"
	"fmt"
)

// Code classifies a refusal so that callers (HTTP handlers, chat adapters)
// can map it to their own vocabulary without parsing messages.
type Code string

// The refusal codes. Internal is everything that is not the caller's fault.
const (
	CodeNotFound     Code = "not_found"
	CodeForbidden    Code = "forbidden"
	CodeInvalidState Code = "invalid_state"
	CodeConflict     Code = "conflict"
	CodeInvalid      Code = "invalid_input"
	CodeUnsupported  Code = "unsupported_media"
	CodeTooLarge     Code = "too_large"
	CodeInternal     Code = "internal"
)

// Error is a refusal with a code and a message safe to show the user who
// caused it. Wrap it with fmt.Errorf("...: %w", err) freely: ErrorCode and
// ErrorMessage find it again.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Is makes errors.Is(err, &Error{Code: c}) match any error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Errorf builds an *Error with a formatted user-facing message.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for errors.Is: errors.Is(err, core.ErrNotFound).
var (
	ErrNotFound     error = &Error{Code: CodeNotFound}
	ErrForbidden    error = &Error{Code: CodeForbidden}
	ErrInvalidState error = &Error{Code: CodeInvalidState}
	ErrConflict     error = &Error{Code: CodeConflict}
	ErrInvalid      error = &Error{Code: CodeInvalid}
	ErrUnsupported  error = &Error{Code: CodeUnsupported}
	ErrTooLarge     error = &Error{Code: CodeTooLarge}
)

// ErrNoAccess is the refusal of a technician acting on a request of a
// company they do not serve. It is CodeForbidden, so a technician in a
// chat platform, who sees the company's cards, hears why; an API that
// addresses requests by ID answers it as not found, like an unknown ID,
// so that an ID reveals nothing to whoever lacks access. Reads are not
// found in the engine already.
var ErrNoAccess error = &Error{Code: CodeForbidden, Message: "you do not have access to the requests of this company"}

// ErrRequestNotFound is the one answer for a request that does not exist
// and for one its reader may not see.
var ErrRequestNotFound error = &Error{Code: CodeNotFound, Message: "request not found"}

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal
// for any other non-nil error and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the user-facing message of err: the *Error's message,
// or a generic sentence for internal errors, whose details are for logs only.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "internal error; the details are in the server log"
}
