// Command relaydesk runs a relaydesk support desk (serve), manages its
// schema (migrate) and lets an operator set it up (admin). Run it with no
// arguments for the list of commands.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/relaydesk/relaydesk/web/cobrowse"
)

// version is the release, set at build time with
// -ldflags "-X main.version=v1.2.3". It is the one package-level variable,
// because the linker can set nothing else.
var version = "dev"

func main() {
	// SIGINT (Ctrl-C) and SIGTERM (systemd, docker stop, Kubernetes) both
	// end ctx: serve then shuts down cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	code := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main is the relaydesk program. main runs it on the process's standard
// streams and environment; tests run it in-process with their own, exactly
// as a user would run the binary.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(key string) (string, bool)
	// EnvFile is the .env file read if it exists; "" means ".env" in the
	// working directory.
	EnvFile string
	// OnListen, if set, is called with the HTTP listener's address as soon
	// as serve listens: with HTTP_ADDR=127.0.0.1:0 tests learn the port.
	OnListen func(addr string)
	// OnCobrowseFrame, if set, is handed every co-browsing frame a browser
	// sent, before it is checked: tests see what reached the server.
	OnCobrowseFrame func(who cobrowse.Who, data []byte)
}

// Exit codes. Usage errors are the caller's to fix before trying again.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// Run runs the command named by args (without the program name) until it
// finishes or ctx ends, and returns the process exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if m.Stdin == nil {
		m.Stdin = eofReader{}
	}
	if m.Stdout == nil {
		m.Stdout = io.Discard
	}
	if m.Stderr == nil {
		m.Stderr = io.Discard
	}
	if m.LookupEnv == nil {
		m.LookupEnv = os.LookupEnv
	}
	if m.EnvFile == "" {
		m.EnvFile = ".env"
	}
	return m.run(ctx, commands(), "relaydesk", args)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
