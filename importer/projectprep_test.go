package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

func TestSuggestKey(t *testing.T) {
	for in, want := range map[string]string{
		"beta-testers": "beta_testers", "Has Space": "Has_Space", "2fa": "_2fa",
		"admin": "admin", "a:b_c": "a:b_c", ":x": "_:x", "": "_", "é": "_",
	} {
		if got := SuggestKey(in); got != want {
			t.Errorf("SuggestKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPrepareProjectCreatesRoles: the Keycloak fixture's role "admin" is
// not in the project. Without --create-roles the role is named with its 12
// records before anything is sent, and the canary stops the import on the
// first request; with it the role is created and every valid record is
// inserted, none failed.
func TestPrepareProjectCreatesRoles(t *testing.T) {
	input := filepath.Join(fixturesDir(t), "keycloak-realm-export.json")
	m, _ := suggestFile(t, input, SuggestOptions{})
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	dir := t.TempDir()
	c := RunConfig{Mapping: m, MappingPath: "keycloak.mapping.yaml", Input: input, Report: filepath.Join(dir, "r.csv"),
		Target: &Destination{API: e.api, Name: "sandbox", ID: "sandbox test"}, Import: e.fastOptions(false)}

	var told []string
	var remedy Remedy
	NewProjectPrep(e.api, ProjectOptions{Tell: func(msg string, r Remedy) {
		if e.sb.Stats().RecordsReceived != 0 {
			t.Error("told after records were sent")
		}
		told, remedy = append(told, msg), r
	}}).Install(&c)
	_, err := Run(context.Background(), c)
	if !errors.Is(err, ErrCanary) || len(told) != 1 || !strings.Contains(told[0], `role "admin" (12 records)`) || remedy != RemedyCreateRoles || strings.Contains(told[0], "--") {
		t.Fatalf("without --create-roles: %v, told %q", err, told)
	}
	if st := e.sb.Stats(); st.RecordsReceived != 10 {
		t.Fatalf("%d records sent, want the canary's 10", st.RecordsReceived)
	}

	// A fresh project (the canary's 8 users would come back skipped).
	told = nil
	e = startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	c.Target = &Destination{API: e.api, Name: "sandbox", ID: "sandbox test 2"}
	c.Import = e.fastOptions(false)
	// The first import's report and journal hold the canary's user ids:
	// an import into another project names its own report.
	c.Report = filepath.Join(dir, "r2.csv")
	NewProjectPrep(e.api, ProjectOptions{Create: true, Tell: func(msg string, _ Remedy) { told = append(told, msg) }}).Install(&c)
	s, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Inserted != 60 || s.Failed != 0 || s.Needs == nil || s.Needs.Roles["admin"] != 12 {
		t.Fatalf("with --create-roles: %+v", s)
	}
	if roles := e.sb.Roles(); len(roles) != 1 || roles[0] != "admin" || len(told) != 1 || !strings.Contains(told[0], `role "admin" (12 records)`) {
		t.Fatalf("roles %v, told %v", roles, told)
	}
}

// TestDryRunFindsInvalidKeys: keys Authgear can never hold are counted in
// the dry run, with the key transform suggested; a live run with Prepare
// says so before anything is sent, and creates nothing when the canary
// stops it.
func TestDryRunFindsInvalidKeys(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "u.csv")
	os.WriteFile(input, []byte("email,roles\na@example.com,beta-testers;admin\nb@example.com,Has Space\nc@example.com,admin\n"), 0o600)
	mp := filepath.Join(dir, "u.mapping.yaml")
	os.WriteFile(mp, []byte("version: 1\nidentifier: email\nfields:\n  email: {from: email}\n  roles: {from: roles, transforms: [{split: \";\"}]}\n"), 0o600)
	m, err := ReadMappingFile(mp)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: mp, Input: input, DryRun: true, Report: filepath.Join(dir, "r.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if s.Needs == nil || s.Needs.Roles["admin"] != 2 || s.Needs.InvalidRoles["beta-testers"] != 1 || s.Needs.InvalidRoles["Has Space"] != 1 {
		t.Fatalf("needs %+v", s.Needs)
	}
	adv := s.Needs.InvalidKeyAdvice()
	for _, want := range []string{`"beta-testers" (1 record) → "beta_testers"`, `"Has_Space"`, `transform "key" to the roles field`} {
		if !strings.Contains(adv, want) {
			t.Errorf("advice %q lacks %q", adv, want)
		}
	}
	e := startLive(t, sandbox.Options{})
	var told []string
	lc := RunConfig{Mapping: m, MappingPath: mp, Input: input, Report: filepath.Join(dir, "live.csv"),
		Target: &Destination{API: e.api, ID: "sandbox test"}, Import: e.fastOptions(false)}
	NewProjectPrep(e.api, ProjectOptions{Create: true, Tell: func(msg string, _ Remedy) { told = append(told, msg) }}).Install(&lc)
	_, err = Run(context.Background(), lc)
	// The canary holds only the record that needs nothing created ("Has
	// Space", which no project can hold): it fails, the run stops, and
	// "admin" is never created for a run that could not go on.
	if !errors.Is(err, ErrCanary) || len(told) != 1 || !strings.Contains(told[0], "beta_testers") {
		t.Fatalf("live run with invalid keys: %v, told %q", err, told)
	}
	if roles := e.sb.Roles(); len(roles) != 0 {
		t.Fatalf("roles %v created before a canary that stopped the run", roles)
	}
}
