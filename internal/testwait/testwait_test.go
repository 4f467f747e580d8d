package testwait_test

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/internal/testwait"
)

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	checks := 0
	testwait.Eventually(t, "the third check", func() bool { checks++; return checks == 3 })
	if checks != 3 {
		t.Fatalf("checked %d times, want 3", checks)
	}
}

// fatalTB records what Fatalf says and ends its goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestUntilSaysWhatItWaitedForAndWhere(t *testing.T) {
	tb := &fatalTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testwait.UntilWithin(tb, "the door to open", func() error { return errors.New("it is locked") }, 30*time.Millisecond)
	}()
	<-done
	if want := "waited 30ms for the door to open: it is locked"; tb.msg != want {
		t.Fatalf("failed with %q, want %q", tb.msg, want)
	}
}
