package main_test

import (
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/internal/browsertest"
)

// chromium is the browser this package's browser tests share. The screen
// picker chooses the screen without a dialog; the camera, microphone and
// screen are moving test patterns and a tone.
var chromium = &browsertest.Chromium{Flags: []chromedp.ExecAllocatorOption{
	chromedp.Flag("use-fake-ui-for-media-stream", true), chromedp.Flag("use-fake-device-for-media-stream", true),
	chromedp.Flag("auto-select-desktop-capture-source", "Entire screen"),
}}

func TestMain(m *testing.M) { os.Exit(chromium.Run(m)) }
