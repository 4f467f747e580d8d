package discord

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots/techchat"
)

// Files go both ways through a card's thread. A file of the chat (a
// customer's, or one a technician sent from the console) is uploaded into
// the thread as an attachment (platform.UploadFile), named as its sender;
// a file larger than Discord's upload limit, or one Discord refuses for
// good, is posted as a link to the file in the console instead. A file a
// technician attaches in the thread is downloaded at once (Discord's
// attachment links expire) and given to the engine, which checks it
// against the company's allowlist and size limit and stores it; it then
// follows the thread's rule, relayed to the customer or kept as a private
// note. A refused file is explained in a reply, and nothing is relayed.

// UploadLimit is the largest file a bot may upload to a channel without
// the server's boosts (Discord's default since 2024).
const UploadLimit = 10 << 20

// attachments are the files of thread message m, for techchat.
func (a *Adapter) attachments(ctx context.Context, m *discordgo.Message) []techchat.Attachment {
	var out []techchat.Attachment
	for _, at := range m.Attachments {
		out = append(out, techchat.Attachment{Name: at.Filename, Size: int64(at.Size), Key: a.chat.Key("file", at.ID),
			Body: &download{ctx: ctx, client: a.http, url: at.URL}})
	}
	return out
}

// download is an attachment's bytes, fetched only when first read.
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

// Close ends the download and reports whether it failed.
func (d *download) Close() error {
	if d.body != nil {
		d.body.Close()
	}
	return d.err
}
