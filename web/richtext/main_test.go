package richtext_test

import (
	"os"
	"testing"

	"github.com/relaydesk/relaydesk/internal/browsertest"
)

// chromium is the browser this package's browser tests share.
var chromium browsertest.Chromium

func TestMain(m *testing.M) { os.Exit(chromium.Run(m)) }
