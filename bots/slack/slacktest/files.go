package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

const (
	uploadPath = "/upload/" // where files.getUploadURLExternal sends the bytes: the API's host, as slack-go requires
	filesPath  = "/files/"  // url_private_download of the files AddFile shares
)

type fileState struct {
	seq    int
	shared map[string][]byte // AddFile's files by ID
}

func (s *Server) fileID() string {
	s.files.seq++
	return fmt.Sprintf("F%08d", s.files.seq)
}

// remember keeps a posted message for conversations.history; s.mu is held.
func (s *Server) remember(fields map[string]string, ts string) {
	m := map[string]any{"type": "message", "ts": ts, "text": fields["text"], "bot_id": "BBOT", "user": "UBOT"}
	if t := fields["thread_ts"]; t != "" {
		m["thread_ts"] = t
	}
	if md := fields["metadata"]; md != "" {
		var v map[string]any
		if json.Unmarshal([]byte(md), &v) == nil {
			m["metadata"] = v
		}
	}
	s.msgs[fields["channel"]] = append(s.msgs[fields["channel"]], m)
}

// history is a channel's top-level messages, newest first; s.mu is held.
func (s *Server) history(channel string, metadata bool) []map[string]any {
	var out []map[string]any
	for _, m := range slices.Backward(s.msgs[channel]) {
		if _, reply := m["thread_ts"]; reply {
			continue
		}
		c := map[string]any{}
		for k, v := range m {
			if k != "metadata" || metadata {
				c[k] = v
			}
		}
		out = append(out, c)
	}
	return out
}

// serveUpload is the second step of Slack's upload: the bytes, as the
// multipart field "file", with the bot token as Bearer. It is recorded as
// the call "upload" with the fields file_id, filename and content.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	c := Call{Method: "upload", Fields: map[string]string{"file_id": r.PathValue("id")}}
	f, h, err := r.FormFile("file")
	if err == nil {
		b, _ := io.ReadAll(f)
		c.Fields["filename"], c.Fields["content"] = h.Filename, string(b)
	}
	s.mu.Lock()
	var fail *Failure
	if q := s.fail["upload"]; len(q) > 0 {
		fail, s.fail["upload"] = &q[0], q[1:]
	}
	c.Failed = fail != nil || err != nil || r.Header.Get("Authorization") != "Bearer "+s.token
	c.At = s.now()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	switch {
	case fail != nil && fail.Status != 0:
		w.WriteHeader(fail.Status)
	case c.Failed:
		w.WriteHeader(http.StatusBadRequest)
	default:
		io.WriteString(w, "OK - "+strings.ToUpper(c.Fields["file_id"]))
	}
}

// AddFile makes a file as Slack shares it in a message: the value is the
// message event's files[] entry, whose url_private_download the fake
// serves (to the bot token only) on its own host.
func (s *Server) AddFile(name string, content []byte) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.fileID()
	if s.files.shared == nil {
		s.files.shared = map[string][]byte{}
	}
	s.files.shared[id] = content
	u := s.srv.URL + filesPath + id + "/" + url.PathEscape(name)
	return map[string]any{"id": id, "name": name, "title": name, "mimetype": "application/octet-stream", "filetype": "binary",
		"size": len(content), "mode": "hosted", "url_private": u, "url_private_download": u + "?download=1"}
}

// serveDownload serves AddFile's files, recorded as the call "download"
// with the field file_id.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	b, ok := s.files.shared[id]
	authed := r.Header.Get("Authorization") == "Bearer "+s.token
	s.calls = append(s.calls, Call{Method: "download", Fields: map[string]string{"file_id": id}, Failed: !ok || !authed, At: s.now()})
	s.mu.Unlock()
	switch {
	case !authed:
		http.Error(w, "not authorised", http.StatusForbidden)
	case !ok:
		http.NotFound(w, r)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
	}
}
