package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayCreateRolesAsks (issue 17 item 7): replay --create-roles lists
// the roles it would create and asks for a typed confirmation (today it
// creates them unasked, before the first request): no answer, or the wrong
// one, creates and sends nothing (exit 2); above --max-new-roles it is
// refused before asking; the phrase, or --yes, imports with the roles
// created; undo deletes the users and then the roles.
func TestReplayCreateRolesAsks(t *testing.T) {
	dir := t.TempDir()
	sb, keyFile, kid := projectSandbox(t, dir, "email")
	input := filepath.Join(dir, "users.csv")
	var b strings.Builder
	b.WriteString("email,roles\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "user%d@example.com,%s\n", i, []string{"", "editor", "author;editor"}[i%3])
	}
	os.WriteFile(input, []byte(b.String()), 0o600)
	mapping := filepath.Join(dir, "users.mapping.yaml")
	os.WriteFile(mapping, []byte("version: 1\nidentifier: email\nfields:\n  email: {from: email}\n  roles: {from: roles, transforms: [{split: \";\"}]}\n"), 0o600)
	report := filepath.Join(dir, "users.report.csv")
	env := map[string]string{"AUTHGEAR_ENDPOINT": sb.URL, "AUTHGEAR_PROJECT_ID": "myapp", "AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_ADMIN_KEY_FILE": keyFile}
	cmd := func(stdin string, args ...string) runResult {
		var out, errOut bytes.Buffer
		io := &stdio{In: strings.NewReader(stdin), Out: &out, Err: &errOut, Getenv: func(k string) string { return env[k] }, ProgramName: "authgear-migrate"}
		code := run(context.Background(), args, io)
		return runResult{code, out.String(), errOut.String()}
	}
	replay := []string{"replay", "--mapping", mapping, "--input", input, "--report", report, "--create-roles"}
	for _, in := range []string{"", "yes\n", "create 2 roles in otherapp\n"} {
		r := cmd(in, replay...)
		if r.code != exitUsage || !strings.Contains(r.errOut, `Type "create 2 roles in myapp"`) || !strings.Contains(r.errOut, `role "editor" (14 records)`) {
			t.Fatalf("with %q typed: %s", in, r)
		}
		if st := sb.Stats(); st.RecordsReceived != 0 || len(sb.Roles()) != 0 {
			t.Fatalf("not confirmed, yet %d records sent, roles %v", st.RecordsReceived, sb.Roles())
		}
	}
	if r := cmd("", append(replay, "--max-new-roles", "1")...); r.code != exitUsage || !strings.Contains(r.errOut, "--max-new-roles 2 allows them") || strings.Contains(r.errOut, "Type") {
		t.Fatalf("above the limit: %s", r)
	}
	if r := cmd("create 2 roles in myapp\n", replay...); r.code != exitOK || !strings.Contains(r.errOut, "created 2 roles and groups in the project after the first request") {
		t.Fatalf("confirmed: %s", r)
	}
	if n := len(sb.Users()); n != 20 || strings.Join(sb.Roles(), ",") != "editor,author" {
		t.Fatalf("%d users, roles %v", n, sb.Roles())
	}
	r := cmd("", "undo", "--report", report, "--yes")
	if r.code != exitOK || !strings.Contains(r.out, `role "editor" (created by the migration): deleted`) || len(sb.Roles()) != 0 || len(sb.Users()) != 0 {
		t.Fatalf("undo: %s; roles %v", r, sb.Roles())
	}
	// --yes needs no typing.
	os.Remove(report)
	os.Remove(filepath.Join(dir, "users.report.journal"))
	if r := cmd("", append(replay, "--yes")...); r.code != exitOK || len(sb.Users()) != 20 {
		t.Fatalf("--yes: %s", r)
	}
}
