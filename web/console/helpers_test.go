package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web"
	"github.com/relaydesk/relaydesk/web/console"
)

// testPassword is every seeded technician's console password. Its hash is
// made at bcrypt's lowest cost, so signing in is quick in tests.
const testPassword = "correct horse battery"

var (
	hashOnce sync.Once
	testHash string
)

func passwordHash(tb testing.TB) string {
	hashOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
		if err != nil {
			tb.Fatal(err)
		}
		testHash = string(h)
	})
	return testHash
}

// clock is a settable time for session and rate-limit tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a console on a real engine and database, served over loopback.
type env struct {
	t     *testing.T
	store *sqlstore.Store
	d     *storetest.Desk // nil for an empty desk
	eng   *core.Engine
	srv   *httptest.Server
	clock *clock
	// console is the handler under test; its Run runs while the test does.
	console *console.Handler
}

type option func(*console.Config)

// newEnv serves a console over the Desk fixture; every technician's
// password is testPassword.
func newEnv(t *testing.T, newStore func(testing.TB) *sqlstore.Store, opts ...option) *env {
	t.Helper()
	s := newStore(t)
	d := storetest.NewDesk(t, s)
	for _, tech := range []core.Technician{d.Alice, d.Bob, d.Carol, d.Dave, d.Admin} {
		if err := d.Engine.SetPassword(context.Background(), core.SystemActor(), tech.ID, passwordHash(t)); err != nil {
			t.Fatal(err)
		}
	}
	return serve(t, s, d, d.Engine, opts...)
}

func serve(t *testing.T, s *sqlstore.Store, d *storetest.Desk, eng *core.Engine, opts ...option) *env {
	t.Helper()
	// The console runs behind the real server's middleware, as in serve.
	ws := web.New(web.Config{DB: s})
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	e := &env{t: t, store: s, d: d, eng: eng, srv: srv, clock: &clock{t: time.Now()}}
	cfg := console.Config{Engine: eng, Store: s, Hub: s.Hub(), PublicURL: srv.URL, Now: e.clock.Now}
	for _, o := range opts {
		o(&cfg)
	}
	e.console = console.New(cfg)
	e.console.Mount(ws.Mount)
	h = ws.Handler()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.console.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

func (e *env) snapshot() string { return storetest.Snapshot(e.t, e.store) }

// browser is one signed-in (or not) browser: a cookie jar, the page's CSRF
// token, and the Origin header a page of the console sends.
type browser struct {
	e      *env
	c      *http.Client
	csrf   string
	origin string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, origin: e.srv.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login signs tech in through the form and reads the CSRF token from the
// console page.
func (e *env) login(tech core.Technician) *browser {
	e.t.Helper()
	b := e.browser()
	res := b.form("/console/login", url.Values{"email": {tech.Email}, "password": {testPassword}})
	if res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/console" {
		e.t.Fatalf("login %s: %d %s", tech.Email, res.code, res.body)
	}
	b.loadCSRF()
	return b
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

func (b *browser) loadCSRF() {
	b.e.t.Helper()
	res := b.do("GET", "/console", nil, nil)
	m := csrfMeta.FindStringSubmatch(res.body)
	if res.code != 200 || m == nil {
		b.e.t.Fatalf("console page: %d, no csrf meta", res.code)
	}
	b.csrf = m[1]
}

type response struct {
	code int
	body string
	hdr  http.Header
}

// json decodes the body into v.
func (r response) json(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		tb.Fatalf("decode %q: %v", r.body, err)
	}
}

// errCode is the code of a JSON error answer.
func (r response) errCode() string {
	var b struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal([]byte(r.body), &b)
	return b.Error.Code
}

// do sends a request as a console page would: with the CSRF header and
// Origin on state-changing methods. hdr overrides (an empty value removes).
func (b *browser) do(method, path string, body any, hdr map[string]string) response {
	b.e.t.Helper()
	var rd io.Reader
	ctype := ""
	switch v := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(v), "application/json"
	case []byte:
		rd = bytes.NewReader(v)
	default:
		j, _ := json.Marshal(v)
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, rd)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if method != "GET" && method != "HEAD" {
		req.Header.Set("Origin", b.origin)
		if b.csrf != "" {
			req.Header.Set(console.CSRFHeader, b.csrf)
		}
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return response{code: res.StatusCode, body: string(out), hdr: res.Header}
}

func (b *browser) form(path string, v url.Values) response {
	b.e.t.Helper()
	return b.do("POST", path, []byte(v.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// upload posts a file as the console's upload does.
func (b *browser) upload(requestID, name string, content []byte, to string) response {
	b.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if to != "" {
		mw.WriteField("to", to)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	return b.do("POST", "/console/api/requests/"+requestID+"/files", buf.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()})
}

// detail is the Details answer, as far as tests read it.
type detail struct {
	Request struct {
		ID          string `json:"id"`
		Number      int64  `json:"number"`
		Status      string `json:"status"`
		Chat        string `json:"chat"`
		Owner       string `json:"owner"`
		OwnerID     string `json:"owner_id"`
		Company     string `json:"company"`
		CustomerEml string `json:"customer_email"`
	} `json:"request"`
	ClosingNote string   `json:"closing_note"`
	Actions     []string `json:"actions"`
	CanMessage  bool     `json:"can_message"`
	CanNote     bool     `json:"can_note"`
	Source      struct {
		IP, Device, OS, Browser string
	} `json:"source"`
	Customers []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"customers"`
	Timeline []struct {
		RSeq int64  `json:"rseq"`
		Kind string `json:"kind"`
		Body string `json:"body"`
		To   string `json:"to"`
		File *struct {
			ID  string `json:"id"`
			URL string `json:"url"`
		} `json:"file"`
	} `json:"timeline"`
}

func (b *browser) detail(id string) detail {
	b.e.t.Helper()
	res := b.do("GET", "/console/api/requests/"+id, nil, nil)
	if res.code != 200 {
		b.e.t.Fatalf("details of %s: %d %s", id, res.code, res.body)
	}
	var d detail
	res.json(b.e.t, &d)
	return d
}

// list returns the request IDs of one page of a view.
func (b *browser) list(query string) []string {
	b.e.t.Helper()
	res := b.do("GET", "/console/api/requests?"+query, nil, nil)
	if res.code != 200 {
		b.e.t.Fatalf("list %s: %d %s", query, res.code, res.body)
	}
	var page struct {
		Requests []struct {
			ID string `json:"id"`
		} `json:"requests"`
	}
	res.json(b.e.t, &page)
	ids := []string{}
	for _, r := range page.Requests {
		ids = append(ids, r.ID)
	}
	return ids
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
