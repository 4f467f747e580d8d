package console

import "net/http"

// replayPolicy is the Content-Security-Policy of the co-browsing replay
// document. It differs from the console's in two ways only: inline styles,
// because rrweb rebuilds the customer's page (its <style> elements and
// style attributes) in an iframe that takes this document's policy, and
// framing by the console itself. Scripts are 'self' alone, and images and
// fonts come from nowhere else: the rebuilt page can make the technician's
// browser fetch nothing from the customer's side.
const replayPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

// replayPage answers GET /console/cobrowse/replay: the empty document the
// console's co-browsing viewer frames and feeds (assets/replay.js). It
// holds no data, so it needs no session.
func (h *Handler) replayPage(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", replayPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Cache-Control", "no-cache")
	h.render(w, r, http.StatusOK, "replay", pageData{})
}
