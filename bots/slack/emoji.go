package slack

import (
	"strconv"
	"strings"

	"github.com/kyokomi/emoji/v2"
)

// emojiCodes are the short codes of emoji Slack writes (:white_check_mark:),
// as a maintained table has them: the names of the Unicode emoji and
// GitHub's and Slack's aliases.
var emojiCodes = emoji.CodeMap()

// slackOnly are short codes Slack knows that the table does not.
var slackOnly = map[string]string{
	"simple_smile": "🙂",
}

// emojiOf is the emoji a short code names, without its colons
// ("white_check_mark", "+1::skin-tone-3"); false for a custom emoji or a
// code nobody knows.
func emojiOf(name string) (string, bool) {
	name, tone, _ := strings.Cut(name, "::")
	e, ok := emojiCodes[":"+name+":"]
	if !ok {
		e, ok = slackOnly[name]
	}
	if ok && tone != "" {
		e += emojiCodes[":"+tone+":"] // skin-tone-2 to -6: the modifier, or nothing
	}
	return e, ok
}

// emojiUnicode is an emoji given as Slack's rich text gives it, its code
// points in hex joined by dashes ("1f44d-1f3fb"); false when it is not.
func emojiUnicode(hex string) (string, bool) {
	var b strings.Builder
	for _, h := range strings.Split(hex, "-") {
		r, err := strconv.ParseUint(h, 16, 32)
		if err != nil || r == 0 || r > 0x10FFFF || r >= 0xD800 && r <= 0xDFFF {
			return "", false
		}
		b.WriteRune(rune(r))
	}
	return b.String(), true
}

// emojiName is the length of the emoji short code at the start of s
// (":smile:", ":+1::skin-tone-2:"), 0 for none: a name of Slack's
// characters between colons.
func emojiName(s string) int {
	n := codeAt(s)
	if n > 0 && strings.HasPrefix(s[n:], ":skin-tone-") {
		if m := codeAt(s[n:]); m > 0 {
			n += m
		}
	}
	return n
}

func codeAt(s string) int {
	if len(s) < 3 || s[0] != ':' {
		return 0
	}
	for i := 1; i < len(s) && i <= 100; i++ {
		c := s[i]
		switch {
		case c == ':' && i > 1:
			return i + 1
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-', c == '+', c == '\'':
		default:
			return 0
		}
	}
	return 0
}
