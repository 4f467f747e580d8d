package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core/password"
)

func TestHashRefusesBadLengths(t *testing.T) {
	tests := []struct {
		name  string
		plain string
		want  error
	}{
		{"empty", "", password.ErrTooShort},
		{"nine characters", "123456789", password.ErrTooShort},
		{"nine characters in many bytes", "ééééééééé", password.ErrTooShort},
		{"over bcrypt's 72 bytes", strings.Repeat("x", 73), password.ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := password.Hash(tt.plain)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Hash(%q) = %q, %v; want error %v", tt.plain, h, err, tt.want)
			}
		})
	}
}

func TestHashThenCheck(t *testing.T) {
	const plain = "correct horse battery"
	h, err := password.Hash(plain)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, plain) {
		t.Fatal("the hash contains the password")
	}
	tests := []struct {
		name  string
		hash  string
		plain string
		want  bool
	}{
		{"right password", h, plain, true},
		{"wrong password", h, "correct horse battery!", false},
		{"empty password", h, "", false},
		{"no hash", "", plain, false},
		{"malformed hash", "not-a-bcrypt-hash", plain, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := password.Check(tt.hash, tt.plain); got != tt.want {
				t.Errorf("Check = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHashIsSalted(t *testing.T) {
	a, err := password.Hash("0123456789")
	if err != nil {
		t.Fatal(err)
	}
	b, err := password.Hash("0123456789")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two hashes of one password are equal: no salt")
	}
}
