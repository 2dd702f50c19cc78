package importer

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// Exit codes of a run, the same for replay and the wizard.
const (
	ExitOK          = 0
	ExitError       = 1   // the run could not go on (a broken input, a server that stopped it)
	ExitRefused     = 2   // refused before anything was touched (a usage problem)
	ExitPartial     = 3   // some records were invalid, failed or not sent
	ExitInterrupted = 130 // stopped by the person (Ctrl-C, SIGINT)
	ExitTerminated  = 143 // stopped by SIGTERM
)

// ExitCode is the exit code of a run that ended with s and err (s may be
// nil when the run never started), decided here for every front end.
// cause is the cause of the run context's end (context.Cause), which tells
// a SIGTERM (143) from a Ctrl-C (130); nil when unknown.
func ExitCode(s *RunSummary, err, cause error) int {
	var re *RefusedError
	switch {
	case err == nil:
	case errors.As(err, &re):
		return ExitRefused
	case errors.Is(err, context.Canceled):
		if terminated(cause) {
			return ExitTerminated
		}
		return ExitInterrupted
	default:
		return ExitError
	}
	if s != nil && s.Partial() {
		return ExitPartial
	}
	return ExitOK
}

// terminated: the cause names SIGTERM (a front end's signal error has a
// Signal method).
func terminated(cause error) bool {
	var sig interface{ Signal() os.Signal }
	return cause != nil && errors.As(cause, &sig) && sig.Signal() == syscall.SIGTERM
}
