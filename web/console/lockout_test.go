package console_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/console"
)

// TestStrangersCannotLockOut: wrong passwords from other addresses do not
// lock a technician out until there are many of them (50 in 15 minutes),
// and then a signed-in admin clears them at once; a sign-in from an
// address clears that address's count.
func TestStrangersCannotLockOut(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore, func(c *console.Config) {
			c.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Test-IP") }
		})
		d := e.d
		try := func(email, password, ip string) int {
			t.Helper()
			return e.browser().do("POST", "/console/login", []byte(url.Values{"email": {email}, "password": {password}}.Encode()),
				map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Test-IP": ip}).code
		}
		guess := func(ip string, n int) {
			t.Helper()
			for i := range n {
				if code := try(d.Alice.Email, "wrong password", ip); code != http.StatusUnauthorized {
					t.Fatalf("guess %d from %s: %d", i+1, ip, code)
				}
			}
			if code := try(d.Alice.Email, "wrong password", ip); code != http.StatusTooManyRequests {
				t.Fatalf("guess %d from %s: %d, want 429", n+1, ip, code)
			}
		}
		const alicesIP = "192.0.2.1"
		for i := range 9 {
			guess(fmt.Sprintf("10.1.0.%d", i+1), 5)
			if code := try(d.Alice.Email, testPassword, alicesIP); code != http.StatusSeeOther {
				t.Fatalf("after %d strangers' guesses Alice cannot sign in: %d", (i+1)*5, code)
			}
		}
		guess("10.1.0.10", 5) // the 50th failure for Alice's address in 15 minutes
		if code := try(d.Alice.Email, testPassword, alicesIP); code != http.StatusTooManyRequests {
			t.Fatalf("after 50 failures: %d, want 429", code)
		}

		bob, admin := e.login(d.Bob), e.login(d.Admin)
		clear := "/console/api/admin/technicians/" + d.Alice.ID + "/clear-sign-ins"
		if res := bob.do("POST", clear, nil, nil); res.code != http.StatusForbidden {
			t.Fatalf("Bob (no admin) cleared: %d %s", res.code, res.body)
		}
		if res := admin.do("POST", "/console/api/admin/technicians/tec_nobody/clear-sign-ins", nil, nil); res.code != http.StatusNotFound {
			t.Fatalf("an unknown technician: %d %s", res.code, res.body)
		}
		if res := admin.do("POST", clear, nil, nil); res.code != http.StatusOK {
			t.Fatalf("the admin's clearing: %d %s", res.code, res.body)
		}
		// The limiter's clock must be past the clearing, as it is in life.
		e.clock.Add(time.Since(e.clock.Now()) + time.Second)
		if code := try(d.Alice.Email, testPassword, alicesIP); code != http.StatusSeeOther {
			t.Fatalf("after the admin cleared: %d", code)
		}
		guess("10.1.0.1", 5) // the strangers start again from nothing

		// A sign-in from an address clears that address's failures.
		for range 4 {
			if code := try(d.Alice.Email, "wrong password", alicesIP); code != http.StatusUnauthorized {
				t.Fatalf("Alice's typo: %d", code)
			}
		}
		if code := try(d.Alice.Email, testPassword, alicesIP); code != http.StatusSeeOther {
			t.Fatalf("Alice after 4 typos: %d", code)
		}
		for i := range 5 {
			if code := try(d.Alice.Email, "wrong password", alicesIP); code != http.StatusUnauthorized {
				t.Fatalf("typo %d after signing in: %d", i+1, code)
			}
		}
	})
}

// TestSignInCountedBeforeTheForm: a client address over its limit is
// refused before its form is read, so a client that never sends its form
// gets its answer at once and holds nothing.
func TestSignInCountedBeforeTheForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite, func(c *console.Config) {
		c.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Test-IP") }
	})
	const ip = "10.9.0.1"
	for _, who := range []string{"alice", "bob", "carol", "dave"} {
		for range 5 {
			res := e.browser().do("POST", "/console/login", []byte(url.Values{"email": {who + "@desk.test"}, "password": {"wrong"}}.Encode()),
				map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Test-IP": ip})
			if res.code != http.StatusUnauthorized {
				t.Fatalf("%s: %d", who, res.code)
			}
		}
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The headers promise a form that never comes.
	fmt.Fprintf(c, "POST /console/login HTTP/1.1\r\nHost: relaydesk\r\nOrigin: %s\r\nX-Test-IP: %s\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n", e.srv.URL, ip)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	status, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 429") {
		t.Fatalf("the 21st attempt from one address: %q %v, want 429 before the form", status, err)
	}
}
