// Package rrweb serves the browser's half of co-browsing: rrweb's UMD
// build (version 2.2.2 from npm, MIT licence), which records the host page
// in the widget's script and replays it in the console, and the replayer's
// stylesheet. Both are compiled in: nothing is fetched from a CDN. See
// README.md for how the files were produced.
package rrweb

import _ "embed"

// Script is rrweb.min.js (record and replay; window.rrweb), served as
// text/javascript.
//
//go:embed rrweb.min.js
var Script []byte

// Style is rrweb.css, the replayer's stylesheet.
//
//go:embed rrweb.css
var Style []byte

// Version is the rrweb release the files come from.
const Version = "2.2.2"
