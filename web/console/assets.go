package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/relaydesk/relaydesk/web/richtext"
	"github.com/relaydesk/relaydesk/web/rrweb"
	"github.com/relaydesk/relaydesk/web/rtcpeer"
)

// asset is one embedded file, with the ETag browsers revalidate it by.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

func loadAssets() map[string]asset {
	out := map[string]asset{}
	fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assetFS, p)
		if err != nil {
			return err
		}
		out[p[len("assets/"):]] = newAsset(p, b)
		return nil
	})
	// The widget serves the same renderer of message text.
	out["richtext.js"] = newAsset("richtext.js", richtext.Script)
	out["peer.js"] = newAsset("peer.js", rtcpeer.Script)
	// Co-browsing's replayer, compiled in (no CDN).
	out["rrweb.js"] = newAsset("rrweb.js", rrweb.Script)
	out["rrweb.css"] = newAsset("rrweb.css", rrweb.Style)
	return out
}

func newAsset(name string, b []byte) asset {
	sum := sha256.Sum256(b)
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	}
	return asset{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// assetURL is where a page links an asset; the version changes with the
// content, so a new release is never mixed with a cached old script.
func (h *Handler) assetURL(name string) string {
	a, ok := h.assets[name]
	if !ok {
		return "/console/assets/" + name
	}
	return "/console/assets/" + name + "?v=" + a.etag[1:9]
}

// asset serves an embedded file. Browsers revalidate them (no-cache with an
// ETag): the files are small and a stale module would break the page.
func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", a.etag)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
