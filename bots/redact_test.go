package bots

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestRedacting(t *testing.T) {
	const token = "123456:AAE-secret-token"
	var buf bytes.Buffer
	log := Redacting(slog.New(slog.NewTextHandler(&buf, nil)), token)
	err := fmt.Errorf("send: %w", errors.New(`Post "https://api.telegram.org/bot`+token+`/sendMessage": dial tcp: refused`))
	log.With("bot", token).WithGroup("call").Warn("failed for "+token, "err", err, "url", "https://x/bot"+token,
		slog.Group("req", "path", "/bot"+token+"/getMe"), "n", 3)
	out := buf.String()
	if strings.Contains(out, token) || strings.Contains(out, "AAE-secret") {
		t.Fatalf("the token reached the log:\n%s", out)
	}
	for _, want := range []string{"bot<token>/sendMessage", "failed for <token>", "call.n=3", "/bot<token>/getMe"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}
