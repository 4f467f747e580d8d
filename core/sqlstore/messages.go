// Messages and the files they carry.

package sqlstore

import (
	"context"

	"github.com/relaydesk/relaydesk/core"
)

type messageRow struct {
	ID              string `db:"id"`
	RequestID       string `db:"request_id"`
	RSeq            int64  `db:"rseq"`
	AuthorKind      string `db:"author_kind"`
	AuthorID        string `db:"author_id"`
	AuthorName      string `db:"author_name"`
	Audience        string `db:"audience"`
	Body            string `db:"body"`
	FileID          string `db:"file_id"`
	CreatedAt       int64  `db:"created_at"`
	Version         int64  `db:"version"`
	EditedAt        int64  `db:"edited_at"`
	WithdrawnAt     int64  `db:"withdrawn_at"`
	WithdrawnByKind string `db:"withdrawn_by_kind"`
	WithdrawnByID   string `db:"withdrawn_by_id"`
}

const messageCols = `id, request_id, rseq, author_kind, author_id, author_name, audience, body, file_id, created_at,
	version, edited_at, withdrawn_at, withdrawn_by_kind, withdrawn_by_id`

func (r messageRow) core() core.Message {
	return core.Message{ID: r.ID, RequestID: r.RequestID, RSeq: r.RSeq, AuthorKind: core.ActorKind(r.AuthorKind),
		AuthorID: r.AuthorID, AuthorName: r.AuthorName, Audience: core.Audience(r.Audience), Body: r.Body,
		FileID: r.FileID, CreatedAt: fromUS(r.CreatedAt), Version: r.Version, EditedAt: fromUS(r.EditedAt),
		WithdrawnAt: fromUS(r.WithdrawnAt), WithdrawnBy: core.Actor{Kind: core.ActorKind(r.WithdrawnByKind), ID: r.WithdrawnByID}}
}

func (q queries) Messages(ctx context.Context, requestID string) ([]core.Message, error) {
	var rows []messageRow
	if err := q.sel(ctx, &rows, "messages", `SELECT `+messageCols+` FROM messages WHERE request_id = ? ORDER BY rseq`, requestID); err != nil {
		return nil, err
	}
	out := make([]core.Message, len(rows))
	for i, r := range rows {
		out[i] = r.core()
	}
	return out, nil
}

func (q queries) Message(ctx context.Context, id string) (core.Message, error) {
	var r messageRow
	err := q.get(ctx, &r, "message", `SELECT `+messageCols+` FROM messages WHERE id = ?`, id)
	return r.core(), err
}

// InsertMessage stores a new message. Its version is 1 whatever m says:
// a message starts with its original text, not edited, not withdrawn.
func (t *txn) InsertMessage(ctx context.Context, m core.Message) error {
	_, err := t.exec(ctx, "store message", `INSERT INTO messages (id, request_id, rseq, author_kind, author_id, author_name,
		audience, body, file_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.RequestID, m.RSeq, m.AuthorKind, m.AuthorID, m.AuthorName, m.Audience, m.Body, m.FileID, us(m.CreatedAt))
	return err
}

func (t *txn) UpdateMessage(ctx context.Context, m core.Message, prev int64) error {
	n, err := t.exec(ctx, "update message", `UPDATE messages SET body = ?, version = ?, edited_at = ?, withdrawn_at = ?,
		withdrawn_by_kind = ?, withdrawn_by_id = ? WHERE id = ? AND version = ? AND withdrawn_at = 0`,
		m.Body, m.Version, us(m.EditedAt), us(m.WithdrawnAt), m.WithdrawnBy.Kind, m.WithdrawnBy.ID, m.ID, prev)
	if err != nil {
		return err
	}
	if n != 1 {
		return core.ErrStale
	}
	return nil
}

type versionRow struct {
	MessageID  string `db:"message_id"`
	Version    int64  `db:"version"`
	Body       string `db:"body"`
	EditedAt   int64  `db:"edited_at"`
	EditorKind string `db:"editor_kind"`
	EditorID   string `db:"editor_id"`
}

const versionCols = `message_id, version, body, edited_at, editor_kind, editor_id`

func (q queries) MessageVersions(ctx context.Context, messageID string) ([]core.MessageVersion, error) {
	var rows []versionRow
	if err := q.sel(ctx, &rows, "message versions", `SELECT `+versionCols+` FROM message_versions WHERE message_id = ?
		ORDER BY version`, messageID); err != nil {
		return nil, err
	}
	out := make([]core.MessageVersion, len(rows))
	for i, r := range rows {
		out[i] = core.MessageVersion{MessageID: r.MessageID, Version: r.Version, Body: r.Body, EditedAt: fromUS(r.EditedAt),
			Editor: core.Actor{Kind: core.ActorKind(r.EditorKind), ID: r.EditorID}}
	}
	return out, nil
}

func (t *txn) InsertMessageVersion(ctx context.Context, v core.MessageVersion) error {
	_, err := t.exec(ctx, "keep message version", `INSERT INTO message_versions (`+versionCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		v.MessageID, v.Version, v.Body, us(v.EditedAt), v.Editor.Kind, v.Editor.ID)
	return err
}

type fileRow struct {
	ID           string `db:"id"`
	RequestID    string `db:"request_id"`
	Name         string `db:"name"`
	ContentType  string `db:"content_type"`
	Size         int64  `db:"size"`
	SHA256       string `db:"sha256"`
	UploaderKind string `db:"uploader_kind"`
	UploaderID   string `db:"uploader_id"`
	CreatedAt    int64  `db:"created_at"`
}

const fileCols = `id, request_id, name, content_type, size, sha256, uploader_kind, uploader_id, created_at`

func (r fileRow) core() core.File {
	return core.File{ID: r.ID, RequestID: r.RequestID, Name: r.Name, ContentType: r.ContentType, Size: r.Size,
		SHA256: r.SHA256, UploaderKind: core.ActorKind(r.UploaderKind), UploaderID: r.UploaderID, CreatedAt: fromUS(r.CreatedAt)}
}

func (q queries) File(ctx context.Context, id string) (core.File, error) {
	var r fileRow
	err := q.get(ctx, &r, "file", `SELECT `+fileCols+` FROM files WHERE id = ?`, id)
	return r.core(), err
}

func (t *txn) InsertFile(ctx context.Context, f core.File) error {
	_, err := t.exec(ctx, "store file", `INSERT INTO files (`+fileCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.RequestID, f.Name, f.ContentType, f.Size, f.SHA256, f.UploaderKind, f.UploaderID, us(f.CreatedAt))
	return err
}
