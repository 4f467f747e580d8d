package main_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestDiscordUnreachableAtStart: Discord answers nothing but 503 when serve
// starts (neither the command registration nor the gateway URL). serve
// does not exit: the widget's portal serves, a signed interaction is
// answered, /readyz stays ready and says the gateway is connecting; once
// Discord is back, the gateway connects and /readyz says ok.
func TestDiscordUnreachableAtStart(t *testing.T) {
	t.Parallel()
	const (
		token = "MTE4.outage-test-discord-token-never-logged"
		appID = "775799577604522055"
	)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	dc := discordtest.New(t, token)
	down := make([]discordtest.Failure, 50)
	for i := range down {
		down[i] = discordtest.Failure{Status: http.StatusServiceUnavailable}
	}
	dc.Fail("gateway", down...)
	dc.Fail("commands", down...)

	p := newProgram(t, backends()[0].url(t))
	p.env["HTTP_ADDR"] = "127.0.0.1:0"
	p.env["DISCORD_BOT_TOKEN"] = token
	p.env["DISCORD_APP_ID"] = appID
	p.env["DISCORD_PUBLIC_KEY"] = hex.EncodeToString(pub)
	p.env["DISCORD_API_URL"] = dc.URL
	if code, _, errs := p.run("", "admin", "company", "create", "--name", "Acme", "--slug", "acme"); code != 0 {
		t.Fatalf("company create: exit %d\n%s", code, errs)
	}
	srv := p.serve()

	readiness := func() (int, map[string]string) {
		res, err := http.Get(srv.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			Platforms map[string]string `json:"platforms"`
		}
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.Platforms
	}
	testwait.Eventually(t, "/readyz to say the gateway is connecting", func() bool {
		code, ps := readiness()
		return code == http.StatusOK && strings.HasPrefix(ps["discord"], "connecting: ")
	})

	res, err := http.Get(srv.base + "/c/acme")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "Acme") {
		t.Errorf("the portal answered %d while Discord was down:\n%.300s", res.StatusCode, page)
	}
	help, _ := json.Marshal(map[string]any{"id": "1180000000000000009", "application_id": appID, "type": 2, "token": "tok",
		"version": 1, "channel_id": "645027906669510667", "guild_id": "290926798626357999",
		"member": map[string]any{"user": map[string]any{"id": "53908232506183680", "username": "alice"}},
		"data": map[string]any{"id": "900", "name": "support", "type": 1,
			"options": []any{map[string]any{"type": 1, "name": "help"}}}})
	if code, body := discordtest.Post(t, srv.base+"/discord/interactions", priv, help); code != http.StatusOK ||
		!strings.Contains(body, "/support") {
		t.Errorf("a signed interaction got %d %s while Discord was down", code, body)
	}

	dc.Recover("gateway")
	dc.Recover("commands")
	dc.WaitConnected(t)
	testwait.Eventually(t, "/readyz to say the gateway is ok", func() bool {
		_, ps := readiness()
		return ps["discord"] == "ok"
	})
	if strings.Contains(srv.log.String(), token) {
		t.Error("the bot token reached the log")
	}
}
