// Package clientip finds the address an HTTP request came from, believing
// X-Forwarded-For only from trusted reverse proxies.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Of is the address a request came from. X-Forwarded-For is read only
// when the peer is one of the trusted proxies, and then from the right: each
// trusted proxy appends the address it received the request from, so the
// right-most address that is not a trusted proxy is the client. Anything to
// its left was written by the client and may be made up.
func Of(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !peer.IsValid() || !isTrusted(peer, trusted) {
		return peer
	}
	hops := forwardedFor(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseAddr(hops[i])
		if !a.IsValid() {
			// A garbled entry: what lies beyond it cannot be trusted, so
			// the last proxy that handed it on is the best known address.
			return peer
		}
		if !isTrusted(a, trusted) {
			return a
		}
		peer = a
	}
	return peer // every hop was a trusted proxy
}

func forwardedFor(h http.Header) []string {
	var hops []string
	for _, v := range h.Values("X-Forwarded-For") {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				hops = append(hops, s)
			}
		}
	}
	return hops
}

// parseAddr reads "ip", "ip:port" or "[ipv6]:port"; IPv4-mapped IPv6
// addresses become plain IPv4 so that they match IPv4 prefixes.
func parseAddr(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// Trusted reports whether a is one of the trusted proxies.
func Trusted(a netip.Addr, trusted []netip.Prefix) bool { return isTrusted(a, trusted) }

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
