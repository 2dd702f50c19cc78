package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpsertIgnoredNote: the engine's note on the second factors an update
// ignores, in map's notes and in a dry run's summary.
func TestUpsertIgnoredNote(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	if UpsertIgnoredOf(m) != nil {
		t.Error("a note without a second factor")
	}
	m.Set("mfa.phone_number", "phone")
	if UpsertIgnoredOf(m) != nil {
		t.Error("a note for an SMS factor, which an update sets")
	}
	m.Set("mfa.totp.secret", "totp")
	m.Set("mfa.password.password_hash", "mfa_hash")
	u := UpsertIgnoredOf(m)
	if u == nil || len(u.Fields) != 2 || u.Upsert {
		t.Fatalf("%+v", u)
	}
	if s := u.String(); !strings.Contains(s, "MFA passwords (mfa.password) and TOTP secrets (mfa.totp.secret)") || !strings.Contains(s, "a rerun with upsert: true would update them and still not set these") {
		t.Errorf("%q", s)
	}
	m.Upsert = true
	if s := UpsertIgnoredOf(m).String(); !strings.HasPrefix(s, "upsert: true updates users who already exist") || !strings.Contains(s, "a user this run or a rerun updates keeps") {
		t.Errorf("%q", s)
	}
	// A dry run with upsert says it; one without does not.
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	os.WriteFile(input, []byte("email,totp\na@example.com,JBSWY3DPEHPK3PXP\n"), 0o600)
	for _, upsert := range []bool{false, true} {
		dm := NewMapping(IdentifierEmail)
		dm.Set("email", "email")
		dm.Set("mfa.totp.secret", "totp")
		dm.Upsert = upsert
		s, err := Run(context.Background(), RunConfig{Mapping: dm, MappingPath: "m.yaml", Input: input, DryRun: true, Report: filepath.Join(dir, fmt.Sprint(upsert)+".csv")})
		if err != nil {
			t.Fatal(err)
		}
		said := false
		for _, n := range s.Notes {
			said = said || strings.Contains(n, "Authgear sets TOTP secrets (mfa.totp.secret) only on the users an import creates")
		}
		if said != upsert {
			t.Errorf("upsert %v: notes %q", upsert, s.Notes)
		}
	}
}
