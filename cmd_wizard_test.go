package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/steps"
)

// TestWizardExitCodes: the wizard exits with replay's codes, from the
// same decision (importer.ExitCode).
func TestWizardExitCodes(t *testing.T) {
	ctx := context.Background()
	io := &stdio{Err: &strings.Builder{}, Out: &strings.Builder{}, ProgramName: "authgear-migrate"}
	ok := &importer.RunSummary{}
	partial := &importer.RunSummary{}
	partial.NotSent = 283
	stopped := &importer.StopError{Reason: "interrupted", Err: context.Canceled}
	for _, c := range []struct {
		name string
		res  steps.Result
		err  error
		want int
	}{
		{"quit before an import", steps.Result{}, steps.ErrAborted, 0},
		{"went through", steps.Result{Summary: ok}, nil, 0},
		{"refused", steps.Result{Summary: &importer.RunSummary{}, RunErr: &importer.RefusedError{Msg: "no"}}, nil, 2},
		{"records not sent", steps.Result{Summary: partial}, nil, 3},
		{"canary stop", steps.Result{Summary: partial, RunErr: &importer.StopError{Reason: "canary", Err: importer.ErrCanary}}, nil, 1},
		{"stopped by the person", steps.Result{Summary: partial, RunErr: stopped}, steps.ErrAborted, 130},
		{"the terminal failed", steps.Result{}, errors.New("tty"), 1},
	} {
		if got := exitCode(ctx, wizardExit(ctx, c.res, c.err), io); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}

// TestVersion: --version names the build.
func TestVersion(t *testing.T) {
	r := runCmd(t, nil, "--version")
	if r.code != 0 || !strings.HasPrefix(r.out, "authgear-migrate ") || !strings.Contains(r.out, "go1.") {
		t.Errorf("--version:\n%s", r)
	}
}

// TestReplayLargeFileNoEndpoint: with no endpoint, replay does not start
// the in-process sandbox for a file larger than it holds; it says what to
// do instead (exit 2, nothing written).
func TestReplayLargeFileNoEndpoint(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("email\n")
	for i := range importer.MaxSandboxRecords + 1 {
		b.WriteString("u")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("@example.com\n")
	}
	in := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(in, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(dir, "big.mapping.yaml")
	if r := runCmd(t, nil, "map", "--input", in, "--output", mp); r.code != 0 {
		t.Fatalf("map: %s", r)
	}
	rep := filepath.Join(dir, "big.report.csv")
	r := runCmd(t, nil, "replay", "--mapping", mp, "--input", in, "--report", rep)
	if r.code != 2 || !strings.Contains(r.errOut, "100,001 records are too many for the in-process sandbox") ||
		!strings.Contains(r.errOut, "--dry-run") || !strings.Contains(r.errOut, "authgear-migrate sandbox") {
		t.Errorf("replay of 100,001 records with no endpoint:\n%s", r)
	}
	if _, err := os.Stat(rep); err == nil {
		t.Error("a report was written")
	}
}
