package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Tests of a mapped path that no record has (issue 18 item 10).

func misspelledRun(t *testing.T, edit func(m *Mapping)) (RunConfig, *eventLog) {
	t.Helper()
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email", T("trim"), T("lowercase"))
	m.Set("given_name", "firstName", T("trim"))
	m.Set("password.password_hash", "password_hash")
	if edit != nil {
		edit(m)
	}
	var log eventLog
	return RunConfig{Mapping: m, MappingPath: "m.yaml", Input: filepath.Join("testdata", "exports", "misspelled-path.json"),
		Report: filepath.Join(t.TempDir(), "r.csv"), DryRun: true, Events: log.add}, &log
}

func TestRunRefusesAPasswordPathNoRecordHas(t *testing.T) {
	c, _ := misspelledRun(t, func(m *Mapping) { m.Fields["password.password_hash"].From = "passwordHash" })
	_, err := Run(context.Background(), c)
	var re *RefusedError
	var mp *MissingPathError
	if !errors.As(err, &re) || !errors.As(err, &mp) {
		t.Fatalf("err %v (%T), want a refusal with a *MissingPathError", err, err)
	}
	if len(mp.Paths) != 1 || mp.Paths[0].Field != "password.password_hash" || mp.Paths[0].Path != "passwordHash" || mp.Paths[0].Closest != "password_hash" || mp.Paths[0].Sampled != 3 {
		t.Errorf("paths %+v", mp.Paths)
	}
	for _, want := range []string{`"passwordHash"`, "none of the 3 sampled records", `closest path they have: "password_hash"`, "without a password", "optional: true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if _, serr := os.Stat(c.Report); !os.IsNotExist(serr) {
		t.Errorf("a report was written: %v", serr)
	}
}

func TestRunRefusesAnIdentifierPathNoRecordHas(t *testing.T) {
	c, _ := misspelledRun(t, func(m *Mapping) { m.Fields["email"].From = "e_mail" })
	_, err := Run(context.Background(), c)
	var mp *MissingPathError
	if !errors.As(err, &mp) || mp.Paths[0].Closest != "email" || !strings.Contains(err.Error(), "reported invalid for want of its email") {
		t.Fatalf("err %v", err)
	}
}

func TestRunOptionalPathNoRecordHasIsAWarning(t *testing.T) {
	c, log := misspelledRun(t, func(m *Mapping) {
		m.Fields["password.password_hash"].From = "passwordHash"
		m.Fields["password.password_hash"].Optional = true
	})
	s, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Valid != 3 || s.PasswordsBcrypt != 0 {
		t.Errorf("valid %d with bcrypt %d", s.Valid, s.PasswordsBcrypt)
	}
	checkPathWarning(t, s, log, `fields.password.password_hash reads "passwordHash"`, `"password_hash"`)
}

func TestRunProfilePathNoRecordHasIsAWarning(t *testing.T) {
	c, log := misspelledRun(t, func(m *Mapping) { m.Fields["given_name"].From = "firstNme" })
	s, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Valid != 3 || s.PasswordsBcrypt != 3 {
		t.Errorf("valid %d with bcrypt %d", s.Valid, s.PasswordsBcrypt)
	}
	checkPathWarning(t, s, log, `fields.given_name reads "firstNme", which none of the 3 sampled records has`, `closest path they have: "firstName"`, "no user gets a given_name from it")
	// A path some record has is no warning, even if others lack it
	// (cai has no firstName).
	c, log = misspelledRun(t, nil)
	if s, err = Run(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	for _, e := range log.events {
		if w, ok := e.(Warning); ok {
			t.Errorf("warning %q", w.Message)
		}
	}
	if len(s.Notes) > 0 && strings.Contains(strings.Join(s.Notes, "\n"), "sampled records has") {
		t.Errorf("notes %q", s.Notes)
	}
}

// checkPathWarning checks that the run warned (first screen) and noted
// (summary, --json) with every part.
func checkPathWarning(t *testing.T, s RunSummary, log *eventLog, parts ...string) {
	t.Helper()
	has := func(text string) bool {
		for _, p := range parts {
			if !strings.Contains(text, p) {
				return false
			}
		}
		return true
	}
	warned := false
	for _, e := range log.events {
		if w, ok := e.(Warning); ok && has(w.Message) {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning with %q in %+v", parts, log.events)
	}
	if !slices.ContainsFunc(s.Notes, has) {
		t.Errorf("no note with %q in %q", parts, s.Notes)
	}
}

func TestMappingOptionalIsRead(t *testing.T) {
	m, err := ReadMapping(strings.NewReader("version: 1\nidentifier: email\npasswords: {unsupported: drop}\nfields:\n  email: email\n  password.password_hash: {from: pw, optional: true}\n"), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Fields["password.password_hash"].Optional || m.Fields["email"].Optional {
		t.Errorf("fields %+v %+v", m.Fields["password.password_hash"], m.Fields["email"])
	}
}

// At map time, a preset's field that no record of the file has is left
// out of the mapping with a note (a replay would only warn about it).
func TestPresetFieldNoRecordHasIsLeftOut(t *testing.T) {
	r := mapAndPrepare(t, "keycloak-no-last-names.json", SuggestOptions{}, nil)
	if r.m.Preset != "keycloak" {
		t.Fatalf("preset %q", r.m.Preset)
	}
	if f := r.m.Fields["family_name"]; f != nil {
		t.Errorf("family_name ← %+v, which no record has", f)
	}
	if r.note("not mapped, as no record of the file has the path: ", "family_name ← lastName") == "" {
		t.Errorf("no note on lastName: %q", r.rep.Notes)
	}
	if f := r.m.Fields["given_name"]; f == nil || f.From != "firstName" {
		t.Errorf("given_name ← %+v", f)
	}
	if r.stats.Valid != 2 {
		t.Errorf("valid %d", r.stats.Valid)
	}
}

// When the sample is not the whole file, the identifier's or password's
// path the first records lack is kept, and marked optional.
func TestSettleMissingPathsOnASample(t *testing.T) {
	doc := `[{"email": "a@x.io"}, {"email": "b@x.io"}, {"email": "c@x.io", "pw": "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]`
	src, err := NewSource(strings.NewReader(doc), "s.json", SourceOptions{SampleSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("password.password_hash", "pw")
	m.Set("given_name", "first")
	rep := &SuggestReport{}
	settleMissingPaths(src, m, rep)
	if f := m.Fields["password.password_hash"]; f == nil || !f.Optional {
		t.Errorf("password %+v", f)
	}
	if f := m.Fields["given_name"]; f == nil || f.Optional {
		t.Errorf("given_name %+v", f)
	}
	if len(rep.Notes) != 2 || !strings.Contains(rep.Notes[0], "marked optional: true") && !strings.Contains(rep.Notes[1], "marked optional: true") {
		t.Errorf("notes %q", rep.Notes)
	}
	if _, err := CheckMappedPaths(src, m); err != nil {
		t.Errorf("the settled mapping is refused: %v", err)
	}
}

func TestClosestPath(t *testing.T) {
	paths := []string{"email", "password_hash", "user_metadata.first_name", "Attributes[Name=email].Value"}
	for text, want := range map[string]string{
		"passwordHash":                 "password_hash",
		"user_metadata.firstname":      "user_metadata.first_name",
		"Attributes[Name=emial].Value": "Attributes[Name=email].Value",
		"zzzzzz":                       "",
	} {
		if got := closestPath(text, paths); got != want {
			t.Errorf("closestPath(%q) = %q, want %q", text, got, want)
		}
	}
}
