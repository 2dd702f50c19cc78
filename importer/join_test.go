package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	joinBcrypt  = "$2b$10$jSuFF7UYZDgeVmhxdjI2/uSA5C9ZExw282ihFDApuVPS4zOJZL0GO"
	joinBcrypt2 = "$2b$10$dHDOy0q3g41ajrwvV/zeLeTpPLTiioWFSWU.UHuKz.MFIPYtxYdyq"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// joinedHash returns the passwordHash joined to each row, by row number.
func joinedHashes(t *testing.T, src *Source) map[int]string {
	t.Helper()
	out := map[int]string{}
	for _, r := range src.Sample() {
		if p, ok := r.Extra[passwordsJoinName].(map[string]any); ok {
			out[r.Num] = scalarString(p["passwordHash"])
		}
	}
	return out
}

func TestPasswordJoinWays(t *testing.T) {
	dir := t.TempDir()
	users := writeFile(t, dir, "users.ndjson", strings.Join([]string{
		`{"user_id":"auth0|000000000000000000000001","email":"a@example.com"}`,      // by _id.$oid
		`{"user_id":"auth0|000000000000000000000002","email":"b@example.com"}`,      // by _ID (string)
		`{"user_id":"auth0|000000000000000000000003","email":"c@example.com"}`,      // by _ID.$oid
		`{"user_id":"auth0|imported-id","email":"  D@Example.COM "}`,                // by email, case and space aside
		`{"user_id":"auth0|imported-id-2","email":"e@example.com"}`,                 // by identifiers[]
		`{"user_id":"google-oauth2|1234","email":"a@example.com"}`,                  // a social login: never
		`{"user_id":"auth0|imported-id-3","email":"twice@example.com"}`,             // ambiguous email: never
		`{"email":"f@example.com"}`,                                                 // no user_id: by email
		`{"user_id":"auth0|000000000000000000000009","email":"nobody@example.com"}`, // not in the export
	}, "\n")+"\n")
	writeFile(t, dir, "hashes.ndjson", strings.Join([]string{
		`{"_id":{"$oid":"000000000000000000000001"},"email":"other-a@example.com","passwordHash":"` + joinBcrypt + `"}`,
		`{"_ID":"000000000000000000000002","email":"b@example.com","passwordHash":"` + joinBcrypt + `"}`,
		`{"_ID":{"$oid":"000000000000000000000003"},"passwordHash":"` + joinBcrypt + `"}`,
		`{"_id":{"$oid":"0000000000000000000000dd"},"email":"d@example.com","passwordHash":"` + joinBcrypt + `"}`,
		`{"_id":{"$oid":"0000000000000000000000ee"},"identifiers":[{"type":"username","value":"eve"},{"type":"email","value":"E@example.com"}],"passwordHash":"` + joinBcrypt + `"}`,
		`{"_id":{"$oid":"0000000000000000000000f1"},"email":"twice@example.com","passwordHash":"` + joinBcrypt + `"}`,
		`{"_id":{"$oid":"0000000000000000000000f2"},"email":"twice@example.com","passwordHash":"` + joinBcrypt2 + `"}`,
		`{"_id":{"$oid":"0000000000000000000000ff"},"email":"f@example.com","passwordHash":"` + joinBcrypt2 + `"}`,
		`not json at all`,
	}, "\n")+"\n")
	m := NewMapping(IdentifierEmail)
	m.Source.Passwords = auth0PasswordJoin("hashes.ndjson") // relative: found beside the input
	m.Set("email", "email", T("trim"), T("lowercase"))
	m.Set("password.password_hash", "passwords.passwordHash")
	src, err := OpenInput(users, m)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got := joinedHashes(t, src)
	want := map[int]string{1: joinBcrypt, 2: joinBcrypt, 3: joinBcrypt, 4: joinBcrypt, 5: joinBcrypt, 8: joinBcrypt2}
	for n := 1; n <= 9; n++ {
		if got[n] != want[n] {
			t.Errorf("row %d: joined %q, want %q", n, got[n], want[n])
		}
	}
	// Through the plan: the joined hash becomes the record's password.
	plan, err := CompileFor(m, src)
	if err != nil {
		t.Fatal(err)
	}
	if p := plan.Apply(src.Sample()[0]); p.Record.Password == nil || p.Record.Password.PasswordHash != joinBcrypt {
		t.Errorf("row 1: password %+v", p.Record.Password)
	}
	if p := plan.Apply(src.Sample()[5]); p.Record.Password != nil {
		t.Errorf("row 6 (social): password %+v", p.Record.Password)
	}
}

