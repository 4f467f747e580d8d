package bots

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// LinkCodeTTL is how long a link code printed by `relaydesk admin <platform>
// link-code` stays valid.
const LinkCodeTTL = time.Hour

// LinkCodes keeps one-time link codes by their hash (sqlstore.Store).
type LinkCodes interface {
	AddLinkCode(ctx context.Context, platform, hash, technicianID string, expires time.Time) error
	// UseLinkCode marks the code used and returns its technician, for one
	// caller only however many try at once; CodeNotFound when the code is
	// unknown, expired or used.
	UseLinkCode(ctx context.Context, platform, hash string, now time.Time) (technicianID string, err error)
}

// NewLinkCode returns a one-time code that links the platform account that
// sends "/support link CODE" to technician techID within ttl. Only the
// code's hash is stored.
func NewLinkCode(ctx context.Context, codes LinkCodes, platform, techID string, ttl time.Duration) (string, error) {
	b := make([]byte, 10)
	rand.Read(b)
	code := strings.ToUpper(hex.EncodeToString(b))
	code = code[:5] + "-" + code[5:10] + "-" + code[10:15] + "-" + code[15:]
	if err := codes.AddLinkCode(ctx, platform, linkHash(code), techID, time.Now().Add(ttl)); err != nil {
		return "", fmt.Errorf("store the link code: %w", err)
	}
	return code, nil
}

// linkHash is what is stored of a code: as people type it, without
// dashes, spaces or lower case.
func linkHash(code string) string {
	code = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// RedeemLinkCode links the platform account userID to the technician code
// was made for, once: the code is used up first, so two accounts sending
// it at once cannot both be linked.
func RedeemLinkCode(ctx context.Context, codes LinkCodes, dir Directory, eng *core.Engine, platform, userID, code string) (core.Technician, error) {
	bad := core.Errorf(core.CodeNotFound, "this link code is not valid (any more); ask an admin for a new one: relaydesk admin %s link-code --tech <e-mail>", platform)
	id, err := codes.UseLinkCode(ctx, platform, linkHash(code), time.Now())
	if core.ErrorCode(err) == core.CodeNotFound {
		return core.Technician{}, bad
	} else if err != nil {
		return core.Technician{}, err
	}
	t, err := dir.Technician(ctx, id)
	if core.ErrorCode(err) == core.CodeNotFound {
		return t, bad
	} else if err != nil {
		return t, err
	}
	err = eng.LinkIdentity(ctx, core.TechnicianActor(t.ID), core.Identity{Platform: platform, ExternalID: userID,
		Subject: core.ActorTechnician, SubjectID: t.ID})
	return t, err
}

// LinkedTechnician is the relaydesk technician a platform account is linked
// to; false when it is linked to none.
func LinkedTechnician(ctx context.Context, q Directory, platform, userID string) (core.Technician, bool, error) {
	id, err := q.Identity(ctx, platform, userID)
	if core.ErrorCode(err) == core.CodeNotFound || (err == nil && id.Subject != core.ActorTechnician) {
		return core.Technician{}, false, nil
	} else if err != nil {
		return core.Technician{}, false, err
	}
	t, err := q.Technician(ctx, id.SubjectID)
	if core.ErrorCode(err) == core.CodeNotFound {
		return t, false, nil
	}
	return t, err == nil, err
}
