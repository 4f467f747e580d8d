package core

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every text that enters the engine (chat messages, notes, the closing
// note, names, subjects, e-mail addresses, system information, a request's
// source, platform account IDs, idempotency keys) passes checkText once,
// before anything is stored. The rule is the engine's, not a database's:
// PostgreSQL cannot store NUL or invalid UTF-8 and SQLite would, so without
// it the same input was a 500 on one and stored on the other.
//
// A text must be valid UTF-8 and hold no control character (C0, DEL, C1),
// except that a text of several lines may hold line feeds and tabs. A
// carriage return ends a line there: "\r\n" and a lone "\r" become "\n".
// Anything else is refused with CodeInvalid, naming the character; nothing
// is stripped silently, so what is stored is what was written.

// textShape says which control characters a text may hold.
type textShape int

const (
	oneLine    textShape = iota // names, subjects, IDs: no control character at all
	multiLines                  // messages and notes: line feeds and tabs too
)

// checkText applies the rule to s, which what names in the refusal ("the
// message"), and returns it with its line ends normalised.
func checkText(what, s string, shape textShape) (string, error) {
	if !utf8.ValidString(s) {
		return "", Errorf(CodeInvalid, "%s is not valid UTF-8 text", what)
	}
	if shape == multiLines && strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(shape == multiLines && (r == '\n' || r == '\t')) {
			return "", Errorf(CodeInvalid, "%s contains the control character U+%04X, which relaydesk does not accept; remove it and try again", what, r)
		}
	}
	return s, nil
}

// cleanLine checks a one-line text of at most max characters and trims the
// spaces around it; "" is allowed.
func cleanLine(what, s string, max int) (string, error) {
	s, err := checkText(what, strings.TrimSpace(s), oneLine)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(s) > max {
		return "", Errorf(CodeInvalid, "%s is longer than %d characters", what, max)
	}
	return s, nil
}

// cleanLines checks a text of several lines, of at most max characters, and
// trims the space around it; "" is allowed.
func cleanLines(what, s string, max int) (string, error) {
	s, err := checkText(what, s, multiLines)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		return "", Errorf(CodeInvalid, "%s is longer than %d characters; split it", what, max)
	}
	return s, nil
}

// cleanSource checks what is known of a customer's device: it comes from
// HTTP headers and chat platforms, and is shown to technicians.
func cleanSource(s Source) (Source, error) {
	for _, f := range []*string{&s.Channel, &s.IP, &s.Device, &s.OS, &s.Browser, &s.Language} {
		v, err := cleanLine("the source information", *f, 200)
		if err != nil {
			return s, err
		}
		*f = v
	}
	return s, nil
}
