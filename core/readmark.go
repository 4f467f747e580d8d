package core

import "context"

// MarkRead records that the technician was shown a request's lines up to
// rseq, for the unread counts of their lists and the "new messages" divider
// of its chat. A mark only moves forward: an older rseq (a page showing
// stale lines) leaves it where it is. rseq may not pass the request's last
// line. It answers the mark now stored. The technician needs the same
// access to the request as for reading it.
func (e *Engine) MarkRead(ctx context.Context, by Actor, requestID string, rseq int64) (int64, error) {
	if rseq < 0 {
		return 0, Errorf(CodeInvalid, "rseq must be a line's number, 0 or more")
	}
	var mark int64
	err := e.store.Update(ctx, func(tx Tx) error {
		t, r, err := readRequest(ctx, tx, by, requestID)
		if err != nil {
			return err
		}
		if rseq > r.Version {
			return Errorf(CodeInvalid, "request #%d has no line %d; its last is %d", r.Number, rseq, r.Version)
		}
		mark, err = tx.MarkRead(ctx, t.ID, r.ID, rseq)
		return err
	})
	return mark, err
}
