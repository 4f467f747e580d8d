package console

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/markup"
	"github.com/relaydesk/relaydesk/web/jsonapi"
	"github.com/relaydesk/relaydesk/web/slowbody"
)

// meJSON is the signed-in technician.
type meJSON struct {
	ID           string            `json:"id"`
	Email        string            `json:"email"`
	Name         string            `json:"name"`
	Role         core.Role         `json:"role"`
	Availability core.Availability `json:"availability"`
	Position     string            `json:"position,omitempty"`
}

func toMe(t core.Technician) meJSON {
	return meJSON{ID: t.ID, Email: t.Email, Name: t.Name, Role: t.Role, Availability: t.Availability}
}

// me answers who is signed in, and where the live feed stands now.
func (h *Handler) me(w http.ResponseWriter, r *http.Request, v *visitor) {
	pos, err := h.eng.LogEnd(r.Context())
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	out := toMe(v.tech)
	out.Position = pos.String()
	jsonapi.Write(w, http.StatusOK, out)
}

func (h *Handler) setAvailability(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		Availability core.Availability `json:"availability"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	t, err := h.eng.SetAvailability(r.Context(), v.actor, in.Availability)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, toMe(t))
}

// queueJSON is one page of a list. Position is the log's end taken before
// the page was read: following the feed from there misses nothing.
type queueJSON struct {
	Requests []rowJSON `json:"requests"`
	NextPage string    `json:"next_page,omitempty"`
	Position string    `json:"position"`
}

// queue answers GET /console/api/requests?view=&sort=&desc=&after=&limit=.
func (h *Handler) queue(w http.ResponseWriter, r *http.Request, v *visitor) {
	q := r.URL.Query()
	req := core.QueueRequest{View: core.View(q.Get("view")), Sort: core.SortColumn(q.Get("sort")), After: q.Get("after")}
	switch q.Get("desc") {
	case "", "0", "false":
	case "1", "true":
		req.Desc = true
	default:
		jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "desc must be true or false")
		return
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "limit must be a number from 1 to 200")
			return
		}
		req.Limit = n
	}
	pos, err := h.eng.LogEnd(r.Context())
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	page, err := h.eng.Queue(r.Context(), v.actor, req)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	out := queueJSON{Requests: make([]rowJSON, 0, len(page.Rows)), NextPage: page.NextPage, Position: pos.String()}
	for _, row := range page.Rows {
		out.Requests = append(out.Requests, toRowJSON(row))
	}
	jsonapi.Write(w, http.StatusOK, out)
}

// request answers the Details panel of one request.
func (h *Handler) request(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := h.detail(r.Context(), v, r.PathValue("id"))
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, d)
}

// markRead answers POST /console/api/requests/{id}/read {"rseq": N}: the
// page showed the signed-in technician the request's lines up to N. The
// answer is the mark now stored, which never goes back.
func (h *Handler) markRead(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		RSeq *int64 `json:"rseq"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	if in.RSeq == nil {
		jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "send the rseq of the last line shown: {\"rseq\": N}")
		return
	}
	mark, err := h.eng.MarkRead(r.Context(), v.actor, r.PathValue("id"), *in.RSeq)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, map[string]int64{"read_rseq": mark})
}

// actionBody is what an action may carry: a closing note, a technician.
type actionBody struct {
	Note       string `json:"note"`
	Technician string `json:"technician"`
}

