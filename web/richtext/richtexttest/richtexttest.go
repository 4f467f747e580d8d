// Package richtexttest holds what the widget's and the console's tests
// check of message text: the Doc their APIs send beside a body, and how
// their pages render a message written to break out of its text.
package richtexttest

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
)

// Case is a message body and the Doc the APIs send with it, as JSON.
type Case struct {
	Name, Body, Doc string
}

// Cases are bodies and their Docs: formatting becomes spans and blocks,
// while a link to anything but http, https or mailto, and anything that
// looks like HTML, stays text.
var Cases = []Case{
	{"bold", "**bold** move",
		`[{"kind":"p","inlines":[{"kind":"b","children":[{"kind":"text","text":"bold"}]},{"kind":"text","text":" move"}]}]`},
	{"a link", "see [site](https://example.com) or https://example.org/x.",
		`[{"kind":"p","inlines":[{"kind":"text","text":"see "},{"kind":"a","url":"https://example.com","children":[{"kind":"text","text":"site"}]},` +
			`{"kind":"text","text":" or "},{"kind":"a","url":"https://example.org/x","children":[{"kind":"text","text":"https://example.org/x"}]},{"kind":"text","text":"."}]}]`},
	{"a javascript: link stays text", "[x](javascript:alert(1))",
		`[{"kind":"p","inlines":[{"kind":"text","text":"[x](javascript:alert(1))"}]}]`},
	{"a data: link stays text", "[x](data:text/html,<b>hi</b>)",
		`[{"kind":"p","inlines":[{"kind":"text","text":"[x](data:text/html,<b>hi</b>)"}]}]`},
	{"HTML stays text", "<img src=x onerror=alert(1)>\n<script>alert(2)</script>",
		`[{"kind":"p","inlines":[{"kind":"text","text":"<img src=x onerror=alert(1)>"},{"kind":"br"},{"kind":"text","text":"<script>alert(2)</script>"}]}]`},
	{"a list, code and a quote", "steps:\n- one\n- two\n\n```\n<b>as is</b>\n```\n> quoted",
		`[{"kind":"p","inlines":[{"kind":"text","text":"steps:"}]},{"kind":"list","items":[[{"kind":"text","text":"one"}],[{"kind":"text","text":"two"}]]},` +
			`{"kind":"code","text":"<b>as is</b>"},{"kind":"quote","inlines":[{"kind":"text","text":"quoted"}]}]`},
}

// Equal fails tb unless the JSON doc is want.
func Equal(tb testing.TB, doc json.RawMessage, want string) {
	tb.Helper()
	var g, w any
	if err := json.Unmarshal(doc, &g); err != nil {
		tb.Fatalf("doc %s: %v", doc, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		tb.Fatalf("want %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		tb.Errorf("doc\n%s\nwant\n%s", doc, want)
	}
}

// Hostile is a message written to break out of its text: HTML, a script,
// a javascript: link, beside formatting and a link that are fine.
const Hostile = "<img src=x onerror=alert(1)> **bold** [site](https://example.com) [x](javascript:alert(1))\n<script>alert(2)</script>"

// Check is a JavaScript expression that says what is wrong with how the
// element sel shows n copies of Hostile among other lines (files, notices):
// "" when nothing is. The only images are file previews, no element or
// attribute comes from the text, bold is <strong>, the safe link opens in a
// new tab and tells its target nothing, the javascript: one is text.
func Check(sel string, n int) string {
	return `((box, n) => {
  const bad = [];
  const text = box.textContent;
  const count = (s) => text.split(s).length - 1;
  for (const s of ['<img src=x onerror=alert(1)>', '[x](javascript:alert(1))', '<script>alert(2)</script>']) {
    if (count(s) !== n) bad.push('the text ' + s + ' shows ' + count(s) + ' times');
  }
  if (box.querySelector('script, iframe, object, embed, svg, style, link, meta, form')) bad.push('an element made from text');
  for (const img of box.querySelectorAll('img')) {
    if (!img.classList.contains('preview')) bad.push('an image that is no file preview: ' + img.outerHTML);
  }
  for (const e of box.querySelectorAll('*')) {
    for (const a of e.attributes) if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)) bad.push('an attribute ' + a.name + '=' + a.value);
  }
  const strong = [...box.querySelectorAll('strong')].filter((s) => s.textContent === 'bold');
  if (strong.length !== n) bad.push(strong.length + ' <strong>bold</strong>');
  const links = [...box.querySelectorAll('a')].filter((a) => a.textContent === 'site');
  if (links.length !== n) bad.push(links.length + ' links "site"');
  for (const a of links) {
    if (a.getAttribute('href') !== 'https://example.com/' || a.target !== '_blank' || a.rel !== 'noopener noreferrer nofollow') {
      bad.push('the link ' + a.outerHTML);
    }
  }
  if ([...box.querySelectorAll('a')].some((a) => a.textContent === 'x')) bad.push('the javascript: link is a link');
  return bad.join('\n');
})(document.querySelector(` + strconv.Quote(sel) + `), ` + strconv.Itoa(n) + `)`
}
