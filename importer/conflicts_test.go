package importer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// TestConflictNamesHolder: a phone number another user already has fails
// the record with "identity already exists"; its report line names the
// phone and the id of the user that holds it.
func TestConflictNamesHolder(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	dir := t.TempDir()
	mp := filepath.Join(dir, "m.yaml")
	os.WriteFile(mp, []byte("version: 1\nidentifier: email\nfields:\n  email: {from: email}\n  phone_number: {from: phone}\n"), 0o600)
	m, err := ReadMappingFile(mp)
	if err != nil {
		t.Fatal(err)
	}
	run := func(name, csv string) []ReportRow {
		input := filepath.Join(dir, name+".csv")
		os.WriteFile(input, []byte(csv), 0o600)
		_, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: mp, Input: input, Report: filepath.Join(dir, name+".report.csv"),
			Target: &Destination{API: e.api, ID: "sandbox test"}, Import: e.fastOptions(false)})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := ReadReport(filepath.Join(dir, name+".report.csv"))
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	first := run("first", "email,phone\nholder@example.com,+85291234567\n")
	if first[0].Outcome != OutcomeInserted {
		t.Fatalf("first: %+v", first)
	}
	second := run("second", "email,phone\nnew@example.com,+85291234567\nother@example.com,+85291234568\n")
	if second[0].Outcome != OutcomeFailed || second[1].Outcome != OutcomeInserted {
		t.Fatalf("second: %+v", second)
	}
	want := "the phone +85291234567 is already held by user " + first[0].UserID
	if !strings.Contains(second[0].Reason, "identity already exists") || !strings.Contains(second[0].Reason, want) {
		t.Fatalf("reason %q lacks %q", second[0].Reason, want)
	}
	if strings.Contains(second[1].Reason, "held by") {
		t.Fatalf("an inserted record names a holder: %q", second[1].Reason)
	}
}
