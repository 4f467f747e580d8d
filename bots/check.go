package bots

// Finding is one thing `relaydesk check` verified of a platform before
// going live.
type Finding struct {
	What string // "bot token", "scopes", "webhook"...
	// Fail: relaydesk cannot work this way; Warn: it works, but something
	// needs attention. Neither: fine.
	Fail, Warn bool
	// Detail is what was found, or what is wrong and how to fix it.
	Detail string
}

// Passed is a finding of something fine.
func Passed(what, detail string) Finding { return Finding{What: what, Detail: detail} }

// Failed is a finding of something relaydesk cannot work with: detail
// says what to fix.
func Failed(what, detail string) Finding { return Finding{What: what, Fail: true, Detail: detail} }

// Warned is a finding of something that works but needs attention.
func Warned(what, detail string) Finding { return Finding{What: what, Warn: true, Detail: detail} }
