package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// consoleClient is a technician's browser talking to the console's API.
type consoleClient struct {
	t      *testing.T
	base   string
	origin string // the page's origin, PUBLIC_URL's: base unless behind a proxy
	c      *http.Client
	csrf   string
}

func signIn(t *testing.T, base, email, password string) *consoleClient {
	t.Helper()
	return signInVia(t, base, base, email, password)
}

// signInVia signs in at base as a browser on a page of origin would: a
// process behind a proxy whose PUBLIC_URL is origin.
func signInVia(t *testing.T, base, origin, email, password string) *consoleClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	cc := &consoleClient{t: t, base: base, origin: origin, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	code, body := cc.send("POST", "/console/login", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
	if code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", code, body)
	}
	_, page := cc.send("GET", "/console", "", nil)
	m := regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the console page has no CSRF token")
	}
	cc.csrf = m[1]
	return cc
}

func (cc *consoleClient) send(method, path, ctype string, body io.Reader) (int, string) {
	cc.t.Helper()
	req, err := http.NewRequest(method, cc.base+path, body)
	if err != nil {
		cc.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if method != "GET" {
		req.Header.Set("Origin", cc.origin)
		req.Header.Set("X-CSRF-Token", cc.csrf)
	}
	res, err := cc.c.Do(req)
	if err != nil {
		cc.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// api calls a JSON route and fails the test unless it answers want.
func (cc *consoleClient) api(method, path string, in any, want int) string {
	cc.t.Helper()
	var body io.Reader
	ctype := ""
	if in != nil {
		b, _ := json.Marshal(in)
		body, ctype = bytes.NewReader(b), "application/json"
	}
	code, out := cc.send(method, path, ctype, body)
	if code != want {
		cc.t.Fatalf("%s %s: %d, want %d: %s", method, path, code, want, out)
	}
	return out
}

// TestTelegramCustomerConsoleTechnician is the whole conversation between a
// customer on Telegram and a technician in the web console, through the
// real program: open, assign, join, chat both ways, files both ways, a
// private note that never reaches Telegram, end, close.
func TestTelegramCustomerConsoleTechnician(t *testing.T) {
	t.Parallel()
	const token = "987654321:AAH-console_test_token"
	tg := telegramtest.New(t, token)
	addr := freePort(t)
	base := "http://" + addr
	p := newProgram(t, backends()[0].url(t))
	p.env["HTTP_ADDR"] = addr
	p.env["PUBLIC_URL"] = base
	p.env["TELEGRAM_BOT_TOKEN"] = token
	p.env["TELEGRAM_API_URL"] = tg.URL
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"admin", "company", "create", "--name", "Acme", "--slug", "acme"}},
		{"alice-password-1\n", []string{"admin", "tech", "create", "--email", "alice@acme.test", "--name", "Alice", "--password-stdin"}},
		{"", []string{"admin", "access", "grant", "--tech", "alice@acme.test", "--company", "acme"}},
	} {
		if code, _, errs := p.run(c.stdin, c.args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", c.args, code, errs)
		}
	}
	p.serve()

	update := func(id int, message string) []byte {
		return []byte(fmt.Sprintf(`{"update_id": %d, "message": {"message_id": %d, "date": 1767225600,
			"from": {"id": 777001, "is_bot": false, "first_name": "Tess", "language_code": "en"},
			"chat": {"id": 777001, "first_name": "Tess", "type": "private"}, %s}}`, id, id, message))
	}
	tg.Push(t, update(1, `"text": "my printer is on fire"`))
	tg.Wait(t, "the customer told the request is open", func(calls []telegramtest.Call) bool {
		return hasText(calls, "#1001")
	})

	alice := signIn(t, base, "alice@acme.test", "alice-password-1")
	alice.api("POST", "/console/api/me/availability", map[string]string{"availability": "available"}, 200)
	var page struct {
		Requests []struct{ ID string } `json:"requests"`
	}
	if err := json.Unmarshal([]byte(alice.api("GET", "/console/api/requests?view=new", nil, 200)), &page); err != nil || len(page.Requests) != 1 {
		t.Fatalf("Alice's New view: %+v (%v)", page, err)
	}
	id := page.Requests[0].ID
	alice.api("POST", "/console/api/requests/"+id+"/assign", map[string]any{}, 200)
	alice.api("POST", "/console/api/requests/"+id+"/join", map[string]any{}, 200)
	alice.api("POST", "/console/api/requests/"+id+"/messages", map[string]any{"body": "Unplug it, please."}, 201)
	alice.api("POST", "/console/api/requests/"+id+"/messages", map[string]any{"body": "internal: probably the fuser", "note": true}, 201)
	tg.Wait(t, "the technician's reply", func(calls []telegramtest.Call) bool {
		return hasText(calls, "Alice joined the chat") && hasText(calls, "Unplug it, please.")
	})

	// The customer sends a photo; Alice sees it in the console.
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	tg.AddFile("photo-1", "photos/file_1.jpg", jpg.Bytes())
	tg.Push(t, update(2, `"photo": [{"file_id": "photo-1", "file_unique_id": "u1", "file_size": `+fmt.Sprint(jpg.Len())+`, "width": 16, "height": 16}]`))
	testwait.Eventually(t, "the customer's photo in the console", func() bool {
		return strings.Contains(alice.api("GET", "/console/api/requests/"+id, nil, 200), ".jpg")
	})

	// Alice sends a file; the customer receives it as a document.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "steps.txt")
	fw.Write([]byte("1. Unplug.\n2. Wait.\n"))
	mw.Close()
	if code, body := alice.send("POST", "/console/api/requests/"+id+"/files", mw.FormDataContentType(), &buf); code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	tg.Wait(t, "the technician's file", func(calls []telegramtest.Call) bool {
		for _, c := range calls {
			if c.Method == "sendDocument" && !c.Failed {
				for _, f := range c.Files {
					if string(f.Data) == "1. Unplug.\n2. Wait.\n" {
						return true
					}
				}
			}
		}
		return false
	})

	// Tess blocks the bot: Alice's next reply is marked as not delivered,
	// with the reason, beside the earlier reply marked as sent.
	tg.Block(777001)
	alice.api("POST", "/console/api/requests/"+id+"/messages", map[string]any{"body": "Are you still there?"}, 201)
	type delivery struct{ Destination, State, Reason string }
	stateOf := func(body string) (delivery, bool) {
		var d struct {
			Timeline []struct {
				Body       string     `json:"body"`
				Deliveries []delivery `json:"deliveries"`
			} `json:"timeline"`
		}
		if err := json.Unmarshal([]byte(alice.api("GET", "/console/api/requests/"+id, nil, 200)), &d); err != nil {
			t.Fatal(err)
		}
		for _, l := range d.Timeline {
			if l.Body == body && len(l.Deliveries) == 1 {
				return l.Deliveries[0], true
			}
		}
		return delivery{}, false
	}
	var failed delivery
	testwait.Until(t, "the reply to a blocked bot to be marked failed", func() error {
		d, ok := stateOf("Are you still there?")
		if !ok || d.State != "failed" {
			return fmt.Errorf("it is marked %+v", d)
		}
		failed = d
		return nil
	})
	if failed.Destination != "telegram" || !strings.Contains(failed.Reason, "Tess blocked the bot") {
		t.Fatalf("the undelivered reply is marked %+v", failed)
	}
	if d, ok := stateOf("Unplug it, please."); !ok || d.State != "sent" {
		t.Fatalf("the delivered reply is marked %+v", d)
	}
	tg.Unblock(777001)

	alice.api("POST", "/console/api/requests/"+id+"/end", map[string]any{}, 200)
	alice.api("POST", "/console/api/requests/"+id+"/close", map[string]any{"note": "fuser replaced"}, 200)
	calls := tg.Wait(t, "the end and close notices", func(calls []telegramtest.Call) bool {
		return hasText(calls, "ended") && hasText(calls, "closed")
	})
	for _, c := range calls {
		if strings.Contains(c.Fields["text"]+c.Fields["caption"], "fuser") {
			t.Fatalf("a private note or the closing note reached Telegram: %s %q", c.Method, c.Fields["text"])
		}
	}
}
