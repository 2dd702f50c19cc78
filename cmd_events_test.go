package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestVerifyUndoProgress (issue 15 item 14): verify and undo show their
// progress from the engine's events, as replay does: on a terminal the
// line is redrawn in place and ends with the whole count (verify: the
// export read again and the users read back; undo: looked up, then tried
// with what became of them), and the summary on stdout agrees with it.
func TestVerifyUndoProgress(t *testing.T) {
	f := newHistoryFixture(t, 30)
	if r := f.replay(t, nil); r.code != exitPartial {
		t.Fatalf("replay: %s", r)
	}
	tty := func(args ...string) runResult {
		var out, errOut bytes.Buffer
		io := &stdio{In: strings.NewReader(""), Out: &out, Err: &errOut, StderrTTY: true, Getenv: func(k string) string { return f.env[k] }, ProgramName: "authgear-migrate"}
		code := run(context.Background(), args, io)
		return runResult{code, out.String(), errOut.String()}
	}
	r := tty("verify", "--mapping", f.mapping, "--input", f.input, "--report", f.report, "--all")
	// (The standalone sandbox does not keep every field of the generated
	// users: some differ, exit 3.)
	if r.code != exitOK && r.code != exitPartial || !regexp.MustCompile(`^\rverify: reading the export: \d+ records(.|\n)*\rverify: 30/30 users read back *\n$`).MatchString(r.errOut) || !strings.Contains(r.out, "30 users checked") {
		t.Fatalf("verify: %s", r)
	}
	r = tty("undo", "--report", f.report, "--yes")
	if r.code != exitOK || !regexp.MustCompile(`\rundo: 30/30 users looked up *\n(.|\n)*\rundo: 30/30 users tried: 30 deleted, 0 already gone, 0 failed *\n$`).MatchString(r.errOut) ||
		!strings.Contains(r.out, "30 deleted, 0 already gone") {
		t.Fatalf("undo: %s", r)
	}
}
