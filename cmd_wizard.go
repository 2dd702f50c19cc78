package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/steps"
)

const wizardUsage = `Usage: authgear-migrate [--input FILE] [--mapping MAPPING.yaml]

On a terminal, the wizard walks through the migration in five steps: load
the export, map its columns, preview the JSON, import (into the in-process
sandbox, or the Authgear project of AUTHGEAR_ENDPOINT), and the middleware
for your backend. Enter accepts what is suggested at every step.

Without a terminal, use replay with a saved mapping.

`

// runWizard opens the wizard; without a terminal it says to use replay.
func runWizard(ctx context.Context, args []string, io *stdio) error {
	fs := newFlagSet("authgear-migrate", wizardUsage, io)
	input := fs.String("input", "", "open the wizard with this export loaded")
	mapping := fs.String("mapping", "", "reopen a saved mapping to adjust it (with --input)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !io.Interactive {
		return usagef("the wizard needs a terminal; without one, run: authgear-migrate replay --mapping MAPPING.yaml --input FILE (authgear-migrate map writes a mapping)")
	}
	if *mapping != "" && *input == "" {
		return usagef("--mapping goes with --input (the export the mapping reads)")
	}
	for _, f := range [][2]string{{*input, "--input"}, {*mapping, "--mapping"}} {
		if f[0] != "" {
			if err := checkReadable(f[0], f[1]); err != nil {
				return err
			}
		}
	}
	res, err := steps.Run(ctx, steps.Options{
		Input: *input, Mapping: *mapping, Getenv: io.Getenv,
		Example: writeExample,
	})
	// After the wizard, what stays in the scrollback.
	var refused *importer.RefusedError
	if res.Summary != nil && !errors.As(res.RunErr, &refused) {
		printSummary(io, replayOptions{title: "authgear-migrate wizard"}, res.Summary)
	}
	if res.Problem != "" {
		fmt.Fprintln(io.Err, res.Problem)
	}
	if res.Mapping != "" {
		fmt.Fprintf(io.Out, "mapping: %s\nheadless: %s\n", res.Mapping, res.Replay)
	}
	if res.Snippet != "" {
		fmt.Fprintf(io.Out, "middleware: %s\n", res.Snippet)
	}
	return wizardExit(ctx, res, err)
}

// wizardExit is the error that gives the wizard's exit code: the
// import's, decided as for replay (importer.ExitCode: 3 when records were
// invalid, failed or not sent, 2 on a refusal, 1 on an error, 130/143 on
// a stop); 0 when the person quit before any import.
func wizardExit(ctx context.Context, res steps.Result, err error) error {
	if err != nil && !errors.Is(err, steps.ErrAborted) {
		return err
	}
	if res.Summary == nil && res.RunErr == nil {
		return nil
	}
	return runExit(ctx, res.Summary, res.RunErr)
}

// writeExample writes the embedded example into a temporary folder for
// the wizard's "try the example".
func writeExample() (string, string, error) {
	dir, err := os.MkdirTemp("", "authgear-migrate-example-")
	if err != nil {
		return "", "", err
	}
	in := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(in, exampleCSV, 0o600); err != nil {
		return "", "", err
	}
	return in, "", nil
}
