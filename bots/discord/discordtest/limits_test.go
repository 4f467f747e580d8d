package discordtest_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
)

const token = "MTE4MDAwMDAwMDAwMDAwMDAwMQ.fake.discordtest-token"

// clock is the fake's clock in tests: stopped, or running from a start,
// and moved by hand, so that the limits see the times the test means.
type clock struct {
	mu      sync.Mutex
	t       time.Time
	running time.Time // when it started running; zero: stopped
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running.IsZero() {
		return c.t
	}
	return c.t.Add(time.Since(c.running))
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// limited is a fake with the limits on, on clk.
func limited(t *testing.T, clk *clock) *discordtest.Server {
	t.Helper()
	dc := discordtest.New(t, token)
	if clk.t.IsZero() {
		clk.t = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	}
	discordtest.SetClock(dc, clk.now)
	dc.EnforceLimits()
	return dc
}

// session is a discordgo session with its own rate limiter that talks to
// the fake and returns rate limits as errors instead of retrying forever.
func session(t *testing.T, dc *discordtest.Server) *discordgo.Session {
	t.Helper()
	s, err := discordgo.New("Bot " + token)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dc.URL)
	if err != nil {
		t.Fatal(err)
	}
	s.Client = &http.Client{Transport: rewrite{u.Host}, Timeout: 20 * time.Second}
	s.ShouldRetryOnRateLimit = false
	return s
}

// rewrite sends discordgo's requests for discord.com to the fake.
type rewrite struct{ host string }

func (rt rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = "http", rt.host, rt.host
	return http.DefaultTransport.RoundTrip(r2)
}

func send(s *discordgo.Session, channel string) error {
	_, err := s.ChannelMessageSend(channel, "hi")
	return err
}

func mustSend(t *testing.T, s *discordgo.Session, channel string, n int) {
	t.Helper()
	for i := range n {
		if err := send(s, channel); err != nil {
			t.Fatalf("message %d of %d to %s: %v", i+1, n, channel, err)
		}
	}
}

// throttled wants err to be discordgo's rate-limit error saying retry
// after about want (discordgo keeps whole milliseconds).
func throttled(t *testing.T, err error, want time.Duration) {
	t.Helper()
	var rl *discordgo.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("got %v, want a *discordgo.RateLimitError", err)
	}
	if rl.RetryAfter < want || rl.RetryAfter > want+2*time.Millisecond {
		t.Errorf("RetryAfter %v, want %v", rl.RetryAfter, want)
	}
}

