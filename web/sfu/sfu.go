// Package sfu forwards a live session's media between browsers: a selective
// forwarding unit built on Pion WebRTC. A Room is one live session (one
// request's screen share or call); its peers publish tracks (a customer's
// screen, microphone, camera; a technician's microphone and camera) and
// receive the tracks of the others that the caller's Policy allows. Packets
// are forwarded as they come, never decoded or transcoded, and picture-loss
// requests from receivers go back to the publisher so a new viewer gets a
// keyframe at once.
//
// Signalling is left to the caller: a peer's offers, answers, ICE candidates
// and stop arrive as Messages through Room.Handle and leave through the
// peer's Sender, so they can ride on any stream (the widget's and console's
// WebSockets). The package knows nothing of requests, technicians or stores.
package sfu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/pion/webrtc/v4"
)

// Config is how the SFU is reached from browsers. The zero value works on a
// host the browsers reach directly (a LAN, loopback in tests).
type Config struct {
	// ICEServers are used for the SFU's own candidates (STUN, or TURN for a
	// relay); browsers get their list from the page, not from here.
	ICEServers []ICEServer
	// PublicIPs replace the host's own addresses in the candidates sent to
	// browsers, for a host behind 1:1 NAT (a cloud VM with a public IP).
	PublicIPs []string
	// PortMin and PortMax bound the UDP ports used for media, so a firewall
	// needs only that range open. Both zero means any port.
	PortMin, PortMax uint16
	// IncludeLoopback offers 127.0.0.1 candidates too (tests, one-host setups).
	IncludeLoopback bool
}

// ICEServer is a STUN or TURN server: URLs such as
// "stun:stun.example.com:3478" or "turn:turn.example.com:3478?transport=udp",
// with credentials for TURN.
type ICEServer struct {
	URLs       []string
	Username   string
	Credential string
}

// Validate reports a configuration that cannot work, before any room exists.
func (c Config) Validate() error {
	for _, ip := range c.PublicIPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("sfu: public IP %q is not an IP address", ip)
		}
	}
	if (c.PortMin == 0) != (c.PortMax == 0) || c.PortMin > c.PortMax {
		return fmt.Errorf("sfu: UDP port range %d-%d: give both ends, lowest first", c.PortMin, c.PortMax)
	}
	for _, s := range c.ICEServers {
		if len(s.URLs) == 0 {
			return errors.New("sfu: an ICE server has no URL")
		}
		for _, u := range s.URLs {
			scheme, _, _ := strings.Cut(u, ":")
			switch scheme {
			case "stun", "stuns":
			case "turn", "turns":
				if s.Username == "" || s.Credential == "" {
					return fmt.Errorf("sfu: TURN server %q needs a username and a credential", u)
				}
			default:
				return fmt.Errorf("sfu: ICE server %q: want a stun:, stuns:, turn: or turns: URL", u)
			}
		}
	}
	return nil
}

// Server makes rooms that share one Pion API (codecs, ports, NAT settings).
type Server struct {
	api *webrtc.API
	ice []webrtc.ICEServer
	log *slog.Logger
}

// New returns a Server for cfg. It does no I/O: ports are taken as peers
// connect.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var se webrtc.SettingEngine
	if cfg.PortMin != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.PortMin, cfg.PortMax); err != nil {
			return nil, fmt.Errorf("sfu: port range: %w", err)
		}
	}
	if len(cfg.PublicIPs) > 0 {
		err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        cfg.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		})
		if err != nil {
			return nil, fmt.Errorf("sfu: public IPs: %w", err)
		}
	}
	se.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	// UDP over IPv4 and IPv6 only: media over TCP candidates would be slow,
	// and TURN over TLS covers networks that block UDP.
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})

	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, fmt.Errorf("sfu: codecs: %w", err)
	}
	servers := make([]webrtc.ICEServer, len(cfg.ICEServers))
	for i, ice := range cfg.ICEServers {
		servers[i] = webrtc.ICEServer{URLs: ice.URLs, Username: ice.Username, Credential: ice.Credential}
	}
	return &Server{
		api: webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithSettingEngine(se)),
		ice: servers,
		log: log,
	}, nil
}

// Policy decides who takes part in a room. The room asks it on every join,
// every published track and every track it would forward, and again for
// everyone when the caller calls Room.Recheck (consent withdrawn, a
// technician removed). It must answer quickly: it runs on media set-up paths.
type Policy interface {
	// MayJoin returns nil if peer may connect at all, or the reason not.
	MayJoin(ctx context.Context, peer string) error
	// MayPublish reports whether media sent by peer may be forwarded.
	MayPublish(ctx context.Context, peer string) bool
	// MayReceive reports whether peer may receive the media of from.
	MayReceive(ctx context.Context, peer, from string) bool
}

// ErrRefused is returned (wrapped with the policy's reason) when a peer may
// not join.
var ErrRefused = errors.New("sfu: refused")
