package slacktest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
)

const token = "xoxb-1234-5678-fake-slacktest"

var ctx = context.Background()

// clock is a stopped clock that tests move by hand, so that the limits
// see exactly the times the test means.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// limited is a fake with the limits on, on a stopped clock, and a client.
func limited(t *testing.T) (*slacktest.Server, *clock, *slack.Client) {
	t.Helper()
	sl := slacktest.New(t, token)
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	slacktest.SetClock(sl, clk.now)
	sl.EnforceLimits()
	return sl, clk, slack.New(token, slack.OptionAPIURL(sl.URL))
}

func post(api *slack.Client, channel string) error {
	_, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("hi", false))
	return err
}

func update(api *slack.Client, channel string) error {
	_, _, _, err := api.UpdateMessageContext(ctx, channel, "1767225600.000001", slack.MsgOptionText("edited", false))
	return err
}

// mustPass wants n calls of call to succeed.
func mustPass(t *testing.T, n int, call func() error) {
	t.Helper()
	for i := range n {
		if err := call(); err != nil {
			t.Fatalf("call %d of %d: %v", i+1, n, err)
		}
	}
}

// throttled wants err to be slack-go's rate-limit error saying retry after
// want.
func throttled(t *testing.T, err error, want time.Duration) {
	t.Helper()
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("got %v, want a *slack.RateLimitedError", err)
	}
	if rl.RetryAfter != want {
		t.Errorf("RetryAfter %v, want %v", rl.RetryAfter, want)
	}
}

func TestPostMessageAllowsABurstOfThreeThenOnePerSecondPerChannel(t *testing.T) {
	sl, clk, api := limited(t)
	mustPass(t, 3, func() error { return post(api, "C1") })
	throttled(t, post(api, "C1"), time.Second)
	mustPass(t, 3, func() error { return post(api, "C2") }) // another channel has its own allowance

	clk.advance(time.Second)
	mustPass(t, 1, func() error { return post(api, "C1") })
	throttled(t, post(api, "C1"), time.Second)

	if n := sl.Throttled(); n != 2 {
		t.Errorf("Throttled() = %d, want 2", n)
	}
	calls := sl.Calls("chat.postMessage")
	if len(calls) != 9 {
		t.Fatalf("%d calls recorded, want 9:\n%s", len(calls), slacktest.Describe(calls))
	}
	for i, c := range calls {
		if refused := i == 3 || i == 8; c.Failed != refused || (c.TS == "") != refused {
			t.Errorf("call %d: Failed=%v ts=%q, want refused=%v", i, c.Failed, c.TS, refused)
		}
		if !c.At.Equal(clk.now()) && !c.At.Equal(clk.now().Add(-time.Second)) {
			t.Errorf("call %d: At %v, want the fake's clock", i, c.At)
		}
	}
}

func TestTierThreeAllowsFiftyAMinuteWithABurstOfFive(t *testing.T) {
	sl, clk, api := limited(t)
	mustPass(t, 5, func() error { return update(api, "C1") })
	throttled(t, update(api, "C2"), 2*time.Second) // per method, not per channel: 1.2s, rounded up
	mustPass(t, 3, func() error { return post(api, "C1") })

	clk.advance(1200 * time.Millisecond)
	mustPass(t, 1, func() error { return update(api, "C1") })
	throttled(t, update(api, "C1"), 2*time.Second)
	clk.advance(time.Second)
	throttled(t, update(api, "C1"), time.Second) // 0.2s left
	if n := sl.Throttled(); n != 3 {
		t.Errorf("Throttled() = %d, want 3", n)
	}
}

func TestTierFourAllowsAHundredAMinuteWithABurstOfTen(t *testing.T) {
	_, _, api := limited(t)
	ephemeral := func() error {
		_, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("only you", false))
		return err
	}
	mustPass(t, 10, ephemeral)
	throttled(t, ephemeral(), time.Second) // 0.6s, rounded up
}

func TestFailIsNotThrottling(t *testing.T) {
	sl, _, api := limited(t)
	sl.Fail("chat.postMessage", slacktest.TooManyRequests(7))
	throttled(t, post(api, "C1"), 7*time.Second)
	mustPass(t, 3, func() error { return post(api, "C1") }) // the failed call took nothing from the burst
	if n := sl.Throttled(); n != 0 {
		t.Errorf("Throttled() = %d, want 0: the 429 was asked for by Fail", n)
	}
}

// The refusal is Slack's: 429, Retry-After and the ratelimited error.
func TestThrottledAnswerIsSlacks(t *testing.T) {
	sl, _, api := limited(t)
	mustPass(t, 3, func() error { return post(api, "C1") })
	res, err := http.PostForm(sl.URL+"chat.postMessage", url.Values{"token": {token}, "channel": {"C1"}, "text": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" ||
		string(body) != `{"ok":false,"error":"ratelimited"}` {
		t.Errorf("got %d Retry-After %q %s, want 429 Retry-After 1 {\"ok\":false,\"error\":\"ratelimited\"}",
			res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}

func TestDelayHoldsEveryAnswer(t *testing.T) {
	sl := slacktest.New(t, token)
	api := slack.New(token, slack.OptionAPIURL(sl.URL))
	const delay = 80 * time.Millisecond
	sl.SetDelay(delay)
	start := time.Now()
	if err := post(api, "C1"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("the call took %v, want at least the delay %v", took, delay)
	}
	if calls := sl.Calls(); len(calls) != 1 || calls[0].At.Sub(start) < delay {
		t.Errorf("want one call accepted at least %v after it was sent; got:\n%s", delay, slacktest.Describe(calls))
	}
}

func TestNoLimitsByDefault(t *testing.T) {
	sl := slacktest.New(t, token)
	api := slack.New(token, slack.OptionAPIURL(sl.URL))
	mustPass(t, 10, func() error { return post(api, "C1") })
	if n := sl.Throttled(); n != 0 {
		t.Errorf("Throttled() = %d, want 0", n)
	}
}
