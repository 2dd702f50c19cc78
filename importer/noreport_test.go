package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestRunNoReportLeavesNothing: a dry run with NoReport (the wizard's
// preview) sees every record through Inspect and writes no file at all:
// no report, no retry file, nothing in the current folder or in TMPDIR
// (issue 15 item 15).
func TestRunNoReportLeavesNothing(t *testing.T) {
	c, _ := exampleRun(t)
	c.Input, _ = filepath.Abs(c.Input)
	cwd, tmp := t.TempDir(), t.TempDir()
	t.Chdir(cwd)
	t.Setenv("TMPDIR", tmp)
	seen, invalid := 0, 0
	c.Report, c.DryRun, c.NoReport = "", true, true
	c.Inspect = func(p *Prepared) {
		seen++
		if !p.Valid() {
			invalid++
		}
	}
	s, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if seen != 21 || invalid != 2 || s.Total != 21 || s.Invalid != 2 {
		t.Errorf("inspected %d (%d invalid), summary %+v", seen, invalid, s.PrepareStats)
	}
	if s.Report != "" || s.Retry != "" {
		t.Errorf("summary names files: report %q, retry %q", s.Report, s.Retry)
	}
	for _, dir := range []string{cwd, tmp} {
		if ents, _ := os.ReadDir(dir); len(ents) > 0 {
			t.Errorf("%s holds %v after a run with NoReport", dir, ents)
		}
	}

	tgt, err := StartSandbox(context.Background(), SandboxConfig{LoginIDTypes: []string{"email"}}, testSandbox)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	c.DryRun, c.Target, c.Inspect = false, tgt, nil
	var re *RefusedError
	if _, err := Run(context.Background(), c); !errors.As(err, &re) {
		t.Errorf("a live run with NoReport: %v, want a refusal", err)
	}
}
