package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// TestNotifyCommand (issue 16 item 6): replay into a sandbox a file with a
// user with a bcrypt hash, one with none, one with a malformed hash
// (dropped) and one with a clear-text password left out; the summary
// names the list of the three without a password; notify --dry-run lists
// exactly them and sends nothing; the confirmation refuses anything but
// the project id; typed, one message each is sent; a rerun sends none.
func TestNotifyCommand(t *testing.T) {
	dir := t.TempDir()
	sb, keyFile, kid := projectSandbox(t, dir, "email")
	input := filepath.Join(dir, "users.csv")
	mapping := filepath.Join(dir, "users.mapping.yaml")
	csv := "email,password_hash,password\n" +
		"has@example.com,$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy,\n" +
		"none@example.com,,\n" +
		"malformed@example.com,$2a$10$tooshort,\n" +
		"plain@example.com,,correct horse battery\n"
	yaml := "version: 1\nsource:\n  format: csv\nidentifier: email\npasswords:\n  unsupported: drop\nfields:\n  email:\n    from: email\n  password.password_hash:\n    from: password_hash\n"
	if err := os.WriteFile(input, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mapping, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "users.report.csv")
	list := importer.DefaultNoPassword(report)
	env := map[string]string{"AUTHGEAR_ENDPOINT": sb.URL, "AUTHGEAR_PROJECT_ID": "myapp", "AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_ADMIN_KEY_FILE": keyFile}
	r := runCmd(t, env, "replay", "--mapping", mapping, "--input", input, "--report", report)
	if r.code != exitOK || !strings.Contains(r.out, "note: 3 users have no password: "+list) || !strings.Contains(r.out, "authgear-migrate notify --report") {
		t.Fatalf("replay: %s", r)
	}
	notify := func(stdin string, args ...string) runResult {
		var out, errOut bytes.Buffer
		io := &stdio{In: strings.NewReader(stdin), Out: &out, Err: &errOut, Getenv: func(k string) string { return env[k] }, ProgramName: "authgear-migrate"}
		code := run(context.Background(), append([]string{"notify", "--report", report}, args...), io)
		return runResult{code, out.String(), errOut.String()}
	}
	want := []string{"malformed@example.com", "none@example.com", "plain@example.com"}
	if r := notify("", "--dry-run"); r.code != exitUsage || !strings.Contains(r.errOut, "--reset-password") {
		t.Fatalf("without --reset-password: %s", r)
	}
	r = notify("", "--reset-password", "--dry-run")
	if r.code != exitOK || !strings.Contains(r.out, "3 of the 3 users without a password would get") {
		t.Fatalf("dry run: %s", r)
	}
	var listed []string
	for _, l := range strings.Split(r.out, "\n") {
		if strings.HasPrefix(l, "  ") {
			listed = append(listed, strings.Fields(l)[0])
		}
	}
	sort.Strings(listed)
	if strings.Join(listed, " ") != strings.Join(want, " ") || len(sb.Messages()) != 0 {
		t.Fatalf("dry run lists %v (messages %d), want %v", listed, len(sb.Messages()), want)
	}
	for _, in := range []string{"", "yes\n", "otherapp\n"} {
		if r := notify(in, "--reset-password"); r.code != exitUsage || !strings.Contains(r.errOut, "Type the project id (myapp) to send 3 messages") || len(sb.Messages()) != 0 {
			t.Fatalf("notify with %q typed: %s (%d messages)", in, r, len(sb.Messages()))
		}
	}
	if r := notify("myapp\n", "--reset-password"); r.code != exitOK || !strings.Contains(r.out, "3 sent, 0 with no email or phone login ID in Authgear, 0 failed") {
		t.Fatalf("notify: %s", r)
	}
	var sent []string
	for _, m := range sb.Messages() {
		sent = append(sent, m.Target)
	}
	sort.Strings(sent)
	if strings.Join(sent, " ") != strings.Join(want, " ") {
		t.Errorf("messages to %v, want one each to %v", sent, want)
	}
	if r := notify("", "--reset-password", "--yes"); r.code != exitOK || !strings.Contains(r.out, "0 sent") || !strings.Contains(r.out, "3 were sent one by an earlier notify") || len(sb.Messages()) != 3 {
		t.Fatalf("rerun: %s (%d messages)", r, len(sb.Messages()))
	}
	if r := notify("", "--reset-password", "--yes", "--project-id", "other"); r.code != exitUsage {
		t.Fatalf("another project: %s", r)
	}
}
