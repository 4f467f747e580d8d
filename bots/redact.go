package bots

import (
	"context"
	"log/slog"
	"strings"
)

// Redacting returns log with every occurrence of secret in a message or
// an attribute's value replaced by "<token>". A platform client's errors
// name the URL of the call, and some platforms (Telegram) put the bot
// token in every URL: a log line must never carry it, whoever wrote the
// line.
func Redacting(log *slog.Logger, secret string) *slog.Logger {
	if secret == "" {
		return log
	}
	return slog.New(redacting{h: log.Handler(), secret: secret})
}

type redacting struct {
	h      slog.Handler
	secret string
}

func (r redacting) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redacting) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, r.clean(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redacting) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = r.attr(a)
	}
	return redacting{h: r.h.WithAttrs(clean), secret: r.secret}
}

func (r redacting) WithGroup(name string) slog.Handler {
	return redacting{h: r.h.WithGroup(name), secret: r.secret}
}

func (r redacting) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = r.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindString, slog.KindAny:
		if s := v.String(); strings.Contains(s, r.secret) {
			return slog.String(a.Key, r.clean(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (r redacting) clean(s string) string { return strings.ReplaceAll(s, r.secret, "<token>") }
