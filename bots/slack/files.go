package slack

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/bots/techchat"
)

// Files go both ways through a card's thread. A file of the chat (a
// customer's, or one a technician sent from the console) is uploaded into
// the thread with Slack's three-step upload (platform.UploadFile), named
// as its sender; if Slack refuses the upload for good, the thread gets a
// link to the file in the console instead. A file a technician shares in
// the thread is downloaded with the bot token and given to the engine,
// which checks it against the company's allowlist and size limit and
// stores it; it then follows the thread's rule, relayed to the customer or
// kept as a private note. A refused file is explained to the technician
// alone, and nothing is relayed.

// attachments are the files of a thread reply, for techchat; tombstones
// and external files (links to other services) are not files to take.
func (a *Adapter) attachments(ctx context.Context, files []slack.File) []techchat.Attachment {
	var out []techchat.Attachment
	for _, f := range files {
		if f.ID == "" || f.Mode == "tombstone" || f.Mode == "external" {
			continue
		}
		out = append(out, techchat.Attachment{Name: f.Name, Size: int64(f.Size), Key: a.chat.Key("file", f.ID),
			Body: a.download(ctx, f)})
	}
	return out
}

// download is a Slack file's bytes, fetched with the bot token only when
// first read.
type download struct {
	start func() (*io.PipeReader, *downloadErr)
	r     *io.PipeReader
	res   *downloadErr
}

type downloadErr struct {
	once sync.WaitGroup
	err  error
}

func (a *Adapter) download(ctx context.Context, f slack.File) *download {
	u := f.URLPrivateDownload
	if u == "" {
		u = f.URLPrivate
	}
	return &download{start: func() (*io.PipeReader, *downloadErr) {
		pr, pw := io.Pipe()
		res := &downloadErr{}
		res.once.Add(1)
		go func() {
			defer res.once.Done()
			err := a.api.GetFileContext(ctx, u, pw)
			if !errors.Is(err, io.ErrClosedPipe) {
				res.err = err
			}
			pw.CloseWithError(err)
		}()
		return pr, res
	}}
}

func (d *download) Read(p []byte) (int, error) {
	if d.r == nil {
		d.r, d.res = d.start()
	}
	return d.r.Read(p)
}

// Close ends the download and reports whether it failed (a download the
// engine stopped reading early did not).
func (d *download) Close() error {
	if d.r == nil {
		return nil
	}
	d.r.Close()
	d.res.once.Wait()
	return d.res.err
}
