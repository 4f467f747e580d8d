package sqlstore

import (
	"context"

	"github.com/relaydesk/relaydesk/core"
)

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

// LatestParticipation returns the customer participant of the request the
// customer joined last (the participants_subject index of migration 0004).
func (q queries) LatestParticipation(ctx context.Context, customerID string) (core.Participant, error) {
	var r participantRow
	err := q.get(ctx, &r, "participant", `SELECT `+participantCols+` FROM participants
		WHERE subject_id = ? AND role = 'customer' ORDER BY joined_at DESC, id DESC LIMIT 1`, customerID)
	return r.core(), err
}

// QueueChannel is the company's queue channel on the platform.
func (q queries) QueueChannel(ctx context.Context, platform, companyID string) (string, error) {
	var ch string
	err := q.get(ctx, &ch, "queue channel", `SELECT channel FROM platform_channels WHERE platform = ? AND company_id = ?`,
		platform, companyID)
	return ch, err
}

// ChannelCompany is the company whose queue the platform's channel is.
func (q queries) ChannelCompany(ctx context.Context, platform, channel string) (string, error) {
	var id string
	err := q.get(ctx, &id, "queue channel", `SELECT company_id FROM platform_channels WHERE platform = ? AND channel = ?`,
		platform, channel)
	return id, err
}
