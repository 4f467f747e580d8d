package web

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
)

// clientListener caps how many connections one client address holds open
// at once: past max, a new connection from it is closed as soon as it is
// accepted, so one client cannot take all the server's connections (or
// file descriptors). Addresses for which exempt is true (trusted reverse
// proxies, which carry everyone's connections) are not capped. It also
// logs accept errors, which http.Server reports only at its ErrorLog's
// level.
type clientListener struct {
	net.Listener
	max    int
	exempt func(netip.Addr) bool
	log    *slog.Logger

	mu    sync.Mutex
	conns map[netip.Addr]int
}

func newClientListener(ln net.Listener, max int, exempt func(netip.Addr) bool, log *slog.Logger) *clientListener {
	return &clientListener{Listener: ln, max: max, exempt: exempt, log: log, conns: map[netip.Addr]int{}}
}

// Accept returns the next connection whose client is under the cap.
func (l *clientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				l.log.Warn("accept a connection", "err", err)
			}
			return nil, err
		}
		addr := clientAddr(c.RemoteAddr())
		if !addr.IsValid() || (l.exempt != nil && l.exempt(addr)) {
			return c, nil
		}
		l.mu.Lock()
		n := l.conns[addr]
		if n < l.max {
			l.conns[addr] = n + 1
		}
		l.mu.Unlock()
		if n >= l.max {
			l.log.Debug("too many connections from one client; closed a new one", "client", addr.String(), "max", l.max)
			c.Close()
			continue
		}
		return &countedConn{Conn: c, release: func() { l.release(addr) }}, nil
	}
}

func (l *clientListener) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[addr] <= 1 {
		delete(l.conns, addr)
	} else {
		l.conns[addr]--
	}
}

// clientAddr is the IP address of a connection's peer; IPv4-mapped IPv6
// addresses count as the IPv4 address they map.
func clientAddr(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// countedConn gives its client's place back once, when it is closed:
// before the connection closes, so that the client, seeing it closed, may
// open another at once.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// ReadFrom and CloseWrite reach the TCP connection's own, which http.Server
// uses (sendfile for files, a clean close) when the connection has them.
func (c *countedConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

func (c *countedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
