package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
)

// Exit codes, decided here and nowhere else.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitPartial     = 3
	exitInterrupted = 130
)

// stdio is the process's streams with their terminal state, injectable
// for tests.
type stdio struct {
	In          io.Reader
	Out, Err    io.Writer
	StdoutTTY   bool
	StderrTTY   bool
	StdinTTY    bool
	Getenv      func(string) string
	ProgramName string
}

func newIO() *stdio {
	return &stdio{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		StdoutTTY:   term.IsTerminal(os.Stdout.Fd()),
		StderrTTY:   term.IsTerminal(os.Stderr.Fd()),
		StdinTTY:    term.IsTerminal(os.Stdin.Fd()),
		Getenv:      os.Getenv,
		ProgramName: "authgear-migrate",
	}
}

// usageError is a problem with the command line: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// partialError means the run finished but some records were invalid or
// failed: exit 3.
type partialError struct{ invalid, failed int }

func (e *partialError) Error() string {
	return fmt.Sprintf("%d records invalid, %d failed: see the report", e.invalid, e.failed)
}

// errInterrupted means the person stopped the run: exit 130.
var errInterrupted = errors.New("interrupted")

const topUsage = `authgear-migrate moves users from another system into Authgear.

Usage:
  authgear-migrate                 run the bundled example against the in-process sandbox
  authgear-migrate map      --input FILE --output MAPPING.yaml [--preset NAME] [--identifier FIELD]
  authgear-migrate replay   --mapping MAPPING.yaml --input FILE [--dry-run] [--report FILE] [--json]
  authgear-migrate sandbox  --listen ADDR --project-id ID --key-id KID --key-file PATH [--rate N]
  authgear-migrate presets  list the export formats recognised
  authgear-migrate snippets --endpoint URL [--stack NAME] [--out DIR]   backend middleware checking Authgear tokens

Settings for a live import come from flags naming files and from the environment:
  AUTHGEAR_ENDPOINT, AUTHGEAR_PROJECT_ID, AUTHGEAR_ADMIN_KEY_ID, AUTHGEAR_ADMIN_KEY_FILE
The Admin API private key is never taken as a flag value.

Exit codes: 0 all good, 1 fatal error, 2 usage error, 3 some records invalid or failed, 130 interrupted.
Environment: NO_COLOR=1 disables colour.
`

func run(ctx context.Context, args []string, io *stdio) int {
	err := dispatch(ctx, args, io)
	return exitCode(err, io)
}

func dispatch(ctx context.Context, args []string, io *stdio) error {
	if len(args) == 0 {
		return runDemo(ctx, io)
	}
	switch args[0] {
	case "map":
		return runMap(ctx, args[1:], io)
	case "replay":
		return runReplay(ctx, args[1:], io)
	case "sandbox":
		return runSandbox(ctx, args[1:], io)
	case "presets":
		return runPresets(io)
	case "snippets":
		return runSnippets(ctx, args[1:], io)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(io.Out, topUsage)
		return nil
	}
	return usagef("unknown command %q\n\n%s", args[0], topUsage)
}

// exitCode maps an error to the process exit code and prints it.
func exitCode(err error, io *stdio) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var pe *partialError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(io.Err, "%s: %s\n", io.ProgramName, strings.TrimRight(ue.msg, "\n"))
		return exitUsage
	case errors.As(err, &pe):
		return exitPartial
	case errors.As(err, new(*printedError)):
		return exitError
	case errors.Is(err, errInterrupted), errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	fmt.Fprintf(io.Err, "%s: %v\n", io.ProgramName, err)
	return exitError
}

// newFlagSet returns a flag set whose errors become usage errors and whose
// -h output goes to stderr (the top-level help goes to stdout).
func newFlagSet(name, usage string, io *stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(discard{})
	fs.Usage = func() {
		fmt.Fprint(io.Err, usage)
		fs.SetOutput(io.Err)
		fs.PrintDefaults()
		fs.SetOutput(discard{})
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags come as --name value)", fs.Arg(0))
	}
	return nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
