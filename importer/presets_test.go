package importer

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// dryRun opens path the way m says (with its joins) and prepares every
// record, as replay --dry-run does.
func dryRun(t *testing.T, path string, m *Mapping) (PrepareStats, int, []*Prepared) {
	t.Helper()
	src, err := OpenInput(path, m)
	if err != nil {
		t.Fatalf("OpenInput: %v", err)
	}
	defer src.Close()
	plan, err := CompileFor(m, src)
	if err != nil {
		t.Fatalf("CompileFor: %v", err)
	}
	verified := 0
	var all []*Prepared
	stats, err := Prepare(context.Background(), src, plan, PrepareOptions{}, func(p *Prepared) error {
		if p.Record != nil && p.Record.EmailVerified != nil && *p.Record.EmailVerified {
			verified++
		}
		all = append(all, p)
		return nil
	})
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return stats, verified, all
}

// roundTrip writes m as YAML and reads it back, as map and replay do.
func roundTrip(t *testing.T, m *Mapping) *Mapping {
	t.Helper()
	var b bytes.Buffer
	if err := m.Write(&b); err != nil {
		t.Fatal(err)
	}
	back, err := ReadMapping(&b, "mapping.yaml")
	if err != nil {
		t.Fatalf("the saved mapping does not read back: %v\n%s", err, b.String())
	}
	return back
}

// suggestFile opens path as map does and suggests a mapping.
func suggestFile(t *testing.T, path string, o SuggestOptions) (*Mapping, *SuggestReport) {
	t.Helper()
	src, err := Open(path, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m, rep, err := SuggestMapping(src, o)
	if err != nil {
		t.Fatalf("SuggestMapping(%s): %v", path, err)
	}
	return m, rep
}

// TestFixturesPickPresetAndCounts: for each shared fixture, map picks the
// right preset with no flag, and a dry run with the saved mapping gives
// exactly the counts of its expected.json.
func TestFixturesPickPresetAndCounts(t *testing.T) {
	dir := fixturesDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.expected.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no expected files in %s", dir)
	}
	for _, ef := range files {
		exp := readExpected(t, ef)
		t.Run(exp.File, func(t *testing.T) {
			input := filepath.Join(dir, exp.File)
			o := SuggestOptions{}
			if exp.Format == "auth0" {
				o.Passwords = filepath.Join(dir, "auth0-password-hashes.ndjson")
			}
			m, rep := suggestFile(t, input, o)
			if m.Preset != exp.Format {
				t.Fatalf("preset = %q, want %q (notes: %v)", m.Preset, exp.Format, rep.Notes)
			}
			if string(m.Identifier) != exp.Identifier {
				t.Errorf("identifier = %s, want %s", m.Identifier, exp.Identifier)
			}
			m = roundTrip(t, m)
			stats, verified, _ := dryRun(t, input, m)
			t.Logf("%s: records %d valid %d invalid %d bcrypt %d not importable %d verified %d families %v",
				exp.File, stats.Total, stats.Valid, stats.Invalid, stats.PasswordsBcrypt, stats.PasswordsNotImportable, verified, stats.HashFamilies)
			if stats.Total != exp.Records || stats.Valid != exp.Valid || stats.Invalid != exp.Invalid {
				t.Errorf("records/valid/invalid = %d/%d/%d, want %d/%d/%d", stats.Total, stats.Valid, stats.Invalid, exp.Records, exp.Valid, exp.Invalid)
			}
			if stats.PasswordsBcrypt != exp.WithBcryptPassword {
				t.Errorf("with_bcrypt_password = %d, want %d", stats.PasswordsBcrypt, exp.WithBcryptPassword)
			}
			if stats.PasswordsNotImportable != exp.PasswordNotImportable {
				t.Errorf("password_not_importable = %d, want %d", stats.PasswordsNotImportable, exp.PasswordNotImportable)
			}
			if verified != exp.EmailVerifiedTrue {
				t.Errorf("email_verified true = %d, want %d", verified, exp.EmailVerifiedTrue)
			}
			if testing.Verbose() {
				for _, n := range rep.Notes {
					t.Logf("note: %s", n)
				}
			}
		})
	}
}

// TestPresetNotesSayWhatIsLost checks the words people read for the
// systems whose passwords cannot be imported.
func TestPresetNotesSayWhatIsLost(t *testing.T) {
	dir := fixturesDir(t)
	for file, want := range map[string][]string{
		"firebase-auth-export.json":  {"60 of the records have firebase scrypt hashes", "forgot-password", RollingMigrationGuide},
		"keycloak-realm-export.json": {"60 of the records have pbkdf2 hashes", "default-roles-", RollingMigrationGuide},
		"clerk-export.csv":           {"48 of the records have a bcrypt hash", "12 of the records have argon2 hashes", RollingMigrationGuide},
		"cognito-users.csv":          {"Cognito never exports password hashes", RollingMigrationGuide},
		"supabase-auth-users.csv":    {"51 of the records have a bcrypt hash", "deleted_at"},
	} {
		_, rep := suggestFile(t, filepath.Join(dir, file), SuggestOptions{})
		all := strings.Join(rep.Notes, "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: notes lack %q:\n%s", file, w, all)
			}
		}
	}
}

// TestInhouseStaysGeneric: a file of no known system gets the generic
// preset and says so.
func TestInhouseStaysGeneric(t *testing.T) {
	dir := fixturesDir(t)
	for _, f := range []string{"inhouse-users.csv", "guide-users.csv"} {
		m, rep := suggestFile(t, filepath.Join(dir, f), SuggestOptions{})
		if m.Preset != "generic" {
			t.Errorf("%s: preset %q, want generic", f, m.Preset)
		}
		if !strings.Contains(strings.Join(rep.Notes, "\n"), "no preset matched") {
			t.Errorf("%s: no note says that no preset matched: %v", f, rep.Notes)
		}
	}
}
