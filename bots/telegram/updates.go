package telegram

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/core"
)

// allowedUpdates are the update types the bot asks Telegram for.
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateEditedMessage}

// maxAttempts bounds how often one update is tried (backing off up to a
// minute, about four minutes in all: a database restart is waited out)
// before the customer is told to send it again: a broken update must not
// stop the bot for good.
const maxAttempts = 12

func (a *Adapter) offsetKey() string { return "telegram:" + a.botID + ":offset" }

// poll fetches and processes updates, one at a time and in order, until ctx
// ends. It runs while this process leads.
func (a *Adapter) poll(ctx context.Context) error {
	// getUpdates answers 409 while a webhook is set: switch it off, keeping
	// the updates it holds.
	a.retry(ctx, "remove the webhook", func(ctx context.Context) error {
		_, err := a.bot.DeleteWebhook(ctx, &bot.DeleteWebhookParams{})
		return err
	})
	var offset int64
	a.retry(ctx, "read the saved update offset", func(ctx context.Context) error {
		v, err := a.cfg.State.BotState(ctx, a.offsetKey())
		if core.ErrorCode(err) == core.CodeNotFound {
			return nil
		} else if err != nil {
			return err
		}
		offset, err = strconv.ParseInt(v, 10, 64)
		return err
	})
	a.log.Info("telegram: polling for updates", "after_update", offset)
	wait := time.Duration(0)
	warned := false
	for ctx.Err() == nil {
		start := time.Now()
		ups, err := a.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			wait = min(max(wait*2, 500*time.Millisecond), time.Minute)
			d := wait
			if ra, ok := retryAfter(err); ok {
				d = ra
			}
			a.cfg.Health.Failing(err)
			a.log.Warn("telegram: getUpdates failed; retrying", "in", d, "err", err)
			sleep(ctx, d)
			continue
		}
		wait = 0
		a.cfg.Health.OK()
		if len(ups) == 0 {
			// An empty answer sooner than MinPollInterval: the server does
			// not hold the call for the poll timeout as Telegram does.
			if d := a.cfg.MinPollInterval - time.Since(start); d > 0 {
				if !warned {
					a.log.Warn("telegram: the Bot API server answers getUpdates at once instead of waiting for updates; asking it at most once per interval",
						"interval", a.cfg.MinPollInterval, "poll_timeout", a.cfg.PollTimeout)
					warned = true
				}
				sleep(ctx, d)
			}
			continue
		}
		for _, u := range ups {
			if u.ID <= offset {
				continue // processed before: Telegram sent it again
			}
			if !a.process(ctx, u) {
				return nil
			}
			offset = u.ID
			a.saveOffset(ctx, offset)
		}
	}
	return nil
}

// saveOffset records the last processed update, even while shutting down:
// the update was handled, so the next process must not start before it.
func (a *Adapter) saveOffset(ctx context.Context, id int64) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.cfg.State.SetBotState(sctx, a.offsetKey(), strconv.FormatInt(id, 10)); err != nil {
		// The next getUpdates confirms the update to Telegram all the same;
		// after a restart it may come again, which changes nothing.
		a.log.Warn("telegram: cannot save the update offset", "update", id, "err", err)
	}
}

// process handles one update, retrying what failed on our side. It
// returns false when ctx ended before the update was done with.
func (a *Adapter) process(ctx context.Context, u *models.Update) bool {
	wait := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := a.handle(ctx, u)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if attempt == maxAttempts {
			a.log.Error("telegram: giving up on an update", "update", u.ID, "attempts", attempt, "err", err)
			if in, ok := Parse(u); ok {
				a.reply(ctx, in, "failed") // best effort: the customer at least knows
			}
			return true
		}
		d := wait
		if ra, ok := retryAfter(err); ok {
			d = ra
		} else {
			wait = min(wait*2, time.Minute)
		}
		a.log.Warn("telegram: cannot process an update; retrying", "update", u.ID, "in", d, "err", err)
		if !sleep(ctx, d) {
			return false
		}
	}
}

