package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/snippets"
)

func TestSnippetsCommand(t *testing.T) {
	const endpoint = "https://myapp.authgear.cloud"

	r := runCmd(t, nil, "snippets")
	if r.code != exitOK {
		t.Fatalf("list: %s", r)
	}
	for _, name := range snippets.Names() {
		if !strings.Contains(r.out, "  "+name+" ") {
			t.Errorf("list lacks %s:\n%s", name, r.out)
		}
	}

	r = runCmd(t, nil, "snippets", "--endpoint", endpoint+"/", "--stack", "express")
	want, err := snippets.Render("express", snippets.Config{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	if r.code != exitOK || r.out != want {
		t.Fatalf("print: %s", r)
	}

	r = runCmd(t, map[string]string{"AUTHGEAR_ENDPOINT": endpoint}, "snippets", "--stack", "go")
	if r.code != exitOK || !strings.Contains(r.out, `const authgearEndpoint = "`+endpoint+`"`) {
		t.Fatalf("endpoint from the environment: %s", r)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"snippets", "--stack", "go"}, "--endpoint is required"},
		{[]string{"snippets", "--stack", "rails", "--endpoint", endpoint}, `unknown stack "rails"`},
		{[]string{"snippets", "--stack", "go", "--endpoint", "http://myapp.authgear.cloud"}, "plain http is only for a loopback host"},
		{[]string{"snippets", "--stack", "go", "--endpoint", "https://myapp.authgear.cloud/x"}, "only scheme and host"},
		{[]string{"snippets", "--out", t.TempDir()}, "--out needs --stack"},
		{[]string{"snippets", "--stack", "go", "--endpoint", endpoint, "extra"}, "unexpected argument"},
	} {
		r := runCmd(t, nil, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.errOut, tc.want) {
			t.Errorf("%v: %s\nwant exit 2 saying %q", tc.args, r, tc.want)
		}
	}

	dir := filepath.Join(t.TempDir(), "api")
	r = runCmd(t, nil, "snippets", "--endpoint", endpoint, "--stack", "flask", "--out", dir)
	if r.code != exitOK || !strings.Contains(r.out, "run: cd "+dir+" && pip install -r requirements.txt && python3 app.py") {
		t.Fatalf("--out: %s", r)
	}
	for _, f := range []string{"app.py", "requirements.txt", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	r = runCmd(t, nil, "snippets", "--endpoint", endpoint, "--stack", "flask", "--out", dir)
	if r.code != exitError || !strings.Contains(r.errOut, "--out "+dir+" is not empty") {
		t.Fatalf("--out into a used folder: %s", r)
	}
	// A folder with a symlinked subfolder (issue 17 item 9): nothing is
	// written through the link.
	victim, planted := t.TempDir(), filepath.Join(t.TempDir(), "planted")
	if err := os.Mkdir(planted, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(planted, "src")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	r = runCmd(t, nil, "snippets", "--endpoint", endpoint, "--stack", "php", "--out", planted)
	if r.code != exitError || !strings.Contains(r.errOut, "is not empty") {
		t.Fatalf("--out into a folder with a symlinked subfolder: %s", r)
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Errorf("files were written through the link: %v", entries)
	}
}
