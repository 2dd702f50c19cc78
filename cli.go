package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/charmbracelet/x/term"
)

// Exit codes: a run's are decided by importer.ExitCode, for replay and
// the wizard alike; these name them for the rest of the command.
const (
	exitOK          = importer.ExitOK
	exitError       = importer.ExitError
	exitUsage       = importer.ExitRefused
	exitPartial     = importer.ExitPartial
	exitInterrupted = importer.ExitInterrupted // SIGINT (Ctrl-C)
	exitTerminated  = importer.ExitTerminated  // SIGTERM
)

// signalError is the cause of the context's end when a signal stopped the
// program.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "stopped by " + e.sig.String() }

// Signal is the signal, for importer.ExitCode.
func (e signalError) Signal() os.Signal { return e.sig }

// stdio is the process's streams with their terminal state, injectable
// for tests.
type stdio struct {
	In        io.Reader
	Out, Err  io.Writer
	StderrTTY bool
	// Interactive: stdin and stdout are a terminal, so the wizard can run.
	Interactive bool
	Getenv      func(string) string
	ProgramName string
}

func newIO() *stdio {
	return &stdio{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		StderrTTY:   term.IsTerminal(os.Stderr.Fd()),
		Interactive: term.IsTerminal(os.Stdin.Fd()) && term.IsTerminal(os.Stdout.Fd()),
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
  authgear-migrate                 on a terminal: the wizard; otherwise the bundled example into the sandbox
  authgear-migrate --input FILE [--mapping MAPPING.yaml]   the wizard with a file loaded
  authgear-migrate map      --input FILE --output MAPPING.yaml [--preset NAME] [--identifier FIELD]
  authgear-migrate replay   --mapping MAPPING.yaml --input FILE [--dry-run] [--report FILE] [--json]
  authgear-migrate sandbox  --listen ADDR --project-id ID --key-id KID --key-file PATH [--rate N]
  authgear-migrate presets  list the export formats recognised
  authgear-migrate snippets --endpoint URL [--stack NAME] [--out DIR]   backend middleware checking Authgear tokens
  authgear-migrate verify   --mapping MAPPING.yaml --input FILE [--report R] [--sample N | --all]   compare Authgear with what was sent
  authgear-migrate verify   --sign-in LOGIN_ID [--password-file F] [--public-endpoint URL]   can that user sign in with the old password?
  authgear-migrate undo     --report R [--dry-run] [--yes]   delete the users an import inserted (backs out of a migration)
  authgear-migrate notify   --report R --reset-password [--dry-run] [--yes]   Authgear's reset-password message to the users imported without a password

Settings for a live import come from flags naming files and from the environment:
  AUTHGEAR_ENDPOINT, AUTHGEAR_PROJECT_ID, AUTHGEAR_ADMIN_KEY_ID, AUTHGEAR_ADMIN_KEY_FILE
The Admin API private key is never taken as a flag value.

Exit codes: 0 all good, 1 fatal error, 2 usage error, 3 some records invalid or failed,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
Environment: NO_COLOR=1 turns the wizard's colour off.
`

func run(ctx context.Context, args []string, io *stdio) int {
	err := dispatch(ctx, args, io)
	return exitCode(ctx, err, io)
}

func dispatch(ctx context.Context, args []string, io *stdio) error {
	if len(args) == 0 {
		if io.Interactive {
			return runWizard(ctx, nil, io)
		}
		return runDemo(ctx, io)
	}
	if args[0] == "--version" || args[0] == "-version" || args[0] == "version" {
		fmt.Fprintln(io.Out, version())
		return nil
	}
	if strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "-help" && args[0] != "--help" {
		return runWizard(ctx, args, io)
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
	case "verify":
		return runVerify(ctx, args[1:], io)
	case "undo":
		return runUndo(ctx, args[1:], io)
	case "notify":
		return runNotify(ctx, args[1:], io)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(io.Out, topUsage)
		return nil
	}
	return usagef("unknown command %q\n\n%s", args[0], topUsage)
}

// exitCode maps an error to the process exit code, and prints it unless
// it was printed already. It is the only place that decides exit codes.
func exitCode(ctx context.Context, err error, io *stdio) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var pe *partialError
	var re *importer.RefusedError
	var rn *runError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &rn):
		return rn.code
	case errors.As(err, &ue):
		fmt.Fprintf(io.Err, "%s: %s\n", io.ProgramName, importer.PrintableLines(strings.TrimRight(ue.msg, "\n")))
		return exitUsage
	case errors.As(err, &re):
		fmt.Fprintf(io.Err, "%s: %s\n", io.ProgramName, importer.Printable(re.Msg))
		return exitUsage
	case errors.As(err, &pe):
		return exitPartial
	case errors.Is(err, errInterrupted), errors.Is(err, context.Canceled):
		var se signalError
		if errors.As(context.Cause(ctx), &se) && se.sig == syscall.SIGTERM {
			return exitTerminated
		}
		return exitInterrupted
	case errors.As(err, new(*printedError)):
		return exitError
	}
	fmt.Fprintf(io.Err, "%s: %s\n", io.ProgramName, importer.Printable(err.Error()))
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
