// Platform accounts linked to customers and technicians alike, hence a file of their own.

package sqlstore

import (
	"context"

	"github.com/relaydesk/relaydesk/core"
)

func (q queries) Identity(ctx context.Context, platform, externalID string) (core.Identity, error) {
	var r struct {
		Platform   string `db:"platform"`
		ExternalID string `db:"external_id"`
		Kind       string `db:"subject_kind"`
		SubjectID  string `db:"subject_id"`
	}
	err := q.get(ctx, &r, "linked account", `SELECT platform, external_id, subject_kind, subject_id FROM identities
		WHERE platform = ? AND external_id = ?`, platform, externalID)
	return core.Identity{Platform: r.Platform, ExternalID: r.ExternalID, Subject: core.ActorKind(r.Kind), SubjectID: r.SubjectID}, err
}

// IdentityOf finds the account on platform linked to a customer or a
// technician (the identities_subject index of migration 0004).
func (q queries) IdentityOf(ctx context.Context, platform, subjectID string) (core.Identity, error) {
	var r struct {
		Platform   string `db:"platform"`
		ExternalID string `db:"external_id"`
		Kind       string `db:"subject_kind"`
		SubjectID  string `db:"subject_id"`
	}
	err := q.get(ctx, &r, "linked account", `SELECT platform, external_id, subject_kind, subject_id FROM identities
		WHERE subject_id = ? AND platform = ? ORDER BY external_id LIMIT 1`, subjectID, platform)
	return core.Identity{Platform: r.Platform, ExternalID: r.ExternalID, Subject: core.ActorKind(r.Kind), SubjectID: r.SubjectID}, err
}

func (t *txn) LinkIdentity(ctx context.Context, id core.Identity) error {
	_, err := t.exec(ctx, "link account", `INSERT INTO identities (platform, external_id, subject_kind, subject_id)
		VALUES (?, ?, ?, ?) ON CONFLICT (platform, external_id) DO UPDATE SET subject_kind = excluded.subject_kind,
		subject_id = excluded.subject_id`, id.Platform, id.ExternalID, id.Subject, id.SubjectID)
	return err
}