// serveWebhook receives one update from Telegram. The secret is checked
// before anything else; the update is handled before the answer, so that a
// failure (500) makes Telegram deliver it again.
func (a *Adapter) serveWebhook(w http.ResponseWriter, r *http.Request) {
	got := sha256.Sum256([]byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token")))
	want := sha256.Sum256([]byte(a.cfg.WebhookSecret))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		http.Error(w, "wrong or missing X-Telegram-Bot-Api-Secret-Token", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the update", http.StatusBadRequest)
		return
	}
	var u models.Update
	if err := json.Unmarshal(body, &u); err != nil || u.ID == 0 {
		http.Error(w, "the body is not a Telegram update", http.StatusBadRequest)
		return
	}
	a.hookMu.Lock()
	defer a.hookMu.Unlock()
	if err := a.handle(r.Context(), &u); err != nil {
		a.log.Warn("telegram: cannot process a webhook update; Telegram will send it again", "update", u.ID, "err", err)
		http.Error(w, "the update could not be processed; send it again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// apiResponse is the Bot API's answer envelope.
type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// getUpdates asks for the updates after offset, waiting up to the poll
// timeout for new ones. The library has no exported call for it (its Start
// loop keeps its own offset), so it is made here in the same wire format:
// a multipart POST to /bot<token>/getUpdates.
func (a *Adapter) getUpdates(ctx context.Context, offset int64) ([]*models.Update, error) {
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	if offset > 0 {
		form.WriteField("offset", strconv.FormatInt(offset+1, 10))
	}
	form.WriteField("timeout", strconv.Itoa(int(a.cfg.PollTimeout/time.Second)))
	allowed, _ := json.Marshal(allowedUpdates)
	form.WriteField("allowed_updates", string(allowed))
	form.Close()
	rctx, cancel := context.WithTimeout(ctx, a.cfg.PollTimeout+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, a.apiURL+"/bot"+a.cfg.Token+"/getUpdates", &body)
	if err != nil {
		return nil, a.redact(err)
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	res, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %w", a.redact(err))
	}
	defer res.Body.Close()
	var r apiResponse
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<20)).Decode(&r); err != nil {
		return nil, fmt.Errorf("getUpdates: HTTP %d with a body that is not a Bot API answer: %w", res.StatusCode, err)
	}
	if !r.OK {
		if r.ErrorCode == http.StatusTooManyRequests {
			return nil, &bot.TooManyRequestsError{Message: "getUpdates: " + r.Description, RetryAfter: r.Parameters.RetryAfter}
		}
		return nil, fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	var ups []*models.Update
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		return nil, fmt.Errorf("getUpdates: decode the updates: %w", err)
	}
	return ups, nil
}

// errTooBig is a file larger than the bot may fetch.
var errTooBig = errors.New("the file is larger than Telegram lets bots download")

// download fetches a file's bytes: getFile for its path, then
// /file/bot<token>/<path>. It fails with errTooBig beyond limit bytes.
func (a *Adapter) download(ctx context.Context, fileID string, limit int64) ([]byte, error) {
	f, err := a.bot.GetFile(ctx, &bot.GetFileParams{FileID: fileID})
	if err != nil {
		return nil, err
	}
	if f.FileSize > limit {
		return nil, errTooBig
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.bot.FileDownloadLink(f), nil)
	if err != nil {
		return nil, a.redact(err)
	}
	res, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download a file: %w", a.redact(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download a file: HTTP %d", res.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("download a file: %w", a.redact(err))
	}
	if int64(len(b)) > limit {
		return nil, errTooBig
	}
	return b, nil
}

// redact takes the bot token out of an error, which for net/http calls
// names the URL the token is part of.
func (a *Adapter) redact(err error) error {
	if err == nil || !strings.Contains(err.Error(), a.cfg.Token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), a.cfg.Token, "<token>"))
}

// retryAfter reports how long Telegram asked to wait, for a 429 answer.
func retryAfter(err error) (time.Duration, bool) {
	var tm *bot.TooManyRequestsError
	if errors.As(err, &tm) {
		return time.Duration(max(tm.RetryAfter, 1)) * time.Second, true
	}
	return 0, false
}
