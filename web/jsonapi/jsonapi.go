// Package jsonapi is how relaydesk's HTTP APIs speak JSON: one error shape,
// engine refusals mapped to HTTP statuses, and strict request decoding.
package jsonapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"

	"github.com/relaydesk/relaydesk/core"
)

// ErrorBody is every API error: {"error":{"code":"...","message":"..."}}.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Status maps an engine refusal code to its HTTP status.
func Status(c core.Code) int {
	switch c {
	case core.CodeNotFound:
		return http.StatusNotFound
	case core.CodeForbidden:
		return http.StatusForbidden
	case core.CodeInvalidState, core.CodeConflict:
		return http.StatusConflict
	case core.CodeInvalid:
		return http.StatusBadRequest
	case core.CodeUnsupported:
		return http.StatusUnsupportedMediaType
	case core.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// Write answers v as JSON with status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Fail answers err: its code and user-facing message for a refusal, a
// generic 500 (with the details logged) for anything else. A technician's
// action on a request of a company they do not serve is answered exactly
// as one on a request that does not exist: an ID tells nothing to whoever
// lacks access.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if errors.Is(err, core.ErrNoAccess) {
		err = core.ErrRequestNotFound
	}
	code := core.ErrorCode(err)
	if code == core.CodeInternal {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	Problem(w, Status(code), string(code), core.ErrorMessage(err))
}

// Problem answers an error with an explicit status, code and message.
func Problem(w http.ResponseWriter, status int, code, message string) {
	var b ErrorBody
	b.Error.Code, b.Error.Message = code, message
	Write(w, status, b)
}

// Unauthorized answers 401: no credential, or one that is not valid.
func Unauthorized(w http.ResponseWriter, message string) {
	Problem(w, http.StatusUnauthorized, "unauthorized", message)
}

// IdempotencyKey turns a request's Idempotency-Key header (at most 100
// characters; none is the zero key) into the engine's key, scoped to scope:
// the one who sends, such as "console:<technician ID>". A call repeated
// with the same key does nothing more and answers what the first did, so
// a client may retry a send whose answer it did not get.
func IdempotencyKey(r *http.Request, scope string) (core.Idempotency, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return core.Idempotency{}, nil
	}
	if len(k) > 100 {
		return core.Idempotency{}, core.Errorf(core.CodeInvalid, "the Idempotency-Key header is longer than 100 characters")
	}
	return core.Idempotency{Source: scope, ExternalID: k}, nil
}

// MaxBody bounds JSON request bodies.
const MaxBody = 1 << 20

// Decode reads a JSON object into dst, refusing other content types,
// unknown fields, trailing data and bodies over MaxBody. Its errors are
// *core.Error with CodeInvalid (400) or CodeUnsupported (415).
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return core.Errorf(core.CodeUnsupported, "send the request body as application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return core.Errorf(core.CodeTooLarge, "the request body is larger than %s", core.FormatBytes(MaxBody))
		}
		return core.Errorf(core.CodeInvalid, "the request body is not valid JSON for this call: %s", describe(err))
	}
	if dec.More() {
		return core.Errorf(core.CodeInvalid, "the request body has data after the JSON object")
	}
	return nil
}

func describe(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be %s", te.Field, te.Type)
	}
	return err.Error()
}
