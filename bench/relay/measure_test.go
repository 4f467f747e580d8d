package relay_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A message's token, m-<conversation>-<n>, is its whole body: the
// benchmark finds it again in what the adapters send the platform, whatever
// they write around it. n counts the conversation's messages from 0.
var tokenRE = regexp.MustCompile(`\bm-[0-9]+-[0-9]+\b`)

func token(conv, n int) string { return fmt.Sprintf("m-%d-%d", conv, n) }

// offer is one message a scenario handed the engine.
type offer struct {
	group    string // the table row it counts in
	platform string // where it must arrive: slack, discord or telegram
	conv, n  int
	at       time.Time // just before the engine call that committed it
}

// ledger keeps every message offered.
type ledger struct {
	mu     sync.Mutex
	offers map[string]offer
	groups []string // in the order of the table
	failed int      // engine calls that failed: not offered
	errs   []string // the first few of their errors
}

func newLedger(groups ...string) *ledger {
	return &ledger{offers: map[string]offer{}, groups: groups}
}

func (l *ledger) add(tok string, o offer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.offers[tok] = o
}

func (l *ledger) fail(tok string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.offers, tok)
	l.failed++
	if len(l.errs) < 3 {
		l.errs = append(l.errs, err.Error())
	}
}

// regroup is a copy of l with every offer in group.
func (l *ledger) regroup(group string) *ledger {
	out := newLedger(group)
	for tok, o := range l.snapshot() {
		o.group = group
		out.offers[tok] = o
	}
	return out
}

func (l *ledger) snapshot() map[string]offer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.offers)
}

// writer is one conversation of a scenario: every `every`, starting at
// offset, it posts the next message through post (an engine call).
type writer struct {
	group, platform string
	conv            int
	offset, every   time.Duration
	// groupAt, when set, names the group of the message due since after
	// the start: the phase of a run.
	groupAt func(since time.Duration) string
	post    func(ctx context.Context, body string) error
}

// drive runs the writers for d from start and returns when the last
// message was posted.
func drive(ctx context.Context, l *ledger, ws []writer, start time.Time, d time.Duration) {
	var wg sync.WaitGroup
	end := start.Add(d)
	for _, w := range ws {
		wg.Go(func() {
			for n := 0; ; n++ {
				at := start.Add(w.offset + time.Duration(n)*w.every)
				if !at.Before(end) || !sleepUntil(ctx, at) {
					return
				}
				tok := token(w.conv, n)
				group := w.group
				if w.groupAt != nil {
					group = w.groupAt(at.Sub(start))
				}
				l.add(tok, offer{group: group, platform: w.platform, conv: w.conv, n: n, at: time.Now()})
				if err := w.post(ctx, tok); err != nil {
					l.fail(tok, err)
				}
			}
		})
	}
	wg.Wait()
}

