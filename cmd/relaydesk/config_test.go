package main_test

import (
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	main "github.com/relaydesk/relaydesk/cmd/relaydesk"
	"github.com/relaydesk/relaydesk/core/sqlstore"
)

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c main.Config)
	}{
		{
			name: "no settings: SQLite under ./data on loopback, every adapter off",
			env:  nil,
			check: func(t *testing.T, c main.Config) {
				want := main.Config{
					DatabaseURL:         sqlstore.DefaultURL,
					DatabaseDefault:     true,
					HTTPAddr:            "127.0.0.1:8080",
					PublicURL:           "http://127.0.0.1:8080",
					PublicURLDefault:    true,
					DataDir:             "data",
					LogLevel:            slog.LevelInfo,
					LogFormat:           "text",
					DeliveryConcurrency: main.DefaultDeliveryConcurrency,
					DeliveryPoll:        main.DefaultDeliveryPoll,
					Files:               main.FilesConfig{Store: main.FilesDir, Dir: "data/files", S3: main.S3Config{Endpoint: main.DefaultS3Endpoint}},
					Slack:               main.SlackConfig{APIURL: "https://slack.com/api/"},
					Discord:             main.DiscordConfig{APIURL: "https://discord.com/api/v10"},
					Telegram:            main.TelegramConfig{APIURL: "https://api.telegram.org"},
					WebRTC:              main.WebRTCConfig{Loopback: true},
				}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("got  %+v\nwant %+v", c, want)
				}
			},
		},
		{
			name: "PostgreSQL URL is kept as given",
			env:  map[string]string{"DATABASE_URL": "postgres://desk:pw@db.internal:5432/relaydesk?sslmode=require"},
			check: func(t *testing.T, c main.Config) {
				if c.DatabaseURL != "postgres://desk:pw@db.internal:5432/relaydesk?sslmode=require" {
					t.Errorf("DatabaseURL = %q", c.DatabaseURL)
				}
				if c.DatabaseDefault {
					t.Error("DatabaseDefault is true with DATABASE_URL set")
				}
			},
		},
		{
			name: "all interfaces: the default public URL names localhost",
			env:  map[string]string{"HTTP_ADDR": ":9000"},
			check: func(t *testing.T, c main.Config) {
				if c.HTTPAddr != ":9000" || c.PublicURL != "http://localhost:9000" {
					t.Errorf("HTTPAddr %q, PublicURL %q", c.HTTPAddr, c.PublicURL)
				}
			},
		},
		{
			name: "public URL loses its trailing slash",
			env:  map[string]string{"PUBLIC_URL": "https://help.example.com/desk/"},
			check: func(t *testing.T, c main.Config) {
				if c.PublicURL != "https://help.example.com/desk" {
					t.Errorf("PublicURL = %q", c.PublicURL)
				}
			},
		},
		{
			name: "platform URLs for fakes and self-hosted gateways",
			env: map[string]string{"SLACK_API_URL": "http://127.0.0.1:1/api/", "DISCORD_API_URL": "http://127.0.0.1:2",
				"TELEGRAM_API_URL": "http://127.0.0.1:3"},
			check: func(t *testing.T, c main.Config) {
				if c.Slack.APIURL != "http://127.0.0.1:1/api/" || c.Discord.APIURL != "http://127.0.0.1:2" ||
					c.Telegram.APIURL != "http://127.0.0.1:3" {
					t.Errorf("API URLs %q %q %q", c.Slack.APIURL, c.Discord.APIURL, c.Telegram.APIURL)
				}
			},
		},
		{
			name: "an adapter is on exactly when its bot token is set",
			env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "sig",
				"DISCORD_APP_ID": "123", "TELEGRAM_BOT_TOKEN": "  ", "TELEGRAM_WEBHOOK_SECRET": "wh"},
			check: func(t *testing.T, c main.Config) {
				if !c.Slack.Enabled() || c.Discord.Enabled() || c.Telegram.Enabled() {
					t.Errorf("enabled: slack %v discord %v telegram %v; want true false false",
						c.Slack.Enabled(), c.Discord.Enabled(), c.Telegram.Enabled())
				}
				if string(c.Slack.BotToken) != "xoxb-1" || string(c.Slack.SigningSecret) != "sig" || c.Discord.AppID != "123" {
					t.Errorf("slack %+v discord %+v", c.Slack, c.Discord)
				}
			},
		},
		{
			name: "Slack over Socket Mode needs no signing secret",
			env:  map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A1-2"},
			check: func(t *testing.T, c main.Config) {
				if !c.Slack.Enabled() || !c.Slack.SocketMode() || c.Slack.SigningSecret != "" {
					t.Errorf("slack: enabled %v socket mode %v", c.Slack.Enabled(), c.Slack.SocketMode())
				}
			},
		},
		{
			name: "Telegram: token, webhook secret and the company a bare /start maps to",
			env: map[string]string{"TELEGRAM_BOT_TOKEN": "123456789:AAH-abc_DEF", "TELEGRAM_WEBHOOK_SECRET": "s3cret-_x",
				"TELEGRAM_COMPANY": "acme"},
			check: func(t *testing.T, c main.Config) {
				want := main.TelegramConfig{APIURL: "https://api.telegram.org", BotToken: "123456789:AAH-abc_DEF",
					WebhookSecret: "s3cret-_x", Company: "acme"}
				if !c.Telegram.Enabled() || c.Telegram != want {
					t.Errorf("got %#v", c.Telegram)
				}
			},
		},
		{
			name: "Discord: bot token, application ID and, for HTTP interactions, the public key",
			env: map[string]string{"DISCORD_BOT_TOKEN": "MTE4.fake.discord-token", "DISCORD_APP_ID": "775799577604522054",
				"DISCORD_PUBLIC_KEY": strings.Repeat("ab", 32)},
			check: func(t *testing.T, c main.Config) {
				want := main.DiscordConfig{APIURL: "https://discord.com/api/v10", BotToken: "MTE4.fake.discord-token",
					AppID: "775799577604522054", PublicKey: strings.Repeat("ab", 32)}
				if !c.Discord.Enabled() || !c.Discord.Interactions() || c.Discord != want {
					t.Errorf("got %#v", c.Discord)
				}
			},
		},
		{
			name: "Discord without a public key: the gateway alone",
			env:  map[string]string{"DISCORD_BOT_TOKEN": "MTE4.fake.discord-token", "DISCORD_APP_ID": "1"},
			check: func(t *testing.T, c main.Config) {
				if !c.Discord.Enabled() || c.Discord.Interactions() {
					t.Errorf("enabled %v, interactions %v", c.Discord.Enabled(), c.Discord.Interactions())
				}
			},
		},
		{
			name: "secrets never print",
			env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-very-secret", "SLACK_SIGNING_SECRET": "sign-secret", "TELEGRAM_WEBHOOK_SECRET": "hush-hush",
				"DISCORD_BOT_TOKEN": "discord-very-secret", "DISCORD_APP_ID": "1"},
			check: func(t *testing.T, c main.Config) {
				var b strings.Builder
				fmt.Fprintf(&b, "%v %+v %#v %s", c, c, c, c.Slack.BotToken)
				slog.New(slog.NewTextHandler(&b, nil)).Info("config", "cfg", c, "token", c.Slack.BotToken)
				if out := b.String(); strings.Contains(out, "very-secret") || strings.Contains(out, "hush") {
					t.Errorf("a secret leaked: %s", out)
				}
			},
		},
		{
			name: "log level and JSON format",
			env:  map[string]string{"LOG_LEVEL": "DEBUG", "LOG_FORMAT": "JSON"},
			check: func(t *testing.T, c main.Config) {
				if c.LogLevel != slog.LevelDebug || c.LogFormat != "json" {
					t.Errorf("LogLevel %v, LogFormat %q", c.LogLevel, c.LogFormat)
				}
			},
		},
		{
			name: "delivery concurrency",
			env:  map[string]string{"DELIVERY_CONCURRENCY": " 8 "},
			check: func(t *testing.T, c main.Config) {
				if c.DeliveryConcurrency != 8 {
					t.Errorf("DeliveryConcurrency %d", c.DeliveryConcurrency)
				}
			},
		},
		{
			name: "delivery poll interval",
			env:  map[string]string{"DELIVERY_POLL_INTERVAL": " 250ms "},
			check: func(t *testing.T, c main.Config) {
				if c.DeliveryPoll != 250*time.Millisecond {
					t.Errorf("DeliveryPoll %s", c.DeliveryPoll)
				}
			},
		},
		{
			name: "WebRTC: ICE servers, public IPs and a UDP range; media on loopback only for a local PUBLIC_URL",
			env: map[string]string{"WEBRTC_ICE_SERVERS": "stun:stun.example.com:3478, turns:turn.example.com:5349?transport=tcp",
				"WEBRTC_TURN_SECRET": "t0p", "WEBRTC_PUBLIC_IP": "203.0.113.10", "WEBRTC_UDP_PORTS": "50000-50999",
				"PUBLIC_URL": "https://help.example.com"},
			check: func(t *testing.T, c main.Config) {
				want := main.WebRTCConfig{ICEServers: []string{"stun:stun.example.com:3478", "turns:turn.example.com:5349?transport=tcp"},
					TURNSecret: "t0p", PublicIPs: []string{"203.0.113.10"}, PortMin: 50000, PortMax: 50999}
				if !reflect.DeepEqual(c.WebRTC, want) {
					t.Errorf("WebRTC %+v\nwant %+v", c.WebRTC, want)
				}
			},
		},
		{
			name: "trusted proxies as addresses and prefixes",
			env:  map[string]string{"TRUSTED_PROXIES": " 10.1.2.3/8 ,127.0.0.1, ::1"},
			check: func(t *testing.T, c main.Config) {
				got := fmt.Sprint(c.TrustedProxies)
				if got != "[10.0.0.0/8 127.0.0.1/32 ::1/128]" {
					t.Errorf("TrustedProxies = %s", got)
				}
			},
		},
		{
			name: "files: in DATA_DIR/files on SQLite, in the database on PostgreSQL",
			env:  map[string]string{"DATA_DIR": "/var/lib/relaydesk"},
			check: func(t *testing.T, c main.Config) {
				if c.Files.Store != main.FilesDir || c.Files.Dir != "/var/lib/relaydesk/files" {
					t.Errorf("Files = %+v", c.Files)
				}
				pg, err := main.LoadConfig(getenv(map[string]string{"DATABASE_URL": "postgres://db/desk", "DATA_DIR": "/var/lib/relaydesk"}))
				if err != nil || pg.Files.Store != main.FilesPostgres {
					t.Errorf("on PostgreSQL Files = %+v, %v", pg.Files, err)
				}
			},
		},
		{
			name: "files: FILES_URL names a directory, the database or a bucket",
			env:  map[string]string{"DATABASE_URL": "postgres://db/desk"},
			check: func(t *testing.T, c main.Config) {
				path, virtual := true, false
				for _, tc := range []struct {
					env  map[string]string
					want main.FilesConfig
				}{
					{map[string]string{"FILES_URL": "file:///srv/relaydesk/files/"},
						main.FilesConfig{Store: main.FilesDir, Dir: "/srv/relaydesk/files"}},
					{map[string]string{"FILES_URL": "file:shared/files"}, main.FilesConfig{Store: main.FilesDir, Dir: "shared/files"}},
					{map[string]string{"FILES_URL": "postgres"}, main.FilesConfig{Store: main.FilesPostgres}},
					{map[string]string{"FILES_URL": "s3://desk-files"}, main.FilesConfig{Store: main.FilesS3,
						S3: main.S3Config{Bucket: "desk-files"}}},
					{map[string]string{"FILES_URL": "s3://desk-files/relaydesk/prod/", "FILES_S3_ENDPOINT": "http://minio.internal:9000/",
						"FILES_S3_REGION": "eu-1", "FILES_S3_ACCESS_KEY": "AKIDEXAMPLE", "FILES_S3_SECRET_KEY": "wJalr-secret",
						"FILES_S3_PATH_STYLE": "true"},
						main.FilesConfig{Store: main.FilesS3, S3: main.S3Config{Bucket: "desk-files", Prefix: "relaydesk/prod/",
							Endpoint: "http://minio.internal:9000", Region: "eu-1", AccessKey: "AKIDEXAMPLE", SecretKey: "wJalr-secret", PathStyle: &path}}},
					{map[string]string{"FILES_URL": "s3://desk-files", "FILES_S3_PATH_STYLE": "false"},
						main.FilesConfig{Store: main.FilesS3, S3: main.S3Config{Bucket: "desk-files", PathStyle: &virtual}}},
				} {
					tc.env["DATABASE_URL"] = c.DatabaseURL
					got, err := main.LoadConfig(getenv(tc.env))
					if err != nil {
						t.Errorf("%v: %v", tc.env, err)
						continue
					}
					if tc.want.S3.Endpoint == "" {
						tc.want.S3.Endpoint = main.DefaultS3Endpoint
					}
					if !reflect.DeepEqual(got.Files, tc.want) {
						t.Errorf("%v:\ngot  %+v\nwant %+v", tc.env, got.Files, tc.want)
					}
				}
			},
		},
		{
			name: "files: the S3 secret key never prints",
			env: map[string]string{"FILES_URL": "s3://desk-files", "FILES_S3_ACCESS_KEY": "AKIDEXAMPLE",
				"FILES_S3_SECRET_KEY": "wJalrXUtnFEMI-very-secret"},
			check: func(t *testing.T, c main.Config) {
				var b strings.Builder
				fmt.Fprintf(&b, "%v %+v %#v %s", c, c, c, c.Files)
				slog.New(slog.NewTextHandler(&b, nil)).Info("config", "cfg", c, "files", c.Files)
				if out := b.String(); strings.Contains(out, "very-secret") {
					t.Errorf("the secret key leaked: %s", out)
				}
			},
		},
		{
			name: "port 0 lets the system pick, for tests",
			env:  map[string]string{"HTTP_ADDR": "127.0.0.1:0"},
			check: func(t *testing.T, c main.Config) {
				if c.HTTPAddr != "127.0.0.1:0" {
					t.Errorf("HTTPAddr = %q", c.HTTPAddr)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := main.LoadConfig(getenv(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadConfigRejects(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"HTTP_ADDR without a port", map[string]string{"HTTP_ADDR": "localhost"}, []string{"HTTP_ADDR", "host:port"}},
		{"HTTP_ADDR with a word for a port", map[string]string{"HTTP_ADDR": "127.0.0.1:http"}, []string{"HTTP_ADDR", "port"}},
		{"HTTP_ADDR port out of range", map[string]string{"HTTP_ADDR": ":70000"}, []string{"HTTP_ADDR", "0 to 65535"}},
		{"PUBLIC_URL without a scheme", map[string]string{"PUBLIC_URL": "help.example.com"}, []string{"PUBLIC_URL", "absolute"}},
		{"PUBLIC_URL with another scheme", map[string]string{"PUBLIC_URL": "ftp://help.example.com"}, []string{"PUBLIC_URL", "http"}},
		{"PUBLIC_URL with a query", map[string]string{"PUBLIC_URL": "https://help.example.com/?x=1"}, []string{"PUBLIC_URL", "query"}},
		{"SLACK_API_URL relative", map[string]string{"SLACK_API_URL": "/api"}, []string{"SLACK_API_URL"}},
		{"TRUSTED_PROXIES with a host name", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"}, []string{"TRUSTED_PROXIES", "proxy.internal"}},
		{"DATABASE_URL of another database", map[string]string{"DATABASE_URL": "mysql://root@db/desk"}, []string{"DATABASE_URL", "postgres://"}},
		{"unknown LOG_LEVEL", map[string]string{"LOG_LEVEL": "loud"}, []string{"LOG_LEVEL", "debug, info, warn or error"}},
		{"no concurrency", map[string]string{"DELIVERY_CONCURRENCY": "0"}, []string{"DELIVERY_CONCURRENCY", "1 to 1000"}},
		{"ICE server of another scheme", map[string]string{"WEBRTC_ICE_SERVERS": "http://stun.example.com"}, []string{"WEBRTC_ICE_SERVERS", "stun:"}},
		{"ICE server without a host", map[string]string{"WEBRTC_ICE_SERVERS": "stun:"}, []string{"WEBRTC_ICE_SERVERS", "host"}},
		{"TURN without its secret", map[string]string{"WEBRTC_ICE_SERVERS": "turn:turn.example.com"}, []string{"WEBRTC_TURN_SECRET", "static-auth-secret"}},
		{"public IP that is a name", map[string]string{"WEBRTC_PUBLIC_IP": "vm.example.com"}, []string{"WEBRTC_PUBLIC_IP", "not an IP"}},
		{"UDP range upside down", map[string]string{"WEBRTC_UDP_PORTS": "50999-50000"}, []string{"WEBRTC_UDP_PORTS", "lowest first"}},
		{"UDP range of one number", map[string]string{"WEBRTC_UDP_PORTS": "50000"}, []string{"WEBRTC_UDP_PORTS", "50000-50999"}},
		{"concurrency not a number", map[string]string{"DELIVERY_CONCURRENCY": "lots"}, []string{"DELIVERY_CONCURRENCY", "1 to 1000"}},
		{"poll interval without a unit", map[string]string{"DELIVERY_POLL_INTERVAL": "5"}, []string{"DELIVERY_POLL_INTERVAL", "10ms to 1h"}},
		{"poll interval too short", map[string]string{"DELIVERY_POLL_INTERVAL": "1ms"}, []string{"DELIVERY_POLL_INTERVAL", "10ms to 1h"}},
		{"unknown LOG_FORMAT", map[string]string{"LOG_FORMAT": "xml"}, []string{"LOG_FORMAT", "text or json"}},
		{"TELEGRAM_BOT_TOKEN not from BotFather", map[string]string{"TELEGRAM_BOT_TOKEN": "xoxb-leaked-slack-token"},
			[]string{"TELEGRAM_BOT_TOKEN", "@BotFather"}},
		{"TELEGRAM_WEBHOOK_SECRET with characters Telegram refuses", map[string]string{"TELEGRAM_WEBHOOK_SECRET": "pass word!"},
			[]string{"TELEGRAM_WEBHOOK_SECRET", "letters, digits"}},
		{"TELEGRAM_COMPANY that is no URL name", map[string]string{"TELEGRAM_COMPANY": "Acme Corp"},
			[]string{"TELEGRAM_COMPANY", "URL name"}},
		{"SLACK_BOT_TOKEN that is a user token", map[string]string{"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "s"},
			[]string{"SLACK_BOT_TOKEN", "xoxb-"}},
		{"SLACK_BOT_TOKEN without SLACK_SIGNING_SECRET", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"},
			[]string{"SLACK_SIGNING_SECRET", "required"}},
		{"SLACK_APP_TOKEN that is a bot token", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xoxb-2"},
			[]string{"SLACK_APP_TOKEN", "xapp-"}},
		{"DISCORD_BOT_TOKEN without DISCORD_APP_ID", map[string]string{"DISCORD_BOT_TOKEN": "MTE4.secret-discord-token"},
			[]string{"DISCORD_APP_ID", "required"}},
		{"DISCORD_APP_ID that is no snowflake", map[string]string{"DISCORD_BOT_TOKEN": "MTE4.secret-discord-token", "DISCORD_APP_ID": "relaydesk"},
			[]string{"DISCORD_APP_ID", "digits"}},
		{"DISCORD_PUBLIC_KEY that is not 64 hex digits", map[string]string{"DISCORD_BOT_TOKEN": "MTE4.secret-discord-token", "DISCORD_APP_ID": "1",
			"DISCORD_PUBLIC_KEY": "xyz"}, []string{"DISCORD_PUBLIC_KEY", "64 hex digits"}},
		{"DISCORD_API_URL relative", map[string]string{"DISCORD_API_URL": "/api/v10"}, []string{"DISCORD_API_URL"}},
		{"FILES_URL of an unknown kind", map[string]string{"FILES_URL": "ftp://files.example.com/desk"},
			[]string{"FILES_URL", "file:///path, postgres or s3://bucket/prefix"}},
		{"FILES_URL=postgres on SQLite", map[string]string{"FILES_URL": "postgres"}, []string{"FILES_URL", "SQLite"}},
		{"FILES_URL with keys in it", map[string]string{"FILES_URL": "s3://AKID:wJalr-secret@desk-files/x"},
			[]string{"FILES_URL", "FILES_S3_SECRET_KEY"}},
		{"FILES_URL with a bucket S3 refuses", map[string]string{"FILES_URL": "s3://Desk_Files"}, []string{"FILES_URL", "bucket"}},
		{"FILES_URL naming a remote file host", map[string]string{"FILES_URL": "file://nas/desk"}, []string{"FILES_URL", "file:///"}},
		{"FILES_S3_ENDPOINT without a scheme", map[string]string{"FILES_URL": "s3://desk-files", "FILES_S3_ENDPOINT": "minio:9000"},
			[]string{"FILES_S3_ENDPOINT", "http"}},
		{"FILES_S3_ENDPOINT with the bucket in it", map[string]string{"FILES_S3_ENDPOINT": "https://s3.amazonaws.com/desk-files"},
			[]string{"FILES_S3_ENDPOINT", "FILES_URL"}},
		{"FILES_S3_SECRET_KEY without its access key", map[string]string{"FILES_S3_SECRET_KEY": "wJalr-secret"},
			[]string{"FILES_S3_ACCESS_KEY", "both"}},
		{"FILES_S3_PATH_STYLE not a boolean", map[string]string{"FILES_S3_PATH_STYLE": "path"}, []string{"FILES_S3_PATH_STYLE", "true"}},
		{"every problem at once", map[string]string{"HTTP_ADDR": "nope", "PUBLIC_URL": "nope", "LOG_FORMAT": "xml"},
			[]string{"HTTP_ADDR", "PUBLIC_URL", "LOG_FORMAT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := main.LoadConfig(getenv(tt.env))
			if err == nil {
				t.Fatalf("LoadConfig accepted it: %+v", c)
			}
			for _, k := range []string{"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_BOT_TOKEN",
				"FILES_S3_SECRET_KEY"} {
				if v := tt.env[k]; v != "" && strings.Contains(err.Error(), v) {
					t.Errorf("the error repeats the secret %s: %v", k, err)
				}
			}
			if strings.Contains(err.Error(), "wJalr-secret") {
				t.Errorf("the error repeats a secret key: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
