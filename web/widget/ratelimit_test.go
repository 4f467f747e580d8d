package widget_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/widget"
)

// window is the widget's rate-limit window.
const window = 10 * time.Minute

// limitedEnv serves the widget behind a trusted proxy on 127.0.0.1, so a
// test says which client address each call comes from, on a settable clock.
func limitedEnv(t *testing.T, s *sqlstore.Store) (*env, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, s, func(cfg *widget.Config) {
		cfg.TrustedProxies = prefixes(t, "127.0.0.0/8", "::1/128")
		cfg.Now = c.Now
	})
	return e, c
}

// from sends a JSON body to path as the client at ip.
func (e *env) from(t *testing.T, ip, path, body string) response {
	t.Helper()
	return e.do(t, call{method: "POST", path: path, ctype: "application/json",
		header: http.Header{"X-Forwarded-For": {ip}}, body: strings.NewReader(body)})
}

// mustBeLimited checks a 429 answer: its code, its message, and a
// Retry-After of at most the window, in seconds.
func mustBeLimited(t *testing.T, res response, say string, maxWait time.Duration) {
	t.Helper()
	if res.code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", res.code, res.body)
	}
	secs, err := strconv.Atoi(res.hdr.Get("Retry-After"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxWait {
		t.Fatalf("Retry-After %q, want 1..%d seconds", res.hdr.Get("Retry-After"), int(maxWait/time.Second))
	}
	var body apiError
	res.decode(t, &body)
	if body.Error.Code != "rate_limited" || body.Error.Message != say {
		t.Fatalf("error %+v, want rate_limited %q", body.Error, say)
	}
	if ct := res.hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
}

// TestOpenRateLimit: one client address opens at most 10 requests in 10
// minutes; the 11th is refused without touching the database, other
// addresses carry on, and after the window the address may open again.
func TestOpenRateLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e, clk := limitedEnv(t, newStore(t))
		d := e.desk
		open := func(ip, email string) response {
			t.Helper()
			return e.from(t, ip, "/api/widget/requests", `{"key":"`+d.Acme.PortalKey+`","email":"`+email+`","message":"help"}`)
		}

		// Forms refused for how they were written do not count: the
		// customer corrects them and sends them again.
		for i := range 5 {
			mustCode(t, open("203.0.113.9", fmt.Sprintf("typo %d", i)), http.StatusBadRequest)
		}
		for i := range 10 {
			clk.Add(10 * time.Second)
			mustCode(t, open("203.0.113.9", fmt.Sprintf("pat%d@example.com", i)), http.StatusCreated)
		}

		before := storetest.Snapshot(t, d.Store)
		res := open("203.0.113.9", "pat10@example.com")
		// The first open was 90 s ago: it leaves the window in 8.5 minutes.
		mustBeLimited(t, res, "too many new requests from your network; try again in 9 minutes", window)
		if got := res.hdr.Get("Retry-After"); got != "510" {
			t.Fatalf("Retry-After %s, want 510", got)
		}
		// A refused open counts nothing either: still refused, and the
		// database is as it was.
		mustBeLimited(t, open("203.0.113.9", "pat11@example.com"), "too many new requests from your network; try again in 9 minutes", window)
		if after := storetest.Snapshot(t, d.Store); after != before {
			t.Fatalf("the database changed:\nbefore\n%s\nafter\n%s", before, after)
		}

		// Another address is not affected.
		mustCode(t, open("198.51.100.7", "sam@example.com"), http.StatusCreated)

		// The window slides: once the first open (at 10 s) has left it (at
		// 610 s), there is room for exactly one more.
		clk.Add(510 * time.Second)
		mustCode(t, open("203.0.113.9", "again@example.com"), http.StatusCreated)
		mustBeLimited(t, open("203.0.113.9", "again2@example.com"), "too many new requests from your network; try again in 1 minute", time.Minute)
		// After a whole window without opens all ten are back.
		clk.Add(window)
		for i := range 10 {
			mustCode(t, open("203.0.113.9", fmt.Sprintf("later%d@example.com", i)), http.StatusCreated)
		}

		// An IPv6 customer's addresses in one /64 count together.
		for i := range 10 {
			mustCode(t, open(fmt.Sprintf("2001:db8:1:2::%x", i+1), fmt.Sprintf("v6-%d@example.com", i)), http.StatusCreated)
		}
		mustBeLimited(t, open("2001:db8:1:2:ffff::1", "v6@example.com"), "too many new requests from your network; try again in 10 minutes", window)
		mustCode(t, open("2001:db8:1:3::1", "v6@example.com"), http.StatusCreated)
	})
}

// TestJoinRateLimit: one client address makes at most 30 join attempts in
// 10 minutes, wrong invitation codes included, so codes cannot be guessed
// at speed.
func TestJoinRateLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e, clk := limitedEnv(t, newStore(t))
		d := e.desk
		inv, err := d.Engine.InviteCustomer(ctx, storetest.Actor(d.Alice), d.Acme.ID, "printer setup")
		if err != nil {
			t.Fatal(err)
		}
		join := func(ip, code, email string) response {
			t.Helper()
			return e.from(t, ip, "/api/widget/join", `{"code":"`+code+`","email":"`+email+`"}`)
		}

		mustCode(t, join("203.0.113.9", inv.Code, "not an address"), http.StatusBadRequest) // not counted
		for i := range 30 {
			mustCode(t, join("203.0.113.9", fmt.Sprintf("guess%d", i), "pat@example.com"), http.StatusNotFound)
		}
		before := storetest.Snapshot(t, d.Store)
		// Even the right code waits now.
		mustBeLimited(t, join("203.0.113.9", inv.Code, "pat@example.com"),
			"too many attempts to join a session from your network; try again in 10 minutes", window)
		if after := storetest.Snapshot(t, d.Store); after != before {
			t.Fatalf("the database changed:\nbefore\n%s\nafter\n%s", before, after)
		}
		// Opening is counted apart from joining.
		mustCode(t, e.from(t, "203.0.113.9", "/api/widget/requests",
			`{"key":"`+d.Acme.PortalKey+`","email":"pat@example.com","message":"help"}`), http.StatusCreated)
		// Another address joins.
		mustCode(t, join("198.51.100.7", inv.Code, "sam@example.com"), http.StatusCreated)

		clk.Add(window + time.Second)
		res := join("203.0.113.9", inv.Code, "pat@example.com")
		mustCode(t, res, http.StatusCreated)
		var v chat
		res.decode(t, &v)
		if v.Request.Number != inv.Request.Number || len(v.Request.Participants) < 2 {
			t.Fatalf("joined %+v", v)
		}
		if _, err := d.Engine.CustomerByToken(ctx, v.Token); err != nil {
			t.Fatal(err)
		}
	})
}