// raw posts a message to channel as discordgo would, to look at the wire.
func raw(t *testing.T, dc *discordtest.Server, channel string) (*http.Response, string) {
	t.Helper()
	u, _ := url.Parse(dc.URL)
	req, _ := http.NewRequest(http.MethodPost, "http://"+u.Host+"/api/v9/channels/"+channel+"/messages",
		strings.NewReader(`{"content":"raw"}`))
	req.Header.Set("Authorization", "Bot "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestMessagesAreFivePerFiveSecondsPerChannel(t *testing.T) {
	clk := &clock{}
	dc := limited(t, clk)
	a := session(t, dc)
	mustSend(t, a, "10", 5)
	if b := a.Ratelimiter.GetBucket(discordgo.EndpointChannelMessages("10")); b.Remaining != 0 {
		t.Errorf("discordgo's bucket has %d remaining, want 0 from the headers", b.Remaining)
	}
	// A session that has not seen the headers sends the sixth anyway.
	b := session(t, dc)
	throttled(t, send(b, "10"), 5*time.Second)
	mustSend(t, b, "11", 1) // another channel has its own bucket
	m, err := a.ChannelMessageSend("12", "to edit")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 { // editing is a bucket of its own
		if _, err := b.ChannelMessageEdit("12", m.ID, "edited"); err != nil {
			t.Fatal(err)
		}
	}

	clk.advance(5 * time.Second)
	mustSend(t, session(t, dc), "10", 1) // b's own limiter would wait the 5s in real time
	if n := dc.Throttled(); n != 1 {
		t.Errorf("Throttled() = %d, want 1", n)
	}
	calls := dc.Calls("createMessage")
	for i, c := range calls {
		if refused := i == 5; c.Failed != refused || c.At.IsZero() {
			t.Errorf("call %d: Failed=%v At=%v, want refused=%v and an At", i, c.Failed, c.At, refused)
		}
	}
}

// Discord's answer to a request over a route's limit, on the wire.
func TestRouteLimitAnswerIsDiscords(t *testing.T) {
	clk := &clock{}
	dc := limited(t, clk)
	mustSend(t, session(t, dc), "10", 4)
	clk.advance(1500 * time.Millisecond)
	res, _ := raw(t, dc, "10")
	want := map[string]string{"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "3.501",
		"X-RateLimit-Reset": strconv.FormatFloat(float64(clk.now().Add(3501*time.Millisecond).UnixMilli())/1e3, 'f', 3, 64)}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	bucket := res.Header.Get("X-RateLimit-Bucket")

	res, body := raw(t, dc, "10")
	want = map[string]string{"Retry-After": "4", "X-RateLimit-Scope": "user", "X-RateLimit-Global": "",
		"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "3.501", "X-RateLimit-Bucket": bucket}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if res.StatusCode != http.StatusTooManyRequests ||
		body != `{"global":false,"message":"You are being rate limited.","retry_after":3.501}`+"\n" {
		t.Errorf("got %d %s", res.StatusCode, body)
	}
	if res, _ := raw(t, dc, "11"); res.Header.Get("X-RateLimit-Bucket") != bucket {
		t.Errorf("another channel's bucket is %q, want the route's %q", res.Header.Get("X-RateLimit-Bucket"), bucket)
	}
}

// discordgo reads the headers and holds the sixth message back until the
// window resets, and the fake agrees that it has.
func TestDiscordgoWaitsForTheReset(t *testing.T) {
	clk := &clock{running: time.Now()}
	dc := limited(t, clk)
	s := session(t, dc)
	mustSend(t, s, "10", 4)
	clk.advance(4700 * time.Millisecond)
	mustSend(t, s, "10", 1) // Remaining 0, Reset-After about 0.3s
	start := time.Now()
	mustSend(t, s, "10", 1)
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Errorf("discordgo sent after %v, want it to wait for the reset, about 300ms", waited)
	}
	if n := dc.Throttled(); n != 0 {
		t.Errorf("Throttled() = %d, want 0", n)
	}
}

func TestGlobalLimitIsFiftyInAnySecond(t *testing.T) {
	clk := &clock{}
	dc := limited(t, clk)
	s := session(t, dc)
	for i := range 50 { // each channel its own bucket: only the global limit binds
		mustSend(t, s, strconv.Itoa(100+i), 1)
	}
	throttled(t, send(s, "200"), time.Second)
	if wait := s.Ratelimiter.GetWaitTime(s.Ratelimiter.GetBucket("any"), 1); wait < 900*time.Millisecond {
		t.Errorf("discordgo holds requests back %v, want about a second from X-RateLimit-Global", wait)
	}
	res, body := raw(t, dc, "201")
	want := map[string]string{"Retry-After": "1", "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global",
		"X-RateLimit-Reset-After": "1.001"}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if res.StatusCode != http.StatusTooManyRequests ||
		body != `{"global":true,"message":"You are being rate limited.","retry_after":1.001}`+"\n" {
		t.Errorf("got %d %s", res.StatusCode, body)
	}

	// Interactions are not bound to the global limit.
	err := session(t, dc).InteractionRespond(&discordgo.Interaction{ID: "777", Token: "itok"},
		&discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "ok"}})
	if err != nil {
		t.Fatalf("interaction callback while the global limit is reached: %v", err)
	}
	clk.advance(time.Second)
	mustSend(t, session(t, dc), "200", 1)
	if n := dc.Throttled(); n != 2 {
		t.Errorf("Throttled() = %d, want 2", n)
	}
}

func TestDelayHoldsEveryAnswer(t *testing.T) {
	dc := discordtest.New(t, token)
	s := session(t, dc)
	const delay = 80 * time.Millisecond
	dc.SetDelay(delay)
	start := time.Now()
	mustSend(t, s, "10", 1)
	if took := time.Since(start); took < delay {
		t.Errorf("the call took %v, want at least the delay %v", took, delay)
	}
	if calls := dc.Calls(); len(calls) != 1 || calls[0].At.Sub(start) < delay {
		t.Errorf("want one call accepted at least %v after it was sent; got:\n%s", delay, discordtest.Describe(calls))
	}
}

func TestNoLimitsByDefault(t *testing.T) {
	dc := discordtest.New(t, token)
	mustSend(t, session(t, dc), "10", 10)
	if res, _ := raw(t, dc, "10"); res.Header.Get("X-RateLimit-Limit") != "" || dc.Throttled() != 0 {
		t.Errorf("rate-limit headers %v and %d throttled without EnforceLimits", res.Header, dc.Throttled())
	}
}
