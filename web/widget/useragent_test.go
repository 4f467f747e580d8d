package widget_test

import (
	"testing"

	"github.com/relaydesk/relaydesk/web/widget"
)

func TestParseUserAgent(t *testing.T) {
	tests := []struct {
		name, ua string
		want     widget.Agent
	}{
		{"Chrome on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
			widget.Agent{"desktop", "Windows", "Chrome"}},
		{"Edge on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
			widget.Agent{"desktop", "Windows", "Edge"}},
		{"Firefox on Windows", firefox, widget.Agent{"desktop", "Windows", "Firefox"}},
		{"Opera on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 OPR/111.0.0.0",
			widget.Agent{"desktop", "Windows", "Opera"}},
		{"Safari on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
			widget.Agent{"desktop", "macOS", "Safari"}},
		{"Chrome on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
			widget.Agent{"desktop", "macOS", "Chrome"}},
		{"Firefox on Linux", "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
			widget.Agent{"desktop", "Linux", "Firefox"}},
		{"headless Chromium on Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
			widget.Agent{"desktop", "Linux", "Chrome"}},
		{"Chrome on ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
			widget.Agent{"desktop", "ChromeOS", "Chrome"}},
		{"Safari on iPhone", iphone, widget.Agent{"mobile", "iOS", "Safari"}},
		{"Chrome on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
			widget.Agent{"mobile", "iOS", "Chrome"}},
		{"Firefox on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15",
			widget.Agent{"mobile", "iOS", "Firefox"}},
		{"Edge on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/126.2592.86 Mobile/15E148 Safari/605.1.15",
			widget.Agent{"mobile", "iOS", "Edge"}},
		{"Safari on iPad", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			widget.Agent{"tablet", "iPadOS", "Safari"}},
		{"Chrome on an Android phone", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36",
			widget.Agent{"mobile", "Android", "Chrome"}},
		{"Chrome on an Android tablet", "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Safari/537.36",
			widget.Agent{"tablet", "Android", "Chrome"}},
		{"Samsung Internet", "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
			widget.Agent{"mobile", "Android", "Samsung Internet"}},
		{"Firefox on an Android phone", "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0",
			widget.Agent{"mobile", "Android", "Firefox"}},
		{"Firefox on an Android tablet", "Mozilla/5.0 (Android 14; Tablet; rv:127.0) Gecko/127.0 Firefox/127.0",
			widget.Agent{"tablet", "Android", "Firefox"}},
		{"Opera on Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 OPR/83.0.0.0",
			widget.Agent{"mobile", "Android", "Opera"}},
		{"Android web view without a browser name", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36",
			widget.Agent{"mobile", "Android", ""}},
		{"curl", "curl/8.5.0", widget.Agent{}},
		{"empty", "", widget.Agent{}},
		{"nonsense", "Mozilla/5.0 (compatible; Whatever/1.0)", widget.Agent{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := widget.ParseUserAgent(tc.ua); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
