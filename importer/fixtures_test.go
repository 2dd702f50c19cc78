package importer

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// fixturesDir is the repository's copy of the shared fixtures
// (testdata/fixtures): a plain clone runs every test that uses them.
func fixturesDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "testdata", "fixtures")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures missing from the repository: %v", err)
	}
	return dir
}

type expected struct {
	File                  string            `json:"file"`
	Format                string            `json:"format"`
	Records               int               `json:"records"`
	Valid                 int               `json:"valid"`
	Invalid               int               `json:"invalid"`
	InvalidRows           map[string]string `json:"invalid_rows"`
	WithBcryptPassword    int               `json:"with_bcrypt_password"`
	PasswordNotImportable int               `json:"password_not_importable"`
	Identifier            string            `json:"identifier"`
	EmailVerifiedTrue     int               `json:"email_verified_true"`
}

func readExpected(t *testing.T, path string) expected {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestInhouseFixtureWithSuggestedMapping maps the in-house CSV with the
// suggested mapping, untouched, and checks every outcome and reason.
func TestInhouseFixtureWithSuggestedMapping(t *testing.T) {
	dir := fixturesDir(t)
	exp := readExpected(t, filepath.Join(dir, "inhouse-users.expected.json"))
	src, err := Open(filepath.Join(dir, exp.File), SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m, rep := Suggest(src, "")
	if string(m.Identifier) != exp.Identifier {
		t.Fatalf("identifier = %s, want %s", m.Identifier, exp.Identifier)
	}
	plan, err := Compile(m, src.Columns(), src.Format() == FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	verified := 0
	stats, err := Prepare(context.Background(), src, plan, PrepareOptions{}, func(p *Prepared) error {
		if !p.Valid() {
			got[strconv.Itoa(p.Row.Num)] = p.Reason()
		} else if p.Record.EmailVerified != nil && *p.Record.EmailVerified {
			verified++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("suggestions: %+v unmapped: %v", rep.Suggestions, rep.Unmapped)
	if stats.Total != exp.Records || stats.Valid != exp.Valid || stats.Invalid != exp.Invalid {
		t.Errorf("total/valid/invalid = %d/%d/%d, want %d/%d/%d", stats.Total, stats.Valid, stats.Invalid, exp.Records, exp.Valid, exp.Invalid)
	}
	if stats.PasswordsBcrypt != exp.WithBcryptPassword || stats.PasswordsNotImportable != exp.PasswordNotImportable {
		t.Errorf("bcrypt/not importable = %d/%d, want %d/%d", stats.PasswordsBcrypt, stats.PasswordsNotImportable, exp.WithBcryptPassword, exp.PasswordNotImportable)
	}
	for row, reason := range exp.InvalidRows {
		if got[row] != reason {
			t.Errorf("row %s: reason %q, want %q", row, got[row], reason)
		}
	}
	for row, reason := range got {
		if _, ok := exp.InvalidRows[row]; !ok {
			t.Errorf("row %s unexpectedly invalid: %s", row, reason)
		}
	}
	t.Logf("email_verified true among valid: %d (expected file counts %d over all rows)", verified, exp.EmailVerifiedTrue)
}
