package telegramtest_test

import (
	"errors"
	"testing"

	"github.com/go-telegram/bot"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
)

func TestFailChatFailsOnlyThatChatsNextMessages(t *testing.T) {
	tg := telegramtest.New(t, token)
	b := client(t, tg)
	tg.FailChat(42, telegramtest.TooManyRequests(30))

	if err := send(b, 7); err != nil {
		t.Fatalf("another chat: %v", err)
	}
	var tm *bot.TooManyRequestsError
	if err := send(b, 42); !errors.As(err, &tm) || tm.RetryAfter != 30 {
		t.Fatalf("the chat's first message: %v, want 429 retry_after 30", err)
	}
	if err := send(b, 42); err != nil {
		t.Fatalf("the chat's second message: %v, want it through", err)
	}
	if n := tg.Throttled(); n != 0 {
		t.Errorf("Throttled() = %d, want 0: failures asked for are not the limits'", n)
	}
	calls := tg.Calls("sendMessage")
	if len(calls) != 3 || calls[0].Failed || !calls[1].Failed || calls[2].Failed {
		t.Errorf("calls:\n%s", telegramtest.Describe(calls))
	}
}
