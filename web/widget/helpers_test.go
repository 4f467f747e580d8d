package widget_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web"
	"github.com/relaydesk/relaydesk/web/widget"
)

var ctx = context.Background()

// firefox is the User-Agent of most test requests.
const firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"

// env is relaydesk's HTTP server with the widget mounted, over a seeded desk,
// on a loopback port.
type env struct {
	desk *storetest.Desk
	srv  *httptest.Server
	url  string
}

// newEnv serves the widget over the desk seeded into s. mod adjusts the
// handler's configuration.
func newEnv(t *testing.T, s *sqlstore.Store, mod func(*widget.Config)) *env {
	t.Helper()
	return newEnvOn(t, storetest.NewDesk(t, s), mod)
}

// newEnvOn serves the widget over an existing desk.
func newEnvOn(t *testing.T, d *storetest.Desk, mod func(*widget.Config)) *env {
	t.Helper()
	// The listener exists before the server starts, so the handler can be
	// built with its public URL.
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	cfg := widget.Config{Engine: d.Engine, Store: d.Store, Hub: d.Store.Hub(), PublicURL: url, PollWait: 10 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	server := web.New(web.Config{})
	widget.New(cfg).Mount(server.Mount)
	srv.Config.Handler = server.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{desk: d, srv: srv, url: url}
}

type response struct {
	code int
	hdr  http.Header
	body []byte
}

func (r response) text() string { return string(r.body) }

// decode reads the JSON body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// call is one HTTP request. token "" sends no Authorization header.
type call struct {
	method, path string
	token        string
	auth         string // a whole Authorization header, instead of token
	ctype        string
	body         io.Reader
	header       http.Header
}

func (e *env) do(t *testing.T, c call) response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, c.method, e.url+c.path, c.body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", firefox)
	}
	switch {
	case c.auth != "":
		req.Header.Set("Authorization", c.auth)
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", c.method, c.path, err)
	}
	return response{code: res.StatusCode, hdr: res.Header, body: b}
}

// json sends v as a JSON body.
func (e *env) json(t *testing.T, method, path, token string, v any) response {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, call{method: method, path: path, token: token, ctype: "application/json", body: bytes.NewReader(b)})
}

func (e *env) get(t *testing.T, path, token string) response {
	t.Helper()
	return e.do(t, call{method: "GET", path: path, token: token})
}

// The JSON the API answers, as a client reads it.
type (
	company struct {
		Name         string   `json:"name"`
		Slug         string   `json:"slug"`
		AllowedExts  []string `json:"allowed_exts"`
		MaxFileBytes int64    `json:"max_file_bytes"`
		ImagesOnly   bool     `json:"images_only"`
	}
	file struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Size        int64  `json:"size"`
		ContentType string `json:"content_type"`
	}
	message struct {
		ID         string    `json:"id"`
		RSeq       int64     `json:"rseq"`
		AuthorKind string    `json:"author_kind"`
		AuthorName string    `json:"author_name"`
		Mine       bool      `json:"mine"`
		Direct     bool      `json:"direct"`
		Body       string    `json:"body"`
		File       *file     `json:"file"`
		CreatedAt  time.Time `json:"created_at"`
	}
	participant struct {
		Name string `json:"name"`
		Role string `json:"role"`
		You  bool   `json:"you"`
	}
	request struct {
		Number       int64         `json:"number"`
		Status       string        `json:"status"`
		Chat         string        `json:"chat"`
		Subject      string        `json:"subject"`
		Company      company       `json:"company"`
		Technician   string        `json:"technician"`
		Participants []participant `json:"participants"`
		Left         bool          `json:"left"`
		Screen       string        `json:"screen"`
		ScreenMine   bool          `json:"screen_mine"`
		Recording    string        `json:"recording"`
		Call         string        `json:"call"`
		CallMine     bool          `json:"call_mine"`
		Cobrowse     string        `json:"cobrowse"`
		CobrowseMine bool          `json:"cobrowse_mine"`
	}
	chat struct {
		Token    string    `json:"token"`
		Request  request   `json:"request"`
		Messages []message `json:"messages"`
		LastRSeq int64     `json:"last_rseq"`
	}
	event struct {
		Type           string `json:"type"`
		RSeq           int64  `json:"rseq"`
		ActorKind      string `json:"actor_kind"`
		ActorName      string `json:"actor_name"`
		Mine           bool   `json:"mine"`
		Direct         bool   `json:"direct"`
		Body           string `json:"body"`
		File           *file  `json:"file"`
		TechnicianName string `json:"technician_name"`
	}
	frame struct {
		Type   string  `json:"type"`
		Events []event `json:"events"`
		Next   string  `json:"next"`
		Error  string  `json:"error"`
	}
	apiError struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
)

// open opens a request through the API and returns the answer.
func (e *env) open(t *testing.T, c core.Company, email, msg string) chat {
	t.Helper()
	res := e.json(t, "POST", "/api/widget/requests", "", map[string]string{"key": c.PortalKey, "email": email, "message": msg})
	if res.code != http.StatusCreated {
		t.Fatalf("open request: %d %s", res.code, res.body)
	}
	var v chat
	res.decode(t, &v)
	return v
}

// requestOf is the stored request a token stands for, as its company's
// technicians see it.
func (e *env) requestOf(t *testing.T, token string) core.Request {
	t.Helper()
	cs, err := e.desk.Engine.CustomerByToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.desk.Engine.ViewRequest(ctx, cs.Actor, cs.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.desk.Store.Request(ctx, v.Request.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fixture reads one of core's file-validation fixtures.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "core", "testdata", "files", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// form is a multipart/form-data body with one file field.
func form(t *testing.T, field, name string, data []byte) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.WriteField("note", "sent from the widget"); err != nil {
		t.Fatal(err)
	}
	fw, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, w.FormDataContentType()
}

// upload sends a file as the customer holding token.
func (e *env) upload(t *testing.T, token, name string, data []byte) response {
	t.Helper()
	body, ctype := form(t, "file", name, data)
	return e.do(t, call{method: "POST", path: "/api/widget/files", token: token, ctype: ctype, body: body})
}

// clock is a settable time for the rate-limit tests.
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
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func prefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func mustCode(t *testing.T, res response, code int) {
	t.Helper()
	if res.code != code {
		t.Fatalf("status %d, want %d: %s", res.code, code, res.body)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
