package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// healthcheckCommand asks a running relaydesk whether it is ready. A
// container image built FROM scratch has no shell, curl or wget, so its
// HEALTHCHECK and compose's health checks run the binary itself.
func healthcheckCommand() *command {
	return &command{
		name:    "healthcheck",
		summary: "ask the relaydesk serving on HTTP_ADDR whether it is ready (for container health checks)",
		usage:   "[--url URL] [--timeout 5s]",
		about: "Ask the relaydesk serving on HTTP_ADDR, on this machine, for /readyz: exit 0 when it\n" +
			"answers 200 (it serves HTTP and its database answers), 1 otherwise, saying why.\n" +
			"HTTP_ADDR comes from the environment and .env, as for serve; an address on every\n" +
			"interface (:8080) is asked on loopback. For Docker's HEALTHCHECK and compose:\n" +
			"  [\"CMD\", \"/relaydesk\", \"healthcheck\"]",
		setup: healthcheck,
	}
}

func healthcheck(fs *flag.FlagSet) action {
	target := fs.String("url", "", "ask this `URL` instead, e.g. http://127.0.0.1:8080/healthz (default: /readyz on HTTP_ADDR)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this `duration`")
	return func(ctx context.Context, c *call) error {
		if *timeout <= 0 {
			return usagef("--timeout must be positive, such as 5s")
		}
		u, where := *target, ""
		if u == "" {
			cfg, err := c.config()
			if err != nil {
				return err
			}
			u, where = readyURL(cfg.HTTPAddr), " (HTTP_ADDR is "+cfg.HTTPAddr+")"
		} else if _, err := checkURL(u); err != nil {
			return usagef("--url %q: %v", u, err)
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		status, body, err := probe(ctx, u)
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("healthcheck: no answer from %s within %s%s", u, *timeout, where)
		case errors.Is(err, syscall.ECONNREFUSED):
			return fmt.Errorf("healthcheck: no answer from %s%s: %w; is relaydesk serving there?", u, where, err)
		case err != nil:
			return fmt.Errorf("healthcheck: no answer from %s%s: %w", u, where, err)
		}
		if body != "" {
			body = " " + body
		}
		if status != http.StatusOK {
			return fmt.Errorf("healthcheck: %s answered %d%s", u, status, body)
		}
		fmt.Fprintf(c.Stdout, "%s: %d%s\n", u, status, body)
		return nil
	}
}

// readyURL is where a process on this machine reaches the readiness probe
// of a server listening on addr: loopback when addr is every interface.
func readyURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "127.0.0.1", "8080"
	}
	switch host {
	case "", "0.0.0.0", "::":
		// 127.0.0.1 rather than ::1: a container may have no IPv6, and a
		// listener on :: takes IPv4 connections too.
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}

// probe GETs u, without any proxy (HTTP_PROXY is for reaching the chat
// platforms, not this process) and without following redirects, and
// returns the status and the start of the body on one line.
func probe(ctx context.Context, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err // "Get URL:" would repeat what the caller says
	}
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	return res.StatusCode, strings.Join(strings.Fields(string(b)), " "), nil
}