// action applies one of the Details panel's actions and answers the
// request's new Details.
func (h *Handler) action(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in actionBody
	if err := decodeOptional(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	ctx, id := r.Context(), r.PathValue("id")
	act, err := core.ParseAction(r.PathValue("action"))
	if err == nil {
		_, err = h.eng.Act(ctx, v.actor, id, act, core.ActionArgs{Note: strings.TrimSpace(in.Note), Technician: in.Technician})
	}
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	h.request(w, r, v)
}

// decodeOptional decodes a JSON body if there is one: actions without
// arguments may be posted empty.
func decodeOptional(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	return jsonapi.Decode(w, r, dst)
}

// idempotency is the request's Idempotency-Key, scoped to the technician:
// a retried send is stored once.
func idempotency(r *http.Request, v *visitor) (core.Idempotency, error) {
	return jsonapi.IdempotencyKey(r, "console:"+v.tech.ID)
}

// messageJSON is a message just stored.
type messageJSON struct {
	ID   string    `json:"id"`
	RSeq int64     `json:"rseq"`
	Note bool      `json:"note"`
	To   string    `json:"to,omitempty"`
	Body string    `json:"body"`
	File *fileJSON `json:"file,omitempty"`
	At   time.Time `json:"at"`
	// Doc is Body parsed (core/markup); a file has none.
	Doc markup.Doc `json:"doc,omitempty"`
	marks
}

func toMessageJSON(m core.Message) messageJSON {
	out := messageJSON{ID: m.ID, RSeq: m.RSeq, Note: m.Audience == core.AudienceTechnicians, Body: m.Body, At: m.CreatedAt,
		marks: marksOf(m)}
	if m.Audience != core.AudienceAll && m.Audience != core.AudienceTechnicians {
		out.To = string(m.Audience)
	}
	if m.FileID == "" {
		out.Doc = markup.Parse(m.Body)
	}
	return out
}

// postMessage sends a chat message ({body, to}) or adds a private note
// ({body, note: true}).
func (h *Handler) postMessage(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		Body string `json:"body"`
		To   string `json:"to"`
		Note bool   `json:"note"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	key, err := idempotency(r, v)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	var m core.Message
	switch {
	case in.Note && in.To != "":
		err = core.Errorf(core.CodeInvalid, "a private note is for technicians only; it cannot be addressed to a customer")
	case in.Note:
		m, err = h.eng.AddNote(r.Context(), v.actor, r.PathValue("id"), core.Note{Body: in.Body, Key: key})
	default:
		m, err = h.eng.PostMessage(r.Context(), v.actor, r.PathValue("id"), core.Post{Body: in.Body, To: in.To, Key: key})
	}
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusCreated, toMessageJSON(m))
}

// maxUpload bounds an upload's whole body: the engine enforces each
// company's own, smaller limit on the file's bytes.
const maxUpload = 2<<30 + 1<<20

// upload stores a file sent as multipart/form-data, streamed: optional
// fields "to" and "size" first, then the part "file".
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, v *visitor) {
	key, err := idempotency(r, v)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	slowbody.Upload(r) // a minimum rate, not the few seconds of small bodies
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "send the file as multipart/form-data with a part named file")
		return
	}
	var to string
	var size int64
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "the upload has no part named file")
			return
		} else if err != nil {
			jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "the upload is not valid multipart/form-data")
			return
		}
		switch part.FormName() {
		case "to", "size":
			b, err := io.ReadAll(io.LimitReader(part, 200))
			if err != nil {
				jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "the upload was interrupted")
				return
			}
			if part.FormName() == "to" {
				to = strings.TrimSpace(string(b))
			} else if size, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil || size < 0 {
				jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "size must be the file's size in bytes")
				return
			}
		case "file":
			if part.FileName() == "" {
				jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "the file part has no file name")
				return
			}
			m, f, err := h.eng.AttachFile(r.Context(), v.actor, r.PathValue("id"),
				core.Upload{Name: part.FileName(), Body: part, Size: size, To: to, Key: key})
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					err = core.Errorf(core.CodeTooLarge, "the upload is larger than relaydesk accepts")
				}
				jsonapi.Fail(w, r, h.log, err)
				return
			}
			out := toMessageJSON(m)
			out.File = &fileJSON{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size,
				URL: "/console/api/files/" + f.ID, Image: isImage(f.ContentType)}
			jsonapi.Write(w, http.StatusCreated, out)
			return
		default:
			jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "unknown upload field "+strconv.Quote(part.FormName()))
			return
		}
	}
}

// download serves a file to a technician who may see it: images inline,
// everything else as an attachment, never sniffed, never run.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, v *visitor) {
	f, rc, err := h.eng.OpenFile(r.Context(), v.actor, r.PathValue("id"))
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	defer rc.Close()
	disp := "attachment"
	if isImage(f.ContentType) {
		disp = "inline"
	}
	cd := mime.FormatMediaType(disp, map[string]string{"filename": f.Name})
	if cd == "" {
		cd = disp
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType)
	hd.Set("Content-Disposition", cd)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; sandbox")
	hd.Set("Cache-Control", "private, max-age=300")
	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", f.CreatedAt, rs)
		return
	}
	hd.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	io.Copy(w, rc)
}

// personOf is a technician as the pickers show them.
type colleagueJSON struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Email        string            `json:"email"`
	Availability core.Availability `json:"availability"`
}

// colleagues lists who a request can be transferred to or shared with.
func (h *Handler) colleagues(w http.ResponseWriter, r *http.Request, v *visitor) {
	id := r.URL.Query().Get("request")
	if id == "" {
		jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "name the request: ?request=ID")
		return
	}
	ts, err := h.eng.Colleagues(r.Context(), v.actor, id)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	out := make([]colleagueJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, colleagueJSON{ID: t.ID, Name: t.Name, Email: t.Email, Availability: t.Availability})
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"technicians": out})
}

// companyJSON is a company as a technician sees it.
type companyJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// companies lists the companies the technician serves, for the
// invite-customer and queue pickers. Archived companies take no new
// requests, so they are left out; their requests still show in the queues.
func (h *Handler) companies(w http.ResponseWriter, r *http.Request, v *visitor) {
	cs, err := h.eng.Companies(r.Context(), v.actor)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	out := make([]companyJSON, 0, len(cs))
	for _, c := range cs {
		if c.Archived() {
			continue
		}
		out = append(out, companyJSON{ID: c.ID, Name: c.Name, Slug: c.Slug})
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"companies": out})
}

// inviteCustomer starts a session from the technician's side and answers
// the link to give the customer. The code is shown this once.
func (h *Handler) inviteCustomer(w http.ResponseWriter, r *http.Request, v *visitor) {
	var in struct {
		Company string `json:"company"`
		Subject string `json:"subject"`
	}
	if err := jsonapi.Decode(w, r, &in); err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	if in.Company == "" {
		jsonapi.Problem(w, http.StatusBadRequest, string(core.CodeInvalid), "choose a company")
		return
	}
	inv, err := h.eng.InviteCustomer(r.Context(), v.actor, in.Company, in.Subject)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	jsonapi.Write(w, http.StatusCreated, map[string]any{
		"request": toRequestJSON(inv.Request),
		"code":    inv.Code,
		"link":    h.base(r) + "/widget/join?code=" + url.QueryEscape(inv.Code),
	})
}
