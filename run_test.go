package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoFromEmptyFolder: with no terminal and no arguments the binary
// runs the embedded example from any folder and exits 0.
func TestDemoFromEmptyFolder(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "inserted             19") || !strings.Contains(out.String(), "deliberate") {
		t.Errorf("the demo's summary:\n%s", out.String())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the demo wrote into the current folder: %v", ents)
	}
}

// TestSIGTERMExits143: SIGTERM stops a run like Ctrl-C, every record still
// gets its report line, and the exit code is 143 (130 is for SIGINT).
func TestSIGTERMExits143(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "users.csv")
	mapping := filepath.Join(dir, "users.mapping.yaml")
	writeGenerated(t, input, mapping, 3000)
	report := filepath.Join(dir, "users.report.csv")
	cmd := exec.Command(bin, "replay", "--mapping", mapping, "--input", input, "--report", report,
		"--sandbox", "--sandbox-login-ids", "email,phone", "--sandbox-rate", "500")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The first progress line comes as the import starts.
	buf := make([]byte, 4096)
	var errOut bytes.Buffer
	for !strings.Contains(errOut.String(), "imported") {
		n, err := stderr.Read(buf)
		errOut.Write(buf[:n])
		if err != nil {
			t.Fatalf("stderr ended: %v\n%s", err, errOut.String())
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	go func() {
		for {
			n, err := stderr.Read(buf)
			errOut.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("the run did not end after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitTerminated {
		t.Fatalf("exit %d, want 143\nstdout:\n%s", code, out.String())
	}
	rows, err := readReportRows(report)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, r := range rows {
		seen[r]++
	}
	for i := 1; i <= 3000; i++ {
		if seen[i] != 1 {
			t.Fatalf("row %d has %d report lines after SIGTERM", i, seen[i])
		}
	}
}

func readReportRows(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows []int
	for i, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if i == 0 {
			continue
		}
		n := 0
		for _, c := range l {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
		rows = append(rows, n)
	}
	return rows, nil
}

// TestWizardNeedsATerminal: wizard flags without a terminal point to
// replay (exit 2) and start nothing.
func TestWizardNeedsATerminal(t *testing.T) {
	r := runCmd(t, nil, "--input", exampleInput)
	if r.code != exitUsage || !strings.Contains(r.errOut, "authgear-migrate replay --mapping") {
		t.Errorf("want exit 2 pointing to replay: %s", r)
	}
}
