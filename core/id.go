package core

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a random 128-bit identifier with a readable prefix, such as
// "req_5fz3...". IDs are made in Go so one SQL text serves every database.
func NewID(prefix string) string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand documents so since Go 1.24)
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// NewToken returns an unguessable 256-bit bearer token and the hash under
// which it is stored: the database never holds the token itself.
func NewToken() (token, hash string) {
	var b [32]byte
	rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken is the stored form of a bearer token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
