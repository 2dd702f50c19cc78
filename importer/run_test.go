package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// eventLog collects a run's events.
type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// kinds names the events in order, collapsing repeats ("Importing*").
func (l *eventLog) kinds() string {
	var out []string
	for _, e := range l.events {
		k := strings.TrimPrefix(fmt.Sprintf("%T", e), "importer.")
		if n := len(out); n > 0 && strings.TrimSuffix(out[n-1], "*") == k {
			out[n-1] = k + "*"
			continue
		}
		out = append(out, k)
	}
	return strings.Join(out, " ")
}

func exampleRun(t *testing.T) (RunConfig, string) {
	t.Helper()
	m, err := ReadMappingFile(filepath.Join("..", "examples", "users.mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return RunConfig{Mapping: m, MappingPath: "users.mapping.yaml", Input: filepath.Join("..", "examples", "users.csv"),
		Report: filepath.Join(dir, "users.report.csv")}, dir
}

// TestRunDryAndSandbox drives the run with no CLI: the events come in
// order and the summary counts every record once.
func TestRunDryAndSandbox(t *testing.T) {
	c, dir := exampleRun(t)
	var dry eventLog
	c.DryRun, c.Events = true, dry.add
	s, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if got := dry.kinds(); got != "Loading Validating* Done" {
		t.Errorf("dry-run events: %s", got)
	}
	if s.Total != 21 || s.Valid != 19 || s.Invalid != 2 || !s.Partial() || s.Retry == "" {
		t.Errorf("dry-run summary %+v", s)
	}
	if d := dry.events[len(dry.events)-1].(Done); d.Summary.Total != s.Total || d.Summary.Report != c.Report {
		t.Errorf("Done carries %+v", d.Summary)
	}
	checkReportRows(t, c.Report, 21)

	tgt, err := StartSandbox(context.Background(), SandboxConfig{LoginIDTypes: []string{"email", "phone"}, Roles: []string{"admin", "editor", "viewer"}}, testSandbox)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	var live eventLog
	c.DryRun, c.Target, c.Events = false, tgt, live.add
	c.Report = filepath.Join(dir, "live.report.csv")
	s, err = Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 21 || s.Inserted != 19 || s.Invalid != 2 || s.Failed != 0 || !s.Rehearsal || s.Journal != "" {
		t.Errorf("sandbox summary %+v", s)
	}
	kinds := live.kinds()
	if !strings.HasPrefix(kinds, "Loading ") || !strings.HasSuffix(kinds, " Done") || !strings.Contains(kinds, "Importing") {
		t.Errorf("import events: %s", kinds)
	}
	counted := 0
	for _, e := range live.events {
		if c, ok := e.(Counted); ok {
			counted = c.Total
		}
	}
	if counted != 21 {
		t.Errorf("Counted = %d, want 21 (events %s)", counted, kinds)
	}
	checkReportRows(t, c.Report, 21)
	// A rehearsal keeps no journal: its journal's place holds only a
	// start line marking the report a rehearsal's (a later run may
	// replace it).
	if b, err := os.ReadFile(DefaultJournal(c.Report)); err != nil || strings.Count(string(b), "\n") != 1 || !strings.Contains(string(b), `"rehearsal":true`) {
		t.Errorf("a rehearsal's journal: %q %v, want only its marked start line", b, err)
	}
}

// checkReportRows: rows 1..n each have exactly one line.
func checkReportRows(t *testing.T, path string, n int) {
	t.Helper()
	rows, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, r := range rows {
		seen[r.Row]++
	}
	for i := 1; i <= n; i++ {
		if seen[i] != 1 {
			t.Errorf("%s: row %d has %d lines", path, i, seen[i])
		}
	}
	if len(rows) != n {
		t.Errorf("%s: %d lines, want %d", path, len(rows), n)
	}
}

// TestRunJoinedPasswordsFromAnotherFolder: a mapping that names its
// password export by a relative name, run from another folder, finds it
// beside the input in the dry run and in a live run (fingerprint, output
// checks and journal included).
func TestRunJoinedPasswordsFromAnotherFolder(t *testing.T) {
	fixtures := fixturesDir(t)
	export := filepath.Join(t.TempDir(), "export")
	os.Mkdir(export, 0o700)
	for _, f := range []string{"auth0-users.ndjson", "auth0-password-hashes.ndjson"} {
		b, err := os.ReadFile(filepath.Join(fixtures, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(export, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	input := filepath.Join(export, "auth0-users.ndjson")
	m, _ := suggestFile(t, input, SuggestOptions{Passwords: filepath.Join(export, "auth0-password-hashes.ndjson")})
	if m.Source.Passwords == nil {
		t.Fatal("the Auth0 mapping has no password join")
	}
	m.Source.Passwords.File = "auth0-password-hashes.ndjson" // as saved beside the export
	t.Chdir(t.TempDir())                                     // run from elsewhere

	c := RunConfig{Mapping: m, MappingPath: "m.yaml", Input: input, DryRun: true, Report: "dry.report.csv"}
	dry, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if dry.PasswordsBcrypt == 0 {
		t.Fatalf("the dry run joined no password: %+v", dry)
	}
	tgt, err := StartSandbox(context.Background(), SandboxConfig{LoginIDTypes: []string{"email", "phone", "username"}, Roles: []string{"*"}, Groups: []string{"*"}}, testSandbox)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	tgt.Rehearsal, tgt.ID = false, "test project" // a live run: journal and fingerprint
	c.DryRun, c.Target, c.Report = false, tgt, "live.report.csv"
	live, err := Run(context.Background(), c)
	if err != nil {
		t.Fatalf("live run: %v", err)
	}
	if live.Inserted != dry.Valid || live.PasswordsBcrypt != dry.PasswordsBcrypt || live.Journal != "live.report.journal" {
		t.Errorf("live %+v after dry %+v", live.ImportSummary, dry.ImportSummary)
	}
	checkReportRows(t, "live.report.csv", dry.Total)
}

// TestRunRefusesBeforeTouchingOutputs: an output that is an input (by
// name, symbolic link or hard link), and a rehearsal over a live import's
// report, are refused with every file left as it was.
func TestRunRefusesBeforeTouchingOutputs(t *testing.T) {
	c, dir := exampleRun(t)
	input := filepath.Join(dir, "users.csv")
	b, _ := os.ReadFile(c.Input)
	os.WriteFile(input, b, 0o600)
	c.Input = input
	link := filepath.Join(dir, "link.report.csv")
	os.Symlink(input, link)
	hard := filepath.Join(dir, "hard.report.csv")
	os.Link(input, hard)
	tgt, err := StartSandbox(context.Background(), SandboxConfig{LoginIDTypes: []string{"email", "phone"}, Roles: []string{"*"}}, testSandbox)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	// A live import's report and journal, as a real run leaves them.
	liveReport := filepath.Join(dir, "users.report.csv")
	os.WriteFile(liveReport, []byte("row,identifier,outcome,user_id,reason\n1,a@example.com,inserted,u1,\n"), 0o600)
	os.WriteFile(DefaultJournal(liveReport), []byte(`{"t":"start","fp":{"input":"x","mapping":"y","size":1,"name":"users.csv","target":"https://p.authgear.cloud project p"}}`+"\n"+`{"t":"end"}`+"\n"), 0o600)
	snapshot := func() map[string]string {
		out := map[string]string{}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			out[e.Name()] = string(b)
		}
		return out
	}
	unchanged := func(what string, before map[string]string) {
		t.Helper()
		after := snapshot()
		for name, was := range before {
			if after[name] != was {
				t.Errorf("%s: %s changed", what, name)
			}
		}
		for name := range after {
			if _, ok := before[name]; !ok {
				t.Errorf("%s: %s created", what, name)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		report string
		dry    bool
		want   string
	}{
		{"report is the input", input, true, "same file as the input"},
		{"report is a link to the input", link, true, "symbolic link"},
		{"report is a hard link to the input", hard, false, "same file as the input"},
		{"dry run over a live report", liveReport, true, "report of a live import"},
		{"rehearsal over a live report", liveReport, false, "report of a live import"},
	} {
		c := c
		c.Report, c.DryRun, c.Target = tc.report, tc.dry, nil
		if !tc.dry {
			c.Target = tgt
		}
		before := snapshot()
		_, err := Run(context.Background(), c)
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want a refusal saying %q", tc.name, err, tc.want)
		}
		unchanged(tc.name, before)
	}
	// A resume refused for a changed input: an unfinished journal of
	// another input next to the report.
	resumeReport := filepath.Join(dir, "resume.report.csv")
	os.WriteFile(resumeReport, []byte("row,identifier,outcome,user_id,reason\n1,a@example.com,inserted,u1,\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "resume.retry.csv"), []byte("Email\nb@example.com\n"), 0o600)
	os.WriteFile(DefaultJournal(resumeReport), []byte(`{"t":"start","fp":{"input":"other","mapping":"y","size":1,"name":"old.csv","target":"test project"}}`+"\n"+`{"t":"req","seq":1,"rows":[[1,10]]}`+"\n"), 0o600)
	before := snapshot()
	realTarget := *tgt
	realTarget.Rehearsal, realTarget.ID = false, "test project"
	rc := c
	rc.Report, rc.Target = resumeReport, &realTarget
	if _, err := Run(context.Background(), rc); !errors.Is(err, ErrJournalMismatch) && !strings.Contains(fmt.Sprint(err), "unfinished import of another input") {
		t.Errorf("resume of another input: %v", err)
	}
	unchanged("resume of another input", before)
}
