package discord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/core"
)

// Files go both ways through a card's thread. A file of the chat (a
// customer's, or one a technician sent from the console) is uploaded into
// the thread as an attachment, named as its sender; a file larger than
// Discord's upload limit, or one Discord refuses for good, is posted as a
// link to the file in the console instead. A file a technician attaches in
// the thread is downloaded at once (Discord's attachment links expire) and
// given to the engine, which checks it against the company's allowlist and
// size limit and stores it; it then follows the thread's rule, relayed to
// the customer or kept as a private note. A refused file is explained in a
// reply, and nothing is relayed.

// UploadLimit is the largest file a bot may upload to a channel without
// the server's boosts (Discord's default since 2024).
const UploadLimit = 10 << 20

// uploadFile puts the file of ev into the card's thread with comment.
// uploaded is false when the file cannot go to Discord (too large, gone,
// refused for good) and the caller posts the line, a console link,
// instead; an error is worth retrying.
func (a *Adapter) uploadFile(ctx context.Context, ev core.Event, c card, comment string) (uploaded bool, err error) {
	ref := ev.Data.File
	if ref.Size > UploadLimit {
		return false, nil
	}
	f, rc, err := a.eng.DeliveryFile(ctx, ev)
	if core.ErrorCode(err) == core.CodeNotFound {
		return false, nil // gone: the link is all there is
	} else if err != nil {
		return false, err
	}
	defer rc.Close()
	if err := a.pace(ctx, routePost, c.Thread); err != nil {
		return false, err
	}
	_, err = a.api.ChannelMessageSendComplex(c.Thread, &discordgo.MessageSend{Content: clip(comment, 2000),
		Files: []*discordgo.File{{Name: f.Name, ContentType: f.ContentType, Reader: rc}}, AllowedMentions: &discordgo.MessageAllowedMentions{}},
		discordgo.WithContext(ctx))
	var re *discordgo.RESTError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &re) && re.Response != nil && permanent(re):
		a.log.Warn("discord: Discord refused a file upload; posting a link instead", "err", err)
		return false, nil
	}
	return false, err
}

// attachments takes the files of thread message m into the request: relayed
// to the customer, or stored as private notes by the thread rule, or
// when note. Each attachment's
// ID keys its engine action, so a delivery handled twice stores nothing
// twice.
func (a *Adapter) attachments(ctx context.Context, by core.Actor, reqID string, m *discordgo.Message, note bool) error {
	for _, at := range m.Attachments {
		dl := &download{ctx: ctx, client: a.http, url: at.URL}
		up := core.Upload{Name: at.Filename, Body: dl, Size: int64(at.Size), Key: key("file", at.ID)}
		var err error
		_, _, err = a.eng.AttachInThread(ctx, by, reqID, up, note)
		dl.close()
		if dl.err != nil {
			return fmt.Errorf("download Discord attachment %s: %w", at.ID, dl.err)
		}
		msg, err := refusal(err)
		if msg != "" {
			a.tell(m.ChannelID, m.ID, fmt.Sprintf("The file %s was not passed on. %s", at.Filename, msg))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// download is an attachment's bytes, fetched only when first read: the
// engine reads them only once the file's name and declared size passed the
// company's policy.
type download struct {
	ctx    context.Context
	client *http.Client
	url    string
	body   io.ReadCloser
	err    error
}

func (d *download) Read(p []byte) (int, error) {
	if d.body == nil && d.err == nil {
		req, err := http.NewRequestWithContext(d.ctx, http.MethodGet, d.url, nil)
		if err != nil {
			d.err = err
			return 0, err
		}
		res, err := d.client.Do(req)
		if err != nil {
			d.err = err
			return 0, err
		}
		if res.StatusCode != http.StatusOK {
			res.Body.Close()
			d.err = fmt.Errorf("GET attachment: HTTP %d", res.StatusCode)
			return 0, d.err
		}
		d.body = res.Body
	}
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.body.Read(p)
	if err != nil && err != io.EOF {
		d.err = err
	}
	return n, err
}

func (d *download) close() {
	if d.body != nil {
		d.body.Close()
	}
}
