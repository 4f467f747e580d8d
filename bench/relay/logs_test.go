package relay_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
)

// logCounter counts what relaydesk logs at warning level and above, by
// process, component and message, for the summary under each table: a
// scenario that misses a target usually says why there. With -relay.log it
// also prints every line at that level.
type logCounter struct {
	mu     sync.Mutex
	counts map[string]int
	out    slog.Handler // nil: print nothing
}

func newLogCounter(w io.Writer, level string) *logCounter {
	c := &logCounter{counts: map[string]int{}}
	if level != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(level)); err == nil {
			c.out = slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})
		}
	}
	return c
}

// logger is the logger of process name.
func (c *logCounter) logger(name string) *slog.Logger {
	return slog.New(countingHandler{c: c, where: name}).With("proc", name)
}

// summary lists the counted lines, most frequent first.
func (c *logCounter) summary() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := slices.Collect(maps.Keys(c.counts))
	slices.SortFunc(keys, func(a, b string) int {
		if d := c.counts[b] - c.counts[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%6d× %s", c.counts[k], k)
	}
	return out
}

type countingHandler struct {
	c     *logCounter
	where string       // the process and the component or adapter
	next  slog.Handler // c.out with the attributes so far; nil when not printing
}

func (h countingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || (h.c.out != nil && h.c.out.Enabled(ctx, l))
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.c.mu.Lock()
		h.c.counts[fmt.Sprintf("%s %s: %s", r.Level, h.where, r.Message)]++
		h.c.mu.Unlock()
	}
	next := h.next
	if next == nil && h.c.out != nil {
		next = h.c.out
	}
	if next != nil && next.Enabled(ctx, r.Level) {
		return next.Handle(ctx, r)
	}
	return nil
}

func (h countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for _, a := range as {
		switch a.Key {
		case "component", "adapter", "destination":
			h.where += "/" + a.Value.String()
		}
	}
	if h.next == nil && h.c.out != nil {
		h.next = h.c.out
	}
	if h.next != nil {
		h.next = h.next.WithAttrs(as)
	}
	return h
}

func (h countingHandler) WithGroup(name string) slog.Handler {
	if h.next == nil && h.c.out != nil {
		h.next = h.c.out
	}
	if h.next != nil {
		h.next = h.next.WithGroup(name)
	}
	return h
}
