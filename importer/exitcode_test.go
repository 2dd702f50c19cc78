package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

type sigCause struct{ sig os.Signal }

func (s sigCause) Error() string     { return "stopped by " + s.sig.String() }
func (s sigCause) Signal() os.Signal { return s.sig }

// TestExitCode: one decision of a run's exit code for replay and the
// wizard.
func TestExitCode(t *testing.T) {
	partial := &RunSummary{}
	partial.Invalid = 1
	notSent := &RunSummary{}
	notSent.NotSent = 283
	stop := &StopError{Reason: "interrupted", Err: context.Canceled, Remedy: RemedyRunAgain}
	for _, c := range []struct {
		s     *RunSummary
		err   error
		cause error
		want  int
	}{
		{&RunSummary{}, nil, nil, ExitOK},
		{nil, nil, nil, ExitOK},
		{partial, nil, nil, ExitPartial},
		{notSent, nil, nil, ExitPartial},
		{&RunSummary{}, &RefusedError{Msg: "no"}, nil, ExitRefused},
		{&RunSummary{}, fmt.Errorf("wrapped: %w", &RefusedError{Msg: "no"}), nil, ExitRefused},
		{notSent, &StopError{Reason: "canary", Err: ErrCanary}, nil, ExitError},
		{notSent, stop, nil, ExitInterrupted},
		{notSent, stop, sigCause{syscall.SIGINT}, ExitInterrupted},
		{notSent, stop, sigCause{syscall.SIGTERM}, ExitTerminated},
		{nil, errors.New("broken input"), nil, ExitError},
	} {
		if got := ExitCode(c.s, c.err, c.cause); got != c.want {
			t.Errorf("ExitCode(%+v, %v, %v) = %d, want %d", c.s, c.err, c.cause, got, c.want)
		}
	}
	if RemedyOf(stop) != RemedyRunAgain || RemedyOf(errors.New("x")) != RemedyNone ||
		RemedyOf(fmt.Errorf("w: %w", &RefusedError{Remedy: RemedyOtherReport})) != RemedyOtherReport {
		t.Error("RemedyOf")
	}
}

// TestSandboxSize: the in-process sandbox is refused above its bound,
// with the other ways to rehearse.
func TestSandboxSize(t *testing.T) {
	if CheckSandboxSize(-1) != nil || CheckSandboxSize(MaxSandboxRecords) != nil {
		t.Error("refused a file it holds (or one not counted yet)")
	}
	err := CheckSandboxSize(1_000_000)
	var big *SandboxTooBig
	if !errors.As(err, &big) || len(big.Options()) != 3 || err.Error() == "" {
		t.Fatalf("1,000,000 records: %v", err)
	}
	if got := err.Error(); got[:9] != "1,000,000" {
		t.Errorf("message %q", got)
	}
	if k, no := ChooseTarget("", false); k != TargetSandbox || !no {
		t.Error("no endpoint: the sandbox, for want of one")
	}
	if k, no := ChooseTarget("https://x.authgear.cloud", true); k != TargetSandbox || no {
		t.Error("asked for the sandbox")
	}
	if k, _ := ChooseTarget("https://x.authgear.cloud", false); k != TargetAuthgear {
		t.Error("an endpoint: Authgear")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 86920: "86,920", 1000000: "1,000,000", -1234: "-1,234"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
