package bots

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// LinkCodeTTL is how long a link code printed by `relaydesk admin <platform>
// link-code` stays valid.
const LinkCodeTTL = time.Hour

// NewLinkCode returns a one-time code that links the platform account that
// sends "/support link CODE" to technician techID within ttl. Only the
// code's hash is stored.
func NewLinkCode(ctx context.Context, st State, platform, techID string, ttl time.Duration) (string, error) {
	b := make([]byte, 10)
	rand.Read(b)
	code := strings.ToUpper(hex.EncodeToString(b))
	code = code[:5] + "-" + code[5:10] + "-" + code[10:15] + "-" + code[15:]
	exp := time.Now().Add(ttl).Unix()
	if err := st.SetBotState(ctx, linkName(platform, code), techID+" "+strconv.FormatInt(exp, 10)); err != nil {
		return "", fmt.Errorf("store the link code: %w", err)
	}
	return code, nil
}

func linkName(platform, code string) string {
	code = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))
	sum := sha256.Sum256([]byte(code))
	return platform + ":link:" + hex.EncodeToString(sum[:])
}

// RedeemLinkCode links the platform account userID to the technician code
// was made for, once.
func RedeemLinkCode(ctx context.Context, st State, dir Directory, eng *core.Engine, platform, userID, code string) (core.Technician, error) {
	bad := core.Errorf(core.CodeNotFound, "this link code is not valid (any more); ask an admin for a new one: relaydesk admin %s link-code --tech <e-mail>", platform)
	v, err := st.BotState(ctx, linkName(platform, code))
	if core.ErrorCode(err) == core.CodeNotFound {
		return core.Technician{}, bad
	} else if err != nil {
		return core.Technician{}, err
	}
	id, exp, _ := strings.Cut(v, " ")
	until, perr := strconv.ParseInt(exp, 10, 64)
	if perr != nil || time.Now().Unix() > until {
		return core.Technician{}, bad
	}
	t, err := dir.Technician(ctx, id)
	if core.ErrorCode(err) == core.CodeNotFound {
		return t, bad
	} else if err != nil {
		return t, err
	}
	if err := st.SetBotState(ctx, linkName(platform, code), "used"); err != nil {
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
