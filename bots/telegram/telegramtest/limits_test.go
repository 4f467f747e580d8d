package telegramtest_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
)

const token = "123456789:AAE-fake_token_for_telegramtest"

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
func limited(t *testing.T) (*telegramtest.Server, *clock, *bot.Bot) {
	t.Helper()
	tg := telegramtest.New(t, token)
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	tg.SetClock(clk.now)
	tg.EnforceLimits()
	return tg, clk, client(t, tg)
}

func client(t *testing.T, tg *telegramtest.Server) *bot.Bot {
	t.Helper()
	b, err := bot.New(token, bot.WithSkipGetMe(), bot.WithServerURL(tg.URL))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func send(b *bot.Bot, chat int64) error {
	_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat, Text: "hi"})
	return err
}

// mustSend sends n messages to chat that must all pass.
func mustSend(t *testing.T, b *bot.Bot, chat int64, n int) {
	t.Helper()
	for i := range n {
		if err := send(b, chat); err != nil {
			t.Fatalf("message %d of %d to %d: %v", i+1, n, chat, err)
		}
	}
}

// throttled wants err to be the library's flood-control error saying retry
// after secs.
func throttled(t *testing.T, err error, secs int) {
	t.Helper()
	var tm *bot.TooManyRequestsError
	if !errors.As(err, &tm) {
		t.Fatalf("got %v, want a *bot.TooManyRequestsError", err)
	}
	if tm.RetryAfter != secs {
		t.Errorf("retry_after %d, want %d", tm.RetryAfter, secs)
	}
}

func TestChatLimitAllowsABurstOfThreeThenOnePerSecond(t *testing.T) {
	tg, clk, b := limited(t)
	const chat = 5551234001
	mustSend(t, b, chat, 3)
	throttled(t, send(b, chat), 1)
	mustSend(t, b, 5551234002, 3) // another chat has its own allowance

	clk.advance(time.Second)
	mustSend(t, b, chat, 1)
	throttled(t, send(b, chat), 1)

	if n := tg.Throttled(); n != 2 {
		t.Errorf("Throttled() = %d, want 2", n)
	}
	calls := tg.Calls("sendMessage")
	if len(calls) != 9 {
		t.Fatalf("%d calls recorded, want 9:\n%s", len(calls), telegramtest.Describe(calls))
	}
	for i, c := range calls {
		if refused := i == 3 || i == 8; c.Failed != refused {
			t.Errorf("call %d: Failed=%v, want %v", i, c.Failed, refused)
		}
		if c.At.IsZero() {
			t.Errorf("call %d has no At", i)
		}
	}
}

func TestGroupLimitIsTwentyInAnyMinute(t *testing.T) {
	tg, clk, b := limited(t)
	const group = -1001234567890
	start := clk.now()
	mustSend(t, b, group, 3)
	for range 17 { // the chat's own limit: one more a second
		clk.advance(time.Second)
		mustSend(t, b, group, 1)
	}
	clk.advance(time.Second) // 18s after the first of the 20
	throttled(t, send(b, group), 42)

	clk.advance(start.Add(time.Minute).Sub(clk.now()) - time.Millisecond)
	throttled(t, send(b, group), 1)
	clk.advance(time.Millisecond) // a minute after the first
	mustSend(t, b, group, 1)
	if n := tg.Throttled(); n != 2 {
		t.Errorf("Throttled() = %d, want 2", n)
	}
}

func TestBotLimitIsThirtyAtOnceThenThirtyASecond(t *testing.T) {
	tg, clk, b := limited(t)
	for chat := range int64(29) {
		mustSend(t, b, 5551230000+chat, 1)
	}
	// An edit counts as a message: the 30th. Of a message the fake never
	// sent, it is answered 400, but only after it was counted.
	_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: 5551239999, MessageID: 1, Text: "edited"})
	if !errors.Is(err, bot.ErrorBadRequest) {
		t.Fatalf("editMessageText: %v, want 400 (message to edit not found)", err)
	}
	throttled(t, send(b, 5551240000), 1)
	if _, err := b.GetMe(ctx); err != nil { // not a message: not limited
		t.Fatalf("getMe while throttled: %v", err)
	}

	clk.advance(34 * time.Millisecond) // a thirtieth of a second, rounded up
	mustSend(t, b, 5551240000, 1)
	throttled(t, send(b, 5551240001), 1)
	if n := tg.Throttled(); n != 2 {
		t.Errorf("Throttled() = %d, want 2", n)
	}
}

func TestFailIsNotThrottling(t *testing.T) {
	tg, _, b := limited(t)
	tg.Fail("sendMessage", telegramtest.TooManyRequests(7))
	throttled(t, send(b, 1), 7)
	mustSend(t, b, 1, 3) // the failed call took nothing from the chat's burst
	if n := tg.Throttled(); n != 0 {
		t.Errorf("Throttled() = %d, want 0: the 429 was asked for by Fail", n)
	}
}

func TestDelayHoldsEveryAnswer(t *testing.T) {
	tg := telegramtest.New(t, token)
	b := client(t, tg)
	const delay = 80 * time.Millisecond
	tg.SetDelay(delay)
	start := time.Now()
	if err := send(b, 1); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("the call took %v, want at least the delay %v", took, delay)
	}
	calls := tg.Calls()
	if len(calls) != 1 || calls[0].At.Sub(start) < delay {
		t.Errorf("want one call accepted at least %v after it was sent; got:\n%s (At %v after)", delay,
			telegramtest.Describe(calls), calls[0].At.Sub(start))
	}
}

func TestNoLimitsByDefault(t *testing.T) {
	tg := telegramtest.New(t, token)
	b := client(t, tg)
	mustSend(t, b, 1, 10)
	if n := tg.Throttled(); n != 0 {
		t.Errorf("Throttled() = %d, want 0", n)
	}
}

// The 429 is Telegram's exact body, whatever the client makes of it.
func TestThrottledAnswerIsTelegramsFloodWait(t *testing.T) {
	_, _, b := limited(t)
	mustSend(t, b, 7, 3)
	err := send(b, 7)
	throttled(t, err, 1)
	var tm *bot.TooManyRequestsError
	errors.As(err, &tm)
	if want := "too many requests, Too Many Requests: retry after " + strconv.Itoa(1); tm.Message != want {
		t.Errorf("message %q, want %q", tm.Message, want)
	}
}
