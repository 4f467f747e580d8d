package widget

import "strings"

// Agent is what a User-Agent header says of a customer's device. Fields
// relaydesk cannot tell are empty.
type Agent struct {
	Device  string // "desktop", "mobile", "tablet"
	OS      string // "Windows", "macOS", "iOS", "iPadOS", "Android", "Linux", "ChromeOS"
	Browser string // "Chrome", "Edge", "Firefox", "Safari", "Opera", "Samsung Internet"
}

// ParseUserAgent recognises the common operating systems and browsers in a
// User-Agent header. It reads only well-known product tokens: a header is
// the client's claim, good enough for a technician's first guess, and the
// customer may correct it by sharing their system information.
func ParseUserAgent(ua string) Agent {
	var a Agent
	a.OS = osOf(ua)
	a.Browser = browserOf(ua)
	a.Device = deviceOf(ua, a.OS)
	return a
}

// osOf tests the more specific platforms first: Android agents say
// "Linux", iOS agents say "like Mac OS X", ChromeOS agents say "X11".
func osOf(ua string) string {
	switch {
	case strings.Contains(ua, "iPad"):
		return "iPadOS"
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPod"):
		return "iOS"
	case strings.Contains(ua, "Android"):
		return "Android"
	case strings.Contains(ua, "CrOS"):
		return "ChromeOS"
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "Macintosh"), strings.Contains(ua, "Mac OS X"):
		return "macOS"
	case strings.Contains(ua, "Linux"), strings.Contains(ua, "X11"):
		return "Linux"
	}
	return ""
}

// browserOf tests the browsers built on Chromium or WebKit before the
// engines they name: Edge, Opera and Samsung Internet all say "Chrome", and
// every browser on iOS says "Safari".
func browserOf(ua string) string {
	has := func(tokens ...string) bool {
		for _, t := range tokens {
			if strings.Contains(ua, t) {
				return true
			}
		}
		return false
	}
	switch {
	case has("SamsungBrowser/"):
		return "Samsung Internet"
	case has("OPR/", "OPT/", "OPiOS/", "Opera"):
		return "Opera"
	case has("Edg/", "EdgA/", "EdgiOS/", "Edge/"):
		return "Edge"
	case has("Firefox/", "FxiOS/"):
		return "Firefox"
	case has("Chrome/", "CriOS/", "HeadlessChrome/", "Chromium/"):
		return "Chrome"
	case has("Safari/") && has("Version/"):
		return "Safari"
	}
	return ""
}

func deviceOf(ua, os string) string {
	switch {
	case os == "iPadOS", strings.Contains(ua, "Tablet"), strings.Contains(ua, "Kindle"), strings.Contains(ua, "Silk/"):
		return "tablet"
	case os == "Android" && !strings.Contains(ua, "Mobile"):
		return "tablet" // Android phones say "Mobile"; tablets do not
	case os == "iOS", os == "Android", strings.Contains(ua, "Mobi"):
		return "mobile"
	case os != "":
		return "desktop"
	}
	return ""
}
