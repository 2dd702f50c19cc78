package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestUndoCommand imports 30 generated users into a sandbox with replay,
// then undo: without a terminal's typed confirmation nothing is deleted
// (a wrong phrase, then none), --dry-run deletes nothing, the right phrase
// deletes the 30 users, and a second undo finds them already gone.
func TestUndoCommand(t *testing.T) {
	dir := t.TempDir()
	sb, keyFile, kid := projectSandbox(t, dir, "email", "phone")
	input := filepath.Join(dir, "users.csv")
	mapping := filepath.Join(dir, "users.mapping.yaml")
	writeGenerated(t, input, mapping, 30)
	report := filepath.Join(dir, "users.report.csv")
	env := map[string]string{"AUTHGEAR_ENDPOINT": sb.URL, "AUTHGEAR_PROJECT_ID": "myapp", "AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_ADMIN_KEY_FILE": keyFile}
	if r := runCmd(t, env, "replay", "--mapping", mapping, "--input", input, "--report", report); r.code != exitOK {
		t.Fatalf("replay: %s", r)
	}
	if n := len(sb.Users()); n != 30 {
		t.Fatalf("%d users imported", n)
	}
	undo := func(stdin string, args ...string) runResult {
		var out, errOut bytes.Buffer
		io := &stdio{In: strings.NewReader(stdin), Out: &out, Err: &errOut, Getenv: func(k string) string { return env[k] }, ProgramName: "authgear-migrate"}
		code := run(context.Background(), append([]string{"undo", "--report", report}, args...), io)
		return runResult{code, out.String(), errOut.String()}
	}
	for _, in := range []string{"", "yes\n", "delete 30 users from otherapp\n"} {
		if r := undo(in); r.code != exitUsage || !strings.Contains(r.errOut, `Type "delete 30 users from myapp"`) || len(sb.Users()) != 30 {
			t.Fatalf("undo with %q typed: %s", in, r)
		}
	}
	if r := undo("", "--dry-run"); r.code != exitOK || !strings.Contains(r.out, "30 would be deleted") || len(sb.Users()) != 30 {
		t.Fatalf("dry run: %s", r)
	}
	if r := undo("delete 30 users from myapp\n"); r.code != exitOK || !strings.Contains(r.out, "30 deleted, 0 already gone") || len(sb.Users()) != 0 {
		t.Fatalf("undo: %s", r)
	}
	if r := undo("", "--yes"); r.code != exitOK || !strings.Contains(r.out, "0 deleted, 0 already gone") || !strings.Contains(r.out, "an earlier undo deleted 30 of them") {
		t.Fatalf("second undo: %s", r)
	}
	if r := undo("", "--yes", "--project-id", "other"); r.code != exitUsage || !strings.Contains(r.errOut, "not") {
		t.Fatalf("another project: %s", r)
	}
}
