package widget

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/web/jsonapi"
	"github.com/relaydesk/relaydesk/web/slowbody"
)

// multipartSlack is what a multipart body may carry besides the file:
// boundaries, part headers, a small field or two.
const multipartSlack = 64 << 10

// upload answers POST /api/widget/files: one multipart/form-data field
// "file", streamed to the engine, which checks the type, the content and
// the size and stores it. Nothing is buffered whole in memory or on disk
// before those checks.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	cs, ok := h.customer(w, r)
	if !ok {
		return
	}
	by := cs.Actor
	ctx := r.Context()
	key, err := idempotency(r, by)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	c, err := h.customerCompany(r, by)
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	max := c.Policy().MaxBytes
	tooLarge := core.Errorf(core.CodeTooLarge, "the file is larger than this company's limit of %s", core.FormatBytes(max))
	if r.ContentLength > max+multipartSlack {
		jsonapi.Fail(w, r, h.log, tooLarge)
		return
	}
	slowbody.Upload(r) // a minimum rate, not the few seconds of small bodies
	body := &watchedBody{r: http.MaxBytesReader(w, r.Body, max+multipartSlack)}
	r.Body = body
	mr, err := r.MultipartReader()
	if err != nil {
		jsonapi.Fail(w, r, h.log, core.Errorf(core.CodeUnsupported, "send the file as multipart/form-data in a field named file"))
		return
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			switch {
			case body.overflow:
				err = tooLarge
			case errors.Is(err, io.EOF):
				err = core.Errorf(core.CodeInvalid, "the upload has no field named file")
			default:
				err = core.Errorf(core.CodeInvalid, "the upload is not valid multipart/form-data")
			}
			jsonapi.Fail(w, r, h.log, err)
			return
		}
		if part.FormName() != "file" {
			io.Copy(io.Discard, part) // bounded by MaxBytesReader
			part.Close()
			continue
		}
		m, f, err := h.eng.AttachFile(ctx, by, cs.RequestID, core.Upload{Name: fileName(part), Body: part, Key: key})
		part.Close()
		if body.overflow {
			err = tooLarge
		}
		if err != nil {
			jsonapi.Fail(w, r, h.log, err)
			return
		}
		jsonapi.Write(w, http.StatusCreated, uploaded{Message: viewMessage(m, &f, by.ID), File: *viewFile(f)})
		return
	}
}

type uploaded struct {
	Message messageView `json:"message"`
	File    fileView    `json:"file"`
}

// fileName is the name the browser gave; the engine cleans it.
func fileName(p *multipart.Part) string {
	if n := p.FileName(); n != "" {
		return n
	}
	return "file"
}

// customerCompany is the company of the customer's request, for its size
// limit. The customer was authenticated already; the engine checks the
// upload itself.
func (h *Handler) customerCompany(r *http.Request, by core.Actor) (core.Company, error) {
	ctx, st := r.Context(), h.store
	p, err := st.Participant(ctx, by.ID)
	if err != nil {
		return core.Company{}, err
	}
	req, err := st.Request(ctx, p.RequestID)
	if err != nil {
		return core.Company{}, err
	}
	return st.Company(ctx, req.CompanyID)
}

// watchedBody remembers that http.MaxBytesReader cut the body off: the
// engine reports a cut-off upload as interrupted, but the customer should
// hear that the file is too large.
type watchedBody struct {
	r        io.ReadCloser
	overflow bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		b.overflow = true
	}
	return n, err
}

func (b *watchedBody) Close() error { return b.r.Close() }

// download answers GET /api/widget/files/{id}: the bytes of a file in the
// customer's chat. Images open in the browser; everything else downloads.
// A file of another request is "not found", like one that does not exist.
func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	cs, ok := h.customer(w, r)
	if !ok {
		return
	}
	by := cs.Actor
	f, rc, err := h.eng.OpenFile(r.Context(), by, r.PathValue("id"))
	if err != nil {
		jsonapi.Fail(w, r, h.log, err)
		return
	}
	defer rc.Close()
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType)
	hd.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	hd.Set("Content-Disposition", disposition(isImage(f), f.Name))
	hd.Set("Cache-Control", "private, no-store")
	// Whatever the bytes are, they never run as a page of this origin.
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; sandbox")
	if _, err := io.Copy(w, rc); err != nil && r.Context().Err() == nil {
		h.log.WarnContext(r.Context(), "send file", "file", f.ID, "err", err)
	}
}

// disposition is an RFC 6266 Content-Disposition: an ASCII filename for old
// clients and the exact UTF-8 name in filename*.
func disposition(inline bool, name string) string {
	kind := "attachment"
	if inline {
		kind = "inline"
	}
	var ascii, ext strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			ascii.WriteByte('_')
		} else {
			ascii.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			ext.WriteByte(b)
		} else {
			ext.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(b)|0x100, 16)[1:]))
		}
	}
	return kind + `; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar is RFC 8187's attr-char: what filename* may carry unescaped.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
