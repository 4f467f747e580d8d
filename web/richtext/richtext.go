// Package richtext is the browser's half of core/markup: richtext.js, an ES
// module that builds a message's DOM from the markup.Doc the server sends as
// JSON beside the message's body. The widget and the console both serve it
// next to their own scripts, so the two pages show a message alike and one
// piece of code decides what a person's text may become in a page.
//
// The browser never parses Markdown or HTML: the module creates elements
// and text nodes only, and lets a link through only to http, https or
// mailto (markup.SafeURL decided so on the server already; the module
// checks again).
package richtext

import _ "embed"

// Script is richtext.js, served as text/javascript.
//
//go:embed richtext.js
var Script []byte
