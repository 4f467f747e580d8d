package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/relaydesk/relaydesk/web/sfu"
)

// WebRTCConfig is how live media (screen sharing) reaches browsers.
type WebRTCConfig struct {
	// ICEServers are the STUN and TURN URLs browsers use; TURN ones get
	// short-lived credentials made with TURNSecret.
	ICEServers []string
	// TURNSecret is coturn's static-auth-secret (use-auth-secret).
	TURNSecret Secret
	// PublicIPs replace this host's addresses in the media candidates
	// (a host behind 1:1 NAT).
	PublicIPs []string
	// PortMin and PortMax bound the UDP ports media uses; zero: any.
	PortMin, PortMax uint16
	// Loopback offers 127.0.0.1 to browsers too: on when PUBLIC_URL is this
	// machine, so a browser here reaches the media without a network.
	Loopback bool
}

// loadWebRTC reads the WEBRTC_* settings.
func loadWebRTC(get func(key, def string) string, secret func(string) Secret, publicURL string) (WebRTCConfig, []error) {
	var (
		c    WebRTCConfig
		errs []error
	)
	c.TURNSecret = secret("WEBRTC_TURN_SECRET")
	turn := false
	for _, u := range splitList(get("WEBRTC_ICE_SERVERS", "")) {
		scheme, rest, _ := strings.Cut(u, ":")
		switch scheme {
		case "stun", "stuns":
		case "turn", "turns":
			turn = true
		default:
			errs = append(errs, fmt.Errorf("WEBRTC_ICE_SERVERS %q: use stun:, stuns:, turn: or turns: URLs, such as stun:stun.example.com:3478", u))
			continue
		}
		if host, _, _ := strings.Cut(rest, "?"); host == "" || strings.ContainsAny(host, " /@") {
			errs = append(errs, fmt.Errorf("WEBRTC_ICE_SERVERS %q: want host[:port] after the scheme", u))
			continue
		}
		c.ICEServers = append(c.ICEServers, u)
	}
	if turn && c.TURNSecret == "" {
		errs = append(errs, errors.New("WEBRTC_TURN_SECRET: required with a turn: server in WEBRTC_ICE_SERVERS (coturn's static-auth-secret): browsers get short-lived credentials made with it"))
	}
	for _, ip := range splitList(get("WEBRTC_PUBLIC_IP", "")) {
		if net.ParseIP(ip) == nil {
			errs = append(errs, fmt.Errorf("WEBRTC_PUBLIC_IP %q: not an IP address", ip))
			continue
		}
		c.PublicIPs = append(c.PublicIPs, ip)
	}
	if v := get("WEBRTC_UDP_PORTS", ""); v != "" {
		lo, hi, ok := strings.Cut(v, "-")
		a, errA := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
		b, errB := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
		if !ok || errA != nil || errB != nil || a < 1024 || a > b {
			errs = append(errs, fmt.Errorf("WEBRTC_UDP_PORTS %q: use a range of ports such as 50000-50999 (from 1024, lowest first)", v))
		} else {
			c.PortMin, c.PortMax = uint16(a), uint16(b)
		}
	}
	if u, err := url.Parse(publicURL); err == nil {
		switch h := u.Hostname(); {
		case h == "localhost":
			c.Loopback = true
		default:
			ip := net.ParseIP(h)
			c.Loopback = ip != nil && ip.IsLoopback()
		}
	}
	return c, errs
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// sfu is the media server's own configuration: STUN only, as the server
// answers on its own addresses and never relays through TURN itself.
func (c WebRTCConfig) sfu() sfu.Config {
	cfg := sfu.Config{PublicIPs: c.PublicIPs, PortMin: c.PortMin, PortMax: c.PortMax, IncludeLoopback: c.Loopback}
	for _, u := range c.ICEServers {
		if strings.HasPrefix(u, "stun") {
			cfg.ICEServers = append(cfg.ICEServers, sfu.ICEServer{URLs: []string{u}})
		}
	}
	return cfg
}