func sleepUntil(ctx context.Context, at time.Time) bool {
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// arrival is a token seen in a successful platform call.
type arrival struct {
	platform string
	tok      string
	at       time.Time // the fake's Call.At: when it accepted the call
}

// arrivals lists every token the fakes accepted, in the order each fake
// accepted them.
func (p *platforms) arrivals() []arrival {
	var out []arrival
	see := func(platform, text string, at time.Time) {
		for _, m := range tokenRE.FindAllString(text, -1) {
			out = append(out, arrival{platform, m, at})
		}
	}
	for _, c := range p.tg.Calls("sendMessage") {
		if !c.Failed {
			see("telegram", c.Fields["text"], c.At)
		}
	}
	for _, c := range p.sl.Calls("chat.postMessage") {
		if !c.Failed {
			see("slack", c.Fields["text"], c.At)
		}
	}
	for _, c := range p.dc.Calls("createMessage") {
		if !c.Failed {
			see("discord", c.Content(), c.At)
		}
	}
	return out
}

// awaitDelivery waits until every offered message arrived, or for limit.
func awaitDelivery(l *ledger, p *platforms, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		offers := l.snapshot()
		got := map[string]bool{}
		for _, a := range p.arrivals() {
			if o, ok := offers[a.tok]; ok && o.platform == a.platform {
				got[a.tok] = true
			}
		}
		if len(got) == len(offers) {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// row is one line of a scenario's table: a group of conversations.
type row struct {
	group                     string
	offered, delivered        int
	undelivered, dup, reorder int
	rate                      float64 // deliveries per second within the offering window
	p50, p99, max             time.Duration
	throttled                 int // the platform's 429s during the measured phase
}

// tally makes the rows of the table: latency is from the offer to the
// first arrival of its token on its platform; messages never delivered
// count as infinitely late, so that p99 cannot look good by leaving them
// out. rate counts the deliveries within [start, start+window].
func tally(l *ledger, arrs []arrival, start time.Time, window time.Duration, throttled map[string]int) []row {
	offers := l.snapshot()
	first := map[string]time.Time{}
	seen := map[string]int{}
	for _, a := range arrs {
		o, ok := offers[a.tok]
		if !ok || o.platform != a.platform {
			continue
		}
		seen[a.tok]++
		if t, ok := first[a.tok]; !ok || a.at.Before(t) {
			first[a.tok] = a.at
		}
	}
	byGroup := map[string]*row{}
	lat := map[string][]time.Duration{}
	type mark struct {
		at time.Time
		n  int
	}
	order := map[string]map[int][]mark{} // group, conversation: first arrivals
	groups := slices.Clone(l.groups)
	for _, g := range groups {
		byGroup[g] = &row{group: g}
	}
	platformOf := map[string]string{}
	for tok, o := range offers {
		r := byGroup[o.group]
		if r == nil {
			r = &row{group: o.group}
			byGroup[o.group] = r
			groups = append(groups, o.group)
		}
		platformOf[o.group] = o.platform
		r.offered++
		at, ok := first[tok]
		if !ok {
			r.undelivered++
			lat[o.group] = append(lat[o.group], time.Duration(math.MaxInt64))
			continue
		}
		r.delivered++
		r.dup += seen[tok] - 1
		lat[o.group] = append(lat[o.group], at.Sub(o.at))
		if !at.Before(start) && !at.After(start.Add(window)) {
			r.rate++
		}
		if order[o.group] == nil {
			order[o.group] = map[int][]mark{}
		}
		order[o.group][o.conv] = append(order[o.group][o.conv], mark{at, o.n})
	}
	var out []row
	for _, g := range groups {
		r := byGroup[g]
		if r.offered == 0 {
			continue
		}
		r.rate /= window.Seconds()
		ls := lat[g]
		slices.Sort(ls)
		r.p50, r.p99, r.max = quantile(ls, 0.50), quantile(ls, 0.99), ls[len(ls)-1]
		for _, ms := range order[g] {
			slices.SortFunc(ms, func(a, b mark) int { return a.at.Compare(b.at) })
			top := -1
			for _, m := range ms {
				if m.n < top {
					r.reorder++
				}
				top = max(top, m.n)
			}
		}
		r.throttled = throttled[platformOf[g]]
		out = append(out, *r)
	}
	return out
}

// quantile is the q-quantile of sorted ls, nearest rank.
func quantile(ls []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(ls)))) - 1
	return ls[max(i, 0)]
}

// ms renders a latency in milliseconds; "never" for messages that did not
// arrive.
func ms(d time.Duration) string {
	if d == time.Duration(math.MaxInt64) {
		return "never"
	}
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 0, 64)
}

func msMetric(d time.Duration) float64 {
	if d == time.Duration(math.MaxInt64) {
		return math.Inf(1)
	}
	return float64(d) / float64(time.Millisecond)
}

// result is what one scenario measured.
type result struct {
	scenario, backend string
	delay, window     time.Duration
	start             time.Time      // of the offering window
	throttled         map[string]int // 429s by platform while measuring
	rows              []row
	notes             []string
	failed            int
	errs              []string
	logs              []string
}

// print writes the scenario's table.
func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "\n== relay %s on %s: fake API delay %s, offered for %s\n", r.scenario, r.backend, r.delay, r.window)
	fmt.Fprintf(w, "%-22s %7s %9s %11s %4s %9s %7s %7s %7s %7s %5s\n", "group", "offered", "delivered", "undelivered",
		"dup", "reordered", "msgs/s", "p50-ms", "p99-ms", "max-ms", "429s")
	for _, x := range r.rows {
		fmt.Fprintf(w, "%-22s %7d %9d %11d %4d %9d %7.2f %7s %7s %7s %5d\n", x.group, x.offered, x.delivered, x.undelivered,
			x.dup, x.reorder, x.rate, ms(x.p50), ms(x.p99), ms(x.max), x.throttled)
	}
	if r.failed > 0 {
		fmt.Fprintf(w, "engine calls that failed (not offered): %d, e.g. %s\n", r.failed, strings.Join(r.errs, "; "))
	}
	for _, n := range r.notes {
		fmt.Fprintln(w, n)
	}
	if len(r.logs) > 0 {
		fmt.Fprintln(w, "relaydesk logged (warnings and errors):")
		for _, l := range r.logs[:min(len(r.logs), 12)] {
			fmt.Fprintln(w, "  "+l)
		}
		if len(r.logs) > 12 {
			fmt.Fprintf(w, "  ... and %d other lines\n", len(r.logs)-12)
		}
	}
}