// The Auth0 CSV export writes "'auth0|..." and "'a@example.com".
func TestPasswordJoinCSVPrefixes(t *testing.T) {
	dir := t.TempDir()
	users := writeFile(t, dir, "users.csv", "\"user_id\",\"email\"\n\"'auth0|000000000000000000000001\",\"'x@example.com\"\n\"'auth0|zzz\",\"'B@example.com\"\n")
	writeFile(t, dir, "hashes.ndjson", `{"_id":{"$oid":"000000000000000000000001"},"email":"a@example.com","passwordHash":"`+joinBcrypt+`"}`+"\n"+
		`{"_id":{"$oid":"000000000000000000000002"},"email":"b@example.com","passwordHash":"`+joinBcrypt2+`"}`+"\n")
	m := NewMapping(IdentifierEmail)
	m.Source.Passwords = auth0PasswordJoin(filepath.Join(dir, "hashes.ndjson"))
	src, err := OpenInput(users, m)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got := joinedHashes(t, src)
	if got[1] != joinBcrypt || got[2] != joinBcrypt2 {
		t.Errorf("joined %v", got)
	}
}

func TestPasswordJoinErrors(t *testing.T) {
	dir := t.TempDir()
	users := writeFile(t, dir, "users.csv", "name\nAnn\n")
	writeFile(t, dir, "hashes.ndjson", `{"_id":{"$oid":"1"},"email":"a@example.com","passwordHash":"x"}`+"\n")
	m := NewMapping(IdentifierEmail)
	m.Source.Passwords = auth0PasswordJoin("missing.ndjson")
	if _, err := OpenInput(users, m); err == nil || !strings.Contains(err.Error(), "password file") {
		t.Errorf("a missing password file: %v", err)
	}
	m.Source.Passwords = auth0PasswordJoin("hashes.ndjson")
	if _, err := OpenInput(users, m); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Errorf("an input with nothing to join on: %v", err)
	}
	// Only a file (replay --passwords on a mapping without a join): Auth0's way.
	users = writeFile(t, dir, "users.ndjson", `{"user_id":"auth0|1","email":"z@example.com"}`+"\n")
	m.Source.Passwords = &JoinSpec{File: "hashes.ndjson"}
	src, err := OpenInput(users, m)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if got := joinedHashes(t, src); got[1] != "x" {
		t.Errorf("joined %v", got)
	}
}

// The mapping remembers the password file: written, read back and
// replayed from another working directory, it still finds it.
func TestPasswordJoinRememberedByMapping(t *testing.T) {
	dir := fixturesDir(t)
	input := filepath.Join(dir, "auth0-users.ndjson")
	m, _ := suggestFile(t, input, SuggestOptions{Passwords: filepath.Join(dir, "auth0-password-hashes.ndjson")})
	m.Source.Passwords.File = "auth0-password-hashes.ndjson" // as if map was run from the fixtures folder
	m = roundTrip(t, m)
	if m.Source.Passwords == nil || m.Source.Passwords.Key != "user_id" || m.Source.Passwords.AltKey != "email" {
		t.Fatalf("join spec lost: %+v", m.Source.Passwords)
	}
	stats, _, _ := dryRun(t, input, m)
	if stats.PasswordsBcrypt != 53 {
		t.Errorf("bcrypt passwords = %d, want 53", stats.PasswordsBcrypt)
	}
}
