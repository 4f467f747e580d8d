// Package password hashes and checks technicians' console passwords with
// bcrypt. It is the only place that knows the algorithm: core stores the
// hash as an opaque string.
package password

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// MinLength is the shortest password Hash accepts, in characters. Length
// is what makes a password hard to guess; no composition rules beyond it.
const MinLength = 10

// maxBytes is bcrypt's input limit: it refuses anything longer rather than
// silently ignoring the tail.
const maxBytes = 72

// cost is bcrypt's work factor: about 50-100 ms per hash on current
// hardware, slow for an attacker and still quick for one console login.
const cost = 12

// ErrTooShort and ErrTooLong are returned by Hash for passwords outside the
// accepted length; their messages are safe to show the person choosing one.
var (
	ErrTooShort = fmt.Errorf("a password needs at least %d characters", MinLength)
	ErrTooLong  = fmt.Errorf("a password can have at most %d bytes", maxBytes)
)

// Hash returns the bcrypt hash of plain, refusing passwords shorter than
// MinLength characters or longer than bcrypt can take.
func Hash(plain string) (string, error) {
	if utf8.RuneCountInString(plain) < MinLength {
		return "", ErrTooShort
	}
	if len(plain) > maxBytes {
		return "", ErrTooLong
	}
	h, err := bcrypt.GenerateFromPassword([]byte(plain), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// Check reports whether plain is the password hash was made from. An empty
// or malformed hash (a technician without a console password) never matches.
func Check(hash, plain string) bool {
	if hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(plain)) == nil
}
