package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/core"
)

// Files go both ways through a card's thread. A file of the chat (a
// customer's, or one a technician sent from the console) is uploaded into
// the thread with Slack's three-step upload, named as its sender; if Slack
// refuses the upload for good, the thread gets a link to the file in the
// console instead. A file a technician shares in the thread is downloaded
// with the bot token and given to the engine, which checks it against the
// company's allowlist and size limit and stores it; it then follows the
// thread's rule, relayed to the customer or kept as a private note. A
// refused file is explained to the technician alone, and nothing is
// relayed.

// uploadFile puts the file of ev into the card's thread, with line as its
// comment. uploaded is false when Slack refused the upload for good (the
// caller posts the line, a console link, instead); an error is worth
// retrying.
func (a *Adapter) uploadFile(ctx context.Context, ev core.Event, c card, line string) (uploaded bool, err error) {
	f, rc, err := a.eng.DeliveryFile(ctx, ev)
	if core.ErrorCode(err) == core.CodeNotFound {
		return false, nil // gone: the link is all there is
	} else if err != nil {
		return false, err
	}
	defer rc.Close()
	if err := a.pace(ctx, "files.getUploadURLExternal", ""); err != nil {
		return false, err
	}
	if err := a.pace(ctx, "files.completeUploadExternal", c.Channel); err != nil {
		return false, err
	}
	_, err = a.api.UploadFileContext(ctx, slack.UploadFileParameters{Reader: rc, Filename: f.Name, FileSize: int(f.Size),
		Title: f.Name, InitialComment: line, Channel: c.Channel, ThreadTimestamp: c.TS})
	if err == nil {
		return true, nil
	}
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	switch {
	case errors.As(err, &rl):
		return false, err
	case errors.As(err, &se) && se.Err != "ratelimited" && se.Err != "internal_error" && se.Err != "fatal_error",
		errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusTooManyRequests:
		a.log.Warn("slack: Slack refused a file upload; posting a link instead", "err", err)
		return false, nil
	}
	return false, fmt.Errorf("upload %s: %w", f.ID, err)
}

// threadFiles takes the files a technician shared in a card's thread (the
// reply r) into the request: relayed to the customer, or stored as private
// notes when the thread's rule (or a note marker in the reply's text, or
// r's treatment) says so. Each file's Slack ID keys its engine action, so a
// retried event stores nothing twice.
func (a *Adapter) threadFiles(ctx context.Context, r reply, files []slack.File) error {
	reqID, ok, err := a.threadRequest(ctx, r.channel, r.threadTS)
	if err != nil || !ok {
		return err
	}
	t, ok, err := a.technician(ctx, r.user)
	if err != nil {
		return err
	}
	if !ok {
		a.tell(r.channel, r.user, r.threadTS, texts["unlinked"]+" Your file was not passed on.")
		return nil
	}
	by := core.TechnicianActor(t.ID)
	note := r.as == treatNote || hasNoteMarker(r.text)
	for _, f := range files {
		if f.ID == "" || f.Mode == "tombstone" || f.Mode == "external" {
			continue
		}
		dl := a.download(ctx, f)
		up := core.Upload{Name: f.Name, Body: dl, Size: int64(f.Size), Key: key("file", f.ID)}
		_, _, err = a.eng.AttachInThread(ctx, by, reqID, up, note)
		if derr := dl.close(); derr != nil {
			return fmt.Errorf("download Slack file %s: %w", f.ID, derr) // Slack delivers the event again
		}
		msg, err := refusal(err)
		if msg != "" {
			a.tell(r.channel, r.user, r.threadTS, fmt.Sprintf("The file %s was not passed on. %s", f.Name, msg))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func hasNoteMarker(text string) bool {
	text = strings.TrimSpace(text)
	for _, m := range noteMarkers {
		if strings.HasPrefix(text, m) {
			return true
		}
	}
	return false
}

// download is a Slack file's bytes, fetched with the bot token only when
// first read: the engine reads them only once the file's name and declared
// size passed the company's policy.
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

// close ends the download and reports whether it failed (a download the
// engine stopped reading early did not).
func (d *download) close() error {
	if d.r == nil {
		return nil
	}
	d.r.Close()
	d.res.once.Wait()
	return d.res.err
}
