package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// warmUpLimit bounds every wait of a scenario's set-up: cards, threads and
// greetings all go out at the platforms' paces first, which for 400
// Telegram chats or 40 Discord threads takes most of a minute.
const warmUpLimit = 4 * time.Minute

// waitFor polls cond until it holds, failing the benchmark after
// warmUpLimit.
func waitFor(b *testing.B, what string, cond func() (bool, string)) {
	b.Helper()
	deadline := time.Now().Add(warmUpLimit)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("waited %s for %s: %s", warmUpLimit, what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tgChat is a Telegram customer's chat and the request it opened.
type tgChat struct {
	chat    int64
	request string
}

// telegramChats makes n Telegram customers, chats first, first+1...: each
// writes to the bot (updates pushed to the fake's getUpdates, polled by
// the adapter, which opens a request at Acme for each chat and answers it);
// then Alice takes each request and joins its chat, as she would in the
// console. It returns once every chat has had the bot's answer and the
// "joined" notice, so that the measured phase starts with nothing queued.
func telegramChats(b *testing.B, p *proc, pf *platforms, alice core.Technician, first int64, n int) []tgChat {
	b.Helper()
	ctx := context.Background()
	// The fake hands out at most 100 updates per poll; a batch at a time
	// keeps each wait for the adapter well inside the fake's own deadline.
	for lo := 0; lo < n; lo += 100 {
		var ups [][]byte
		for i := lo; i < min(lo+100, n); i++ {
			ups = append(ups, textUpdate(int64(1000+i), first+int64(i), "hello"))
		}
		pf.tg.Push(b, ups...)
		pf.tg.WaitIdle(b)
	}
	chats := make([]tgChat, n)
	for i := range chats {
		chat := first + int64(i)
		c, err := p.engine.ConversationOf(ctx, "telegram", strconv.FormatInt(chat, 10))
		if err != nil {
			b.Fatalf("chat %d opened no request: %v", chat, err)
		}
		chats[i] = tgChat{chat: chat, request: c.Request.ID}
	}
	by := core.TechnicianActor(alice.ID)
	parallel(b, len(chats), func(i int) error {
		if _, err := p.engine.AssignToMe(ctx, by, chats[i].request); err != nil {
			return err
		}
		_, err := p.engine.JoinChat(ctx, by, chats[i].request)
		return err
	})
	waitFor(b, "the bot's answer and the joined notice in every chat", func() (bool, string) {
		got := map[int64]int{}
		for _, c := range pf.tg.Calls("sendMessage") {
			if !c.Failed {
				got[c.Chat()]++
			}
		}
		done := 0
		for _, c := range chats {
			if got[c.chat] >= 2 {
				done++
			}
		}
		return done == len(chats), fmt.Sprintf("%d of %d chats have both", done, len(chats))
	})
	return chats
}

// textUpdate is a Telegram update: a private chat's user writes text.
func textUpdate(id, chat int64, text string) []byte {
	from := map[string]any{"id": chat, "is_bot": false, "first_name": "Customer " + strconv.FormatInt(chat%10000, 10),
		"language_code": "en"}
	b, _ := json.Marshal(map[string]any{"update_id": id, "message": map[string]any{
		"message_id": 1, "from": from, "date": time.Now().Unix(), "text": text,
		"chat": map[string]any{"id": chat, "first_name": from["first_name"], "type": "private"}}})
	return b
}

// webCustomers opens n requests at company from the web widget, customers
// first, first+1..., and returns them.
func webCustomers(b *testing.B, p *proc, co core.Company, first, n int) []core.Opened {
	b.Helper()
	out := make([]core.Opened, n)
	parallel(b, n, func(i int) error {
		var err error
		out[i], err = p.engine.OpenRequest(context.Background(), core.OpenRequest{CompanyID: co.ID,
			Email: fmt.Sprintf("customer%d@bench.test", first+i), Name: fmt.Sprintf("Customer %d", first+i),
			Message: opening, Source: core.Source{Channel: "web", Device: "desktop", OS: "Windows", Browser: "Firefox"}})
		return err
	})
	return out
}

// The message a web customer opens their request with; the benchmark
// waits for it to reach the request's thread before measuring.
const opening = "hello"

// waitSlackWarm waits until channel shows n cards (thread-less posts) and
// n opening lines in their threads: the set-up's traffic is out.
func waitSlackWarm(b *testing.B, pf *platforms, channel string, n int) {
	b.Helper()
	waitFor(b, "the cards and opening lines in Slack channel "+channel, func() (bool, string) {
		cards, lines := 0, 0
		for _, c := range pf.sl.Calls("chat.postMessage") {
			switch {
			case c.Failed || c.Fields["channel"] != channel:
			case c.Fields["thread_ts"] == "":
				cards++
			case strings.HasSuffix(c.Fields["text"], ": "+opening):
				lines++
			}
		}
		return cards >= n && lines >= n, fmt.Sprintf("%d cards and %d lines of %d", cards, lines, n)
	})
}

// waitDiscordWarm waits until n threads were started from cards in
// channel and n opening lines posted in threads.
func waitDiscordWarm(b *testing.B, pf *platforms, channel string, n int) {
	b.Helper()
	waitFor(b, "the cards, threads and opening lines in Discord channel "+channel, func() (bool, string) {
		threads, lines := 0, 0
		for _, c := range pf.dc.Calls("startThread", "createMessage") {
			switch {
			case c.Failed:
			case c.Route == "startThread" && c.Channel == channel:
				threads++
			case c.Route == "createMessage" && c.Channel != channel && strings.HasSuffix(c.Content(), ": "+opening):
				lines++
			}
		}
		return threads >= n && lines >= n, fmt.Sprintf("%d threads and %d lines of %d", threads, lines, n)
	})
}

// parallel runs fn(0..n-1) on a few goroutines and fails the benchmark on
// the first error: set-up only.
func parallel(b *testing.B, n int, fn func(i int) error) {
	b.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}
