package main_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestClearSignInsFromTheCLI: an operator's `admin tech clear-sign-ins`
// lets a technician locked out by failed sign-ins into a running serve at
// once, though the CLI is another process than the one that counted them.
func TestClearSignInsFromTheCLI(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			p := newProgram(t, b.url(t))
			p.env["HTTP_ADDR"] = "127.0.0.1:0"
			const pw = "a long enough password"
			step{args: args("admin tech create --email ada@example.com --name Ada --password-stdin"), stdin: pw + "\n"}.run(t, p)
			srv := p.serve()
			client := &http.Client{Timeout: 30 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			signIn := func(password string) int {
				t.Helper()
				req, err := http.NewRequest("POST", srv.base+"/console/login",
					strings.NewReader(url.Values{"email": {"ada@example.com"}, "password": {password}}.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", "https://help.example.com") // PUBLIC_URL's origin
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			for i := range 5 {
				if code := signIn("wrong password"); code != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d", i+1, code)
				}
			}
			if code := signIn(pw); code != http.StatusTooManyRequests {
				t.Fatalf("locked out: %d, want 429", code)
			}
			step{args: args("admin tech clear-sign-ins --email ada@example.com"),
				stdout: []string{"ada@example.com can sign in again"}}.run(t, p)
			if code := signIn(pw); code != http.StatusSeeOther {
				t.Fatalf("after clear-sign-ins: %d, want 303", code)
			}
			step{args: args("admin tech clear-sign-ins --email ghost@example.com"), code: 1,
				stderr: []string{`there is no technician "ghost@example.com"`}}.run(t, p)
		})
	}
}