// report hands the rows to the benchmark framework: the first row's
// figures under plain names, the others' prefixed with their group's last
// word ("globex-p99-ms").
func (r result) report(b *testing.B) {
	for i, x := range r.rows {
		prefix := ""
		if i > 0 {
			g := x.group
			if j := strings.LastIndex(g, "/"); j >= 0 {
				g = g[j+1:]
			}
			prefix = g + "-"
		}
		b.ReportMetric(float64(x.offered), prefix+"offered")
		b.ReportMetric(float64(x.delivered), prefix+"delivered")
		b.ReportMetric(x.rate, prefix+"msgs/s")
		b.ReportMetric(msMetric(x.p50), prefix+"p50-ms")
		b.ReportMetric(msMetric(x.p99), prefix+"p99-ms")
		b.ReportMetric(msMetric(x.max), prefix+"max-ms")
		if i == 0 {
			b.ReportMetric(float64(x.throttled), "429s")
		}
		if x.dup > 0 || x.undelivered > 0 || x.reorder > 0 {
			b.ReportMetric(float64(x.dup), prefix+"dups")
			b.ReportMetric(float64(x.undelivered), prefix+"undelivered")
			b.ReportMetric(float64(x.reorder), prefix+"reordered")
		}
	}
}

// slackChannelRate is the rate of successful posts into a Slack channel
// accepted within the window, whatever they carried (cards, lines): how
// close the channel runs to its limit.
func (p *platforms) slackChannelRate(channel string, start time.Time, window time.Duration) float64 {
	n := 0
	for _, c := range p.sl.Calls("chat.postMessage") {
		if !c.Failed && c.Fields["channel"] == channel && !c.At.Before(start) && !c.At.After(start.Add(window)) {
			n++
		}
	}
	return float64(n) / window.Seconds()
}

// spread tells how a group's deliveries within the window were shared
// among its conversations: a channel at its limit should serve them in
// turn.
func spread(l *ledger, arrs []arrival, group string, start time.Time, window time.Duration) string {
	offers := l.snapshot()
	convs := map[int]int{}
	for _, o := range offers {
		if o.group == group {
			convs[o.conv] += 0
		}
	}
	seen := map[string]bool{}
	for _, a := range arrs {
		o, ok := offers[a.tok]
		if !ok || o.group != group || seen[a.tok] || a.at.Before(start) || a.at.After(start.Add(window)) {
			continue
		}
		seen[a.tok] = true
		convs[o.conv]++
	}
	counts := slices.Sorted(maps.Values(convs))
	none := 0
	for _, n := range counts {
		if n == 0 {
			none++
		}
	}
	slices.Reverse(counts)
	return fmt.Sprintf("%s: deliveries within the window per conversation, most first: %v (%d of %d conversations got none)",
		group, counts, none, len(counts))
}

// fifoNotes compares, for every group offered more than it got delivered
// within the window, its max latency with what one first-come-first-served
// queue draining at the group's measured rate would have given: how much
// of the wait is the limit's, and how much the order of service.
func fifoNotes(l *ledger, res result) []string {
	offers := l.snapshot()
	var notes []string
	for _, r := range res.rows {
		offered := float64(r.offered) / res.window.Seconds()
		if r.rate <= 0 || r.rate >= 0.95*offered {
			continue
		}
		var ats []time.Time
		for _, o := range offers {
			if o.group == r.group {
				ats = append(ats, o.at)
			}
		}
		slices.SortFunc(ats, func(a, b time.Time) int { return a.Compare(b) })
		every := time.Duration(float64(time.Second) / r.rate)
		var done time.Time
		var worst time.Duration
		for _, at := range ats {
			done = later(done, at).Add(every)
			worst = max(worst, done.Sub(at))
		}
		notes = append(notes, fmt.Sprintf("%s: at %.2f msgs/s, served first come first served, no message would wait over %s; the slowest waited %s",
			r.group, r.rate, worst.Round(time.Millisecond), msText(r.max)))
	}
	return notes
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func msText(d time.Duration) string {
	if d == time.Duration(math.MaxInt64) {
		return "forever (some never arrived)"
	}
	return d.Round(time.Millisecond).String()
}

// refusals lists the calls each fake answered with an error since since,
// by platform and method or route: where the 429s were.
func (p *platforms) refusals(since time.Time) []string {
	n := map[string]int{}
	for _, c := range p.sl.Calls() {
		if c.Failed && !c.At.Before(since) {
			n["slack "+c.Method]++
		}
	}
	for _, c := range p.dc.Calls() {
		if c.Failed && !c.At.Before(since) {
			n["discord "+c.Route]++
		}
	}
	for _, c := range p.tg.Calls() {
		if c.Failed && !c.At.Before(since) {
			n["telegram "+c.Method]++
		}
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(n)) {
		out = append(out, fmt.Sprintf("%s ×%d", k, n[k]))
	}
	return out
}
