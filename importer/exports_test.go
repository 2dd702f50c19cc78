package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// Tests of the shapes real exports take (issue 9): each fixture under
// testdata/exports has one pattern, and each test pins what map says of
// it and what becomes of every record.

// exportRun is what map and a dry run made of a fixture.
type exportRun struct {
	m     *Mapping
	rep   *SuggestReport
	stats PrepareStats
	rows  map[int]*Prepared // by row number
}

// mapAndPrepare suggests a mapping for testdata/exports/name (adjusted by
// edit, when given) and prepares every record with it.
func mapAndPrepare(t *testing.T, name string, o SuggestOptions, edit func(*Mapping)) *exportRun {
	t.Helper()
	path := filepath.Join("testdata", "exports", name)
	src, err := Open(path, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, rep, err := SuggestMapping(src, o)
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	in, err := OpenInput(path, m)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	plan, err := CompileFor(m, in)
	if err != nil {
		t.Fatal(err)
	}
	r := &exportRun{m: m, rep: rep, rows: map[int]*Prepared{}}
	r.stats, err = Prepare(context.Background(), in, plan, PrepareOptions{}, func(p *Prepared) error {
		r.rows[p.Row.Num] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// note returns the first note that contains every part, or "".
func (r *exportRun) note(parts ...string) string {
	for _, n := range r.rep.Notes {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(n, p)
		}
		if ok {
			return n
		}
	}
	return ""
}

func TestExportFirebaseEmulatorPlaceholderHashesAreDropped(t *testing.T) {
	r := mapAndPrepare(t, "firebase-emulator.json", SuggestOptions{}, nil)
	if r.m.Preset != "firebase" {
		t.Fatalf("preset = %q, want firebase", r.m.Preset)
	}
	if r.note("3 sampled password hashes are placeholders") == "" {
		t.Errorf("no note on the placeholders: %q", r.rep.Notes)
	}
	if r.stats.Total != 5 || r.stats.Valid != 5 {
		t.Fatalf("total/valid = %d/%d, want 5/5", r.stats.Total, r.stats.Valid)
	}
	for num, want := range map[int]string{
		1: "password dropped: the export holds a placeholder",
		2: "password dropped: the export holds a placeholder",
		3: "password dropped: the export holds a placeholder",
		4: "password dropped: firebase scrypt hashes cannot be imported",
		5: "",
	} {
		p := r.rows[num]
		if p.Record.Password != nil {
			t.Errorf("row %d: a password is sent", num)
		}
		if got := p.Reason(); !strings.HasPrefix(got, want) || (want == "") != (got == "") {
			t.Errorf("row %d: reason %q, want %q...", num, got, want)
		}
		if want != "" && !p.PasswordDropped {
			t.Errorf("row %d: PasswordDropped not set", num)
		}
	}
}

func TestRecognisePlaceholderHashes(t *testing.T) {
	for _, c := range []struct {
		h    string
		want HashFamily
	}{
		{"fakeHash:salt=abc:password=secret", HashPlaceholder},
		{"UkVEQUNURUQ9PT0=", HashPlaceholder},
		{"REDACTED", HashPlaceholder},
		{"[redacted]", HashPlaceholder},
		{"********", HashPlaceholder},
		{"{hasher:firebase_scrypt}fakeHash:salt=a:password=b", HashPlaceholder},
		{"{hasher:firebase_scrypt}abc", HashFirebaseScrypt},
		{"secret", HashPlaintext},
		{"!unusable", HashUnknown},
		{"**", HashPlaintext},
	} {
		if got := RecogniseHash(c.h); got != c.want {
			t.Errorf("RecogniseHash(%q) = %q, want %q", c.h, got, c.want)
		}
	}
}

func TestExportPlaintextPasswordsLeftUnmappedByDefault(t *testing.T) {
	for _, file := range []string{"seed-plaintext.csv", "keycloak-cleartext.json"} {
		t.Run(file, func(t *testing.T) {
			r := mapAndPrepare(t, file, SuggestOptions{}, nil)
			if _, ok := r.m.Fields["password.password_hash"]; ok {
				t.Fatalf("the clear-text column is mapped: %+v", r.m.Fields["password.password_hash"])
			}
			if n := r.note("holds passwords in clear text, not hashes", "hash them locally", "should never have existed"); n == "" || r.rep.NoteRemedy[n] != RemedyHashPlaintext || strings.Contains(n, "--") {
				t.Errorf("no plaintext note: %q", r.rep.Notes)
			}
			if r.stats.Invalid != 0 || r.stats.PasswordsBcrypt != 0 {
				t.Errorf("invalid/bcrypt = %d/%d, want 0/0", r.stats.Invalid, r.stats.PasswordsBcrypt)
			}
		})
	}
}

func TestExportPlaintextPasswordsHashedLocally(t *testing.T) {
	for file, want := range map[string]map[int]string{
		"seed-plaintext.csv":      {1: "secret", 2: "TempPass123!", 3: "hunter2", 4: ""},
		"keycloak-cleartext.json": {1: "alice-secret", 2: "TempPass123!", 3: ""},
	} {
		t.Run(file, func(t *testing.T) {
			r := mapAndPrepare(t, file, SuggestOptions{HashPlaintext: true}, nil)
			if r.m.Passwords.Plaintext != PlaintextHash {
				t.Fatalf("passwords.plaintext = %q", r.m.Passwords.Plaintext)
			}
			if r.note("bcrypt-hashed locally (cost 10)", "should never have existed") == "" {
				t.Errorf("no note: %q", r.rep.Notes)
			}
			n := 0
			for num, pw := range want {
				p := r.rows[num]
				if !p.Valid() {
					t.Fatalf("row %d invalid: %s", num, p.Reason())
				}
				if pw == "" {
					if p.Record.Password != nil {
						t.Errorf("row %d: a password is sent", num)
					}
					continue
				}
				n++
				h, err := p.Record.Password.Hash()
				if err != nil {
					t.Fatalf("row %d: %v", num, err)
				}
				if cost, err := bcrypt.Cost([]byte(h)); err != nil || cost < 10 {
					t.Errorf("row %d: cost %d, %v", num, cost, err)
				}
				if bcrypt.CompareHashAndPassword([]byte(h), []byte(pw)) != nil {
					t.Errorf("row %d: the hash does not verify the password", num)
				}
				if strings.Contains(p.Reason(), pw) || p.Reason() != "password was in clear text: bcrypt-hashed locally before sending" {
					t.Errorf("row %d: reason %q", num, p.Reason())
				}
			}
			if r.stats.PasswordsHashedLocally != n || r.stats.PasswordsBcrypt != n {
				t.Errorf("hashed locally/bcrypt = %d/%d, want %d", r.stats.PasswordsHashedLocally, r.stats.PasswordsBcrypt, n)
			}
		})
	}
}

func TestExportPlaintextMappedWithoutPolicyIsRejectedWithAdvice(t *testing.T) {
	r := mapAndPrepare(t, "seed-plaintext.csv", SuggestOptions{}, func(m *Mapping) {
		m.Set("password.password_hash", "password")
	})
	if r.stats.Invalid != 3 {
		t.Fatalf("invalid = %d, want 3", r.stats.Invalid)
	}
	got := r.rows[2].Reason()
	if !strings.Contains(got, "in clear text") || !strings.Contains(got, "passwords.plaintext: hash") || strings.Contains(got, "TempPass") {
		t.Errorf("reason %q", got)
	}
}

func TestMappingPlaintextPolicyChecked(t *testing.T) {
	_, err := ReadMapping(strings.NewReader("passwords: {plaintext: yes}\nfields: {email: email}\n"), "m.yaml")
	if err == nil || !strings.Contains(err.Error(), "passwords.plaintext") {
		t.Fatalf("err = %v", err)
	}
}

func TestExportCSVPreambleBeforeHeader(t *testing.T) {
	for _, c := range []struct {
		file     string
		preamble int
		preset   string
		valid    int
	}{
		{"clerk-comment.csv", 1, "clerk", 3},
		{"inhouse-blank-first.csv", 2, "generic", 2},
		{"hash-header.csv", 0, "generic", 2}, // "#id" is a column, not a comment
	} {
		t.Run(c.file, func(t *testing.T) {
			src, err := Open(filepath.Join("testdata", "exports", c.file), SourceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if src.Preamble() != c.preamble {
				t.Errorf("preamble = %d, want %d (columns %q)", src.Preamble(), c.preamble, src.Columns())
			}
			src.Close()
			r := mapAndPrepare(t, c.file, SuggestOptions{}, nil)
			if r.m.Preset != c.preset || r.stats.Valid != c.valid {
				t.Errorf("preset %q valid %d, want %q %d", r.m.Preset, r.stats.Valid, c.preset, c.valid)
			}
		})
	}
	// Lines keep counting from the top of the file.
	r := mapAndPrepare(t, "clerk-comment.csv", SuggestOptions{}, nil)
	if p := r.rows[4]; p.Row.Line != 6 || !strings.HasPrefix(p.Reason(), "line 6: ") {
		t.Errorf("row 4: line %d, reason %q", p.Row.Line, p.Reason())
	}
	if p := r.rows[1]; p.Row.Line != 3 {
		t.Errorf("row 1 line = %d, want 3", p.Row.Line)
	}
}

func TestExportFilesThatAreNotUserExports(t *testing.T) {
	for file, want := range map[string]string{
		"number.json":     "number.json:1: the file holds a single JSON number, not user records",
		"string.json":     "string.json:1: the file holds a single JSON string, not user records",
		"numbers.json":    "numbers.json holds 3 numbers (no JSON object among the first records), not user records",
		"strings.json":    "strings.json holds 2 strings (no JSON object among the first records), not user records",
		"lines.ndjson":    "lines.ndjson holds 2 numbers, 1 string (no JSON object among the first records), not user records",
		"header-only.csv": "header-only.csv: no records: the file has a header (2 columns) and no record after it",
		"blank.csv":       "blank.csv:1: the file is empty",
	} {
		t.Run(file, func(t *testing.T) {
			src, err := Open(filepath.Join("testdata", "exports", file), SourceOptions{})
			if err == nil {
				err = CheckUserExport(src)
				src.Close()
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want %q", err, want)
			}
		})
	}
	for _, file := range []string{"firebase-emulator.json", "seed-plaintext.csv"} {
		src, err := Open(filepath.Join("testdata", "exports", file), SourceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckUserExport(src); err != nil {
			t.Errorf("%s: %v", file, err)
		}
		src.Close()
	}
}

// Item 8: fields that cannot have an effect are not sent. The record
// keeps them (counts and previews read it); its encoding leaves them out.
func TestExportNoEffectFieldsAreNotSent(t *testing.T) {
	for _, c := range []struct {
		upsert bool
		want   []string // rows 1..4 as sent
	}{
		{false, []string{
			`{"email":"ann@example.com"}`,
			`{"email":"bob@example.com","phone_number":"+14155550101","disabled":true,"email_verified":true}`,
			`{"email":"cat@example.com","phone_number":"+14155550102","phone_number_verified":true}`,
			`{"email":"dan@example.com","email_verified":true}`,
		}},
		// Upsert can re-enable a user or remove a verification: kept, but
		// a verified flag without its email or phone never has an effect.
		{true, []string{
			`{"email":"ann@example.com","disabled":false,"email_verified":false}`,
			`{"email":"bob@example.com","phone_number":"+14155550101","disabled":true,"email_verified":true,"phone_number_verified":false}`,
			`{"email":"cat@example.com","phone_number":"+14155550102","disabled":false,"email_verified":false,"phone_number_verified":true}`,
			`{"email":"dan@example.com","email_verified":true}`,
		}},
	} {
		r := mapAndPrepare(t, "no-effect.csv", SuggestOptions{}, func(m *Mapping) { m.Upsert = c.upsert })
		for _, k := range []string{"disabled", "email_verified", "phone_number_verified"} {
			if r.m.Fields[k] == nil {
				t.Fatalf("%s is not mapped: %v", k, r.m.FieldKeys())
			}
		}
		if r.stats.Valid != 4 {
			t.Fatalf("upsert %t: %d valid, want 4", c.upsert, r.stats.Valid)
		}
		for i, want := range c.want {
			p := r.rows[i+1]
			b, err := p.Record.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != want {
				t.Errorf("upsert %t, row %d sends\n  %s\nwant\n  %s", c.upsert, i+1, b, want)
			}
		}
		// The record itself is unchanged: row 1 still says disabled: false.
		if d := r.rows[1].Record.Disabled; d == nil || *d {
			t.Errorf("upsert %t: the record lost disabled: false (%v)", c.upsert, d)
		}
	}
}

func TestWithoutNoEffect(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, c := range []struct {
		name   string
		rec    Record
		upsert bool
		want   string
	}{
		{"verified without email, insert", Record{PhoneNumber: s("+14155550101"), EmailVerified: &boolTrue}, false, `{"phone_number":"+14155550101"}`},
		{"verified without email, upsert", Record{PhoneNumber: s("+14155550101"), EmailVerified: &boolTrue}, true, `{"phone_number":"+14155550101"}`},
		{"phone verified without phone", Record{Email: s("a@b.co"), PhoneNumberVerified: &boolTrue}, true, `{"email":"a@b.co"}`},
		{"disabled true kept on insert", Record{Email: s("a@b.co"), Disabled: &boolTrue}, false, `{"email":"a@b.co","disabled":true}`},
		{"disabled false kept on upsert", Record{Email: s("a@b.co"), Disabled: &boolFalse}, true, `{"email":"a@b.co","disabled":false}`},
		{"nothing to leave out", Record{Email: s("a@b.co"), EmailVerified: &boolTrue}, false, `{"email":"a@b.co","email_verified":true}`},
	} {
		rec := c.rec
		rec.SetUpsert(c.upsert)
		b, err := rec.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("%s: %s, want %s", c.name, b, c.want)
		}
		if c.rec.EmailVerified != nil && rec.EmailVerified == nil {
			t.Errorf("%s: AppendJSON changed the record", c.name)
		}
	}
}

// The sandbox answers insert records as Authgear does: with the fields
// left out, no record of the fixture gets a "has no effect" warning.
func TestExportNoEffectNoWarnings(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	r := mapAndPrepare(t, "no-effect.csv", SuggestOptions{}, nil)
	run := runImport(t, context.Background(), filepath.Join("testdata", "exports", "no-effect.csv"), r.m, e.fastOptions(true), nil)
	if run.err != nil {
		t.Fatal(run.err)
	}
	got := checkComplete(t, run, 4)
	for num, row := range got {
		if row.Outcome != OutcomeInserted || row.Reason != "" {
			t.Errorf("row %d: %s %q, want inserted with no warning", num, row.Outcome, row.Reason)
		}
	}
}

// Item 10, then issue 18's rule: phone numbers that cannot be read are
// dropped with a note by default (map says how many and offers reject),
// and reject the record under phone.invalid: reject or
// fields.phone_number.invalid: reject. A phone identifier is always needed.
func TestExportLocalPhones(t *testing.T) {
	r := mapAndPrepare(t, "local-phones.csv", SuggestOptions{}, func(m *Mapping) { m.Phone.Invalid = PhoneInvalidReject })
	if r.m.Fields["phone_number"] == nil || r.m.Identifier != IdentifierEmail {
		t.Fatalf("phone not mapped or identifier %s: %v", r.m.Identifier, r.m.FieldKeys())
	}
	if r.note("3 of the 5 sampled records have a phone_number Authgear would refuse (no_country_code, invalid_phone): those users are imported without it", "fields.phone_number.invalid: reject", "phone.default_region") == "" {
		t.Errorf("map does not say the numbers are dropped: %q", r.rep.Notes)
	}
	if r.stats.Valid != 2 || r.stats.Invalid != 3 || r.stats.PhonesDropped != 0 {
		t.Errorf("reject: %+v, want 2 valid, 3 invalid", r.stats)
	}
	if got := r.rows[2].Reason(); !strings.HasPrefix(got, "phone number has no country code") {
		t.Errorf("row 2: %q", got)
	}
	// The field's own policy wins over phone.invalid.
	r = mapAndPrepare(t, "local-phones.csv", SuggestOptions{}, func(m *Mapping) {
		m.Phone.Invalid = PhoneInvalidDrop
		m.Fields["phone_number"].Invalid = InvalidReject
	})
	if r.stats.Valid != 2 || r.stats.Invalid != 3 {
		t.Errorf("fields.phone_number.invalid: reject: %+v, want 2 valid, 3 invalid", r.stats)
	}

	r = mapAndPrepare(t, "local-phones.csv", SuggestOptions{}, nil)
	if r.stats.Valid != 5 || r.stats.PhonesDropped != 3 || r.stats.DroppedFields["phone_number"][DropNoCountryCode] != 2 || r.stats.DroppedFields["phone_number"][DropInvalidPhone] != 1 {
		t.Errorf("drop: %+v, want 5 valid, 3 phones dropped", r.stats)
	}
	for num, want := range map[int]string{
		1: "",
		2: "imported without phone_number: no_country_code",
		3: "imported without phone_number: no_country_code",
		4: "imported without phone_number: invalid_phone",
		5: "",
	} {
		p := r.rows[num]
		if got := p.Reason(); got != want {
			t.Errorf("drop, row %d: %q, want %q", num, got, want)
		}
		if want != "" && (p.Record.PhoneNumber != nil || p.PhonesDropped != 1) || want == "" && p.PhonesDropped != 0 || num == 1 && p.Record.PhoneNumber == nil {
			t.Errorf("drop, row %d: phone %v, PhonesDropped %d", num, p.Record.PhoneNumber, p.PhonesDropped)
		}
	}
	// map, asked again with the policy set, says the numbers are dropped.
	rep := &SuggestReport{}
	src, err := Open(filepath.Join("testdata", "exports", "local-phones.csv"), SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := noteSample(src, r.m, rep, false); err != nil {
		t.Fatal(err)
	}
	if len(rep.Notes) != 2 || !strings.Contains(rep.Notes[1], "3 of the 5 sampled records have a phone_number Authgear would refuse (no_country_code, invalid_phone): those users are imported without it") {
		t.Errorf("notes with drop: %q", rep.Notes)
	}

	// The phone transform's errors follow the policy too; the identifier
	// never does.
	r = mapAndPrepare(t, "local-phones.csv", SuggestOptions{}, func(m *Mapping) {
		m.Phone.Invalid = PhoneInvalidDrop
		m.Fields["phone_number"].Transforms = []Transform{{Name: "phone"}}
	})
	if r.stats.Valid != 5 || r.stats.PhonesDropped != 3 {
		t.Errorf("drop with the phone transform: %+v", r.stats)
	}
	r = mapAndPrepare(t, "local-phones.csv", SuggestOptions{Identifier: IdentifierPhone}, func(m *Mapping) { m.Phone.Invalid = PhoneInvalidDrop })
	if r.stats.Valid != 1 || r.stats.PhonesDropped != 0 {
		t.Errorf("phone identifier with drop: %+v, want 1 valid (the rest rejected)", r.stats)
	}
}

func TestPhoneInvalidPolicyChecked(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Phone.Invalid = "ignore"
	if err := m.Check(); err == nil || !strings.Contains(err.Error(), `phone.invalid "ignore" must be reject or drop`) {
		t.Errorf("Check: %v", err)
	}
}

// Item 7: a username mapped besides the identifier needs the username
// login ID enabled (map and the summary say so), and the usernames
// Authgear reserves fail as the server fails them.
func TestExportReservedUsernames(t *testing.T) {
	r := mapAndPrepare(t, "usernames.csv", SuggestOptions{}, nil)
	if r.m.Identifier != IdentifierEmail || r.m.Fields["preferred_username"] == nil {
		t.Fatalf("identifier %s, fields %v", r.m.Identifier, r.m.FieldKeys())
	}
	if r.note("the project must enable the username (preferred_username is mapped besides the identifier) login ID type", "canary stops the import") == "" {
		t.Errorf("no login ID note: %q", r.rep.Notes)
	}
	if r.note("3 of the 5 sampled records have a preferred_username Authgear would refuse (reserved): those users are imported without it") == "" {
		t.Errorf("no note on the reserved usernames: %q", r.rep.Notes)
	}
	for num, reserved := range map[int]bool{1: true, 2: true, 3: false, 4: true, 5: false} {
		got := r.rows[num].Reason()
		if reserved != (got == "imported without preferred_username: reserved") || !reserved && got != "" || !r.rows[num].Valid() {
			t.Errorf("row %d: %q (reserved: %t)", num, got, reserved)
		}
	}
	// Under fields.preferred_username.invalid: reject, they fail as the
	// server fails them.
	r = mapAndPrepare(t, "usernames.csv", SuggestOptions{}, func(m *Mapping) { m.Fields["preferred_username"].Invalid = InvalidReject })
	for num, reserved := range map[int]bool{1: true, 2: true, 3: false, 4: true, 5: false} {
		got := r.rows[num].Reason()
		if reserved != strings.HasPrefix(got, "username is reserved: Authgear refuses it as an invalid login ID (blocked, UsernameReserved)") || !reserved && got != "" {
			t.Errorf("reject, row %d: %q (reserved: %t)", num, got, reserved)
		}
	}
	r = mapAndPrepare(t, "usernames.csv", SuggestOptions{}, func(m *Mapping) { m.AllowReservedUsernames = true })
	if r.stats.Valid != 5 {
		t.Errorf("allow_reserved_usernames: %d valid, want 5", r.stats.Valid)
	}
	var buf strings.Builder
	if err := r.m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadMapping(strings.NewReader(buf.String()), "m.yaml")
	if err != nil || !back.AllowReservedUsernames {
		t.Errorf("allow_reserved_usernames does not survive a round trip: %v", err)
	}
}

func TestLoginIDFieldsNote(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	if n := loginIDFieldsNote(m); n != "" {
		t.Errorf("email only: %q", n)
	}
	m.Identifier = IdentifierPhone
	m.Set("phone_number", "phone")
	m.Set("preferred_username", "login")
	n := loginIDFieldsNote(m)
	if !strings.Contains(n, "enable the phone (phone_number is the identifier) and username (preferred_username is mapped besides the identifier) login ID types") {
		t.Errorf("phone and username: %q", n)
	}
}

// Item 9: columns a Supabase dump adds to auth.users (names, username, a
// picture) are mapped, and an image URL column goes to picture, not to
// profile (the profile page's URL).
func TestExportNamesAndPictures(t *testing.T) {
	for _, c := range []struct {
		file, preset string
		want         map[string]string // field -> column
		unmapped     []string
	}{
		{"supabase-profile-columns.csv", "supabase", map[string]string{
			"given_name": "first_name", "family_name": "last_name", "preferred_username": "username", "picture": "profile_pic",
		}, nil},
		{"profile-pic.csv", "generic", map[string]string{
			"given_name": "first_name", "family_name": "last_name", "picture": "profile_pic", "profile": "profile",
		}, []string{"avatar"}},
		{"profile-image-only.csv", "generic", map[string]string{"name": "name", "picture": "profile"}, nil},
	} {
		r := mapAndPrepare(t, c.file, SuggestOptions{}, nil)
		if r.m.Preset != c.preset {
			t.Errorf("%s: preset %q, want %q", c.file, r.m.Preset, c.preset)
		}
		for field, col := range c.want {
			if f := r.m.Fields[field]; f == nil || f.From != col {
				t.Errorf("%s: %s ← %v, want %s", c.file, field, f, col)
			}
		}
		for _, u := range r.rep.Unmapped {
			if c.want[u] != "" || u == "first_name" || u == "last_name" || u == "username" || u == "profile_pic" {
				t.Errorf("%s: %s listed as not mapped", c.file, u)
			}
		}
		if c.unmapped != nil && strings.Join(r.rep.Unmapped, ",") != strings.Join(c.unmapped, ",") {
			t.Errorf("%s: not mapped %v, want %v", c.file, r.rep.Unmapped, c.unmapped)
		}
		if r.stats.Valid != r.stats.Total {
			t.Errorf("%s: %d of %d valid", c.file, r.stats.Valid, r.stats.Total)
		}
	}
	r := mapAndPrepare(t, "supabase-profile-columns.csv", SuggestOptions{}, nil)
	p := r.rows[1].Record
	if p.GivenName == nil || *p.GivenName != "Ann" || p.PreferredUsername == nil || *p.PreferredUsername != "ann_lee" || p.Picture == nil || *p.Picture != "https://cdn.example.com/u/1/avatar.png" {
		t.Errorf("row 1: %+v", p)
	}
	// The phone column is empty in this dump: map does not ask for the
	// phone login ID, only for the username one.
	if n := r.note("the project must enable the username"); n == "" || strings.Contains(n, "phone") {
		t.Errorf("login ID note: %q", r.rep.Notes)
	}
}

func TestIsImageURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://cdn.example.com/a.PNG":                  true,
		"https://cdn.example.com/a.jpg?size=96":          true,
		"https://lh3.googleusercontent.com/a/x=s96-c":    true,
		"https://www.gravatar.com/avatar/205e460b479e2e": true,
		"https://ann.example.com/about":                  false,
		"ftp://example.com/a.png":                        false,
		"a.png":                                          false,
	} {
		if got := isImageURL(s); got != want {
			t.Errorf("isImageURL(%q) = %t", s, got)
		}
	}
}

// Item 11: a preset's notes never say that a field is not mapped when the
// mapping maps it (roles ← role added to a Laravel or WordPress table).
func TestExportNotesDoNotContradictMapping(t *testing.T) {
	for _, c := range []struct{ file, preset string }{
		{"laravel-role.csv", "laravel"},
		{"wordpress-role.csv", "wordpress"},
	} {
		r := mapAndPrepare(t, c.file, SuggestOptions{}, nil)
		if r.m.Preset != c.preset {
			t.Fatalf("%s: preset %q", c.file, r.m.Preset)
		}
		if f := r.m.Fields["roles"]; f == nil || f.From != "role" {
			t.Fatalf("%s: roles not mapped from role: %v", c.file, r.m.FieldKeys())
		}
		if r.note("roles ← role: mapped from a column your application added", "must exist in the Authgear project") == "" {
			t.Errorf("%s: no note on roles ← role: %q", c.file, r.rep.Notes)
		}
		checkNotesAgreeWithMapping(t, c.file, r.m, r.rep)
	}
}

// checkNotesAgreeWithMapping fails when a note says that a field mapped
// from a column the application added (or that column) is not mapped.
func checkNotesAgreeWithMapping(t *testing.T, name string, m *Mapping, rep *SuggestReport) {
	t.Helper()
	for _, s := range rep.Suggestions {
		if !strings.HasSuffix(s.Why, addedColumnWhy) || m.Fields[s.Field] == nil {
			continue
		}
		for _, n := range rep.Notes {
			if strings.Contains(n, "not mapped") && (containsWord(n, s.Field) || containsWord(n, s.From)) {
				t.Errorf("%s: %s ← %s is mapped, but a note says: %s", name, s.Field, s.From, n)
			}
		}
	}
}

// Every preset testdata file and every export fixture: no note contradicts
// the mapping.
func TestAllNotesAgreeWithMapping(t *testing.T) {
	checked, skipped := 0, []string{}
	for _, dir := range []string{filepath.Join("testdata", "presets"), filepath.Join("testdata", "exports"), filepath.Join("..", "testdata", "fixtures")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, path := range files {
			if strings.HasSuffix(path, ".expected.json") {
				continue
			}
			src, err := Open(path, SourceOptions{})
			if err != nil {
				skipped = append(skipped, filepath.Base(path))
				continue
			}
			if CheckUserExport(src) != nil {
				src.Close()
				skipped = append(skipped, filepath.Base(path))
				continue
			}
			m, rep, err := SuggestMapping(src, SuggestOptions{})
			src.Close()
			if err != nil {
				skipped = append(skipped, filepath.Base(path))
				continue
			}
			checked++
			checkNotesAgreeWithMapping(t, path, m, rep)
		}
	}
	// Most files are user exports: a glob that finds nothing, or an Open
	// that refuses everything, must not pass having checked nothing.
	if checked < 40 {
		t.Fatalf("only %d files checked (%d not user exports: %v)", checked, len(skipped), skipped)
	}
	t.Logf("%d files checked, %d are not user exports", checked, len(skipped))
}

func TestContainsWord(t *testing.T) {
	for _, c := range []struct {
		s, w string
		want bool
	}{
		{"roles are not mapped", "roles", true},
		{"realmRoles are", "roles", false},
		{"app_metadata.roles)", "roles", true},
		{"user_roles", "roles", false},
		{"roles", "", false},
	} {
		if got := containsWord(c.s, c.w); got != c.want {
			t.Errorf("containsWord(%q, %q) = %t", c.s, c.w, got)
		}
	}
}

// Item 6 (part): map says what the sample shows for the generic mapping
// too: the share of records with no value for the identifier.
func TestExportEmptyIdentifiersAreCounted(t *testing.T) {
	r := mapAndPrepare(t, "empty-emails.csv", SuggestOptions{}, nil)
	if r.m.Preset != "generic" || r.m.Identifier != IdentifierEmail {
		t.Fatalf("preset %q, identifier %s", r.m.Preset, r.m.Identifier)
	}
	if n := r.note("3 of the 4 sampled records have no email", "choose another identifier: phone_number"); n == "" || r.rep.NoteRemedy[n] != RemedyChooseIdentifier {
		t.Errorf("no note on the empty identifiers: %q", r.rep.Notes)
	}
	if r.stats.Valid != 1 || r.stats.Invalid != 3 {
		t.Errorf("%+v", r.stats)
	}
}

// Item 6 (ragged rows): map says how many sampled rows have another
// field count than the header, and which counts, for the generic mapping
// and a preset's; the run reports each such row invalid.
func TestExportRaggedRowsAreCounted(t *testing.T) {
	r := mapAndPrepare(t, "ragged.csv", SuggestOptions{}, nil)
	if r.note("the header has 8 fields, 6 of the 12 sampled rows do not: 5 have 6 and 1 has 9 (the first on line 4)", "reported invalid", "not quoted") == "" {
		t.Errorf("no note on the ragged rows: %q", r.rep.Notes)
	}
	if r.stats.Valid != 6 || r.stats.Invalid != 6 {
		t.Errorf("%+v", r.stats)
	}
	for num, want := range map[int]string{3: "the row has 6 fields, the header has 8", 8: "the row has 9 fields, the header has 8", 1: ""} {
		if got := r.rows[num].Reason(); !strings.Contains(got, want) || (want == "") != r.rows[num].Valid() {
			t.Errorf("row %d: %q, want %q", num, got, want)
		}
	}
	if n := mapAndPrepare(t, "empty-emails.csv", SuggestOptions{}, nil).note("sampled rows have"); n != "" {
		t.Errorf("a file with no ragged row: %q", n)
	}

	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	suggest := func(path string, o SuggestOptions) *SuggestReport {
		src, err := Open(path, SourceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		_, rep, err := SuggestMapping(src, o)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	hasNote := func(rep *SuggestReport, part string) bool {
		for _, n := range rep.Notes {
			if strings.Contains(n, part) {
				return true
			}
		}
		return false
	}
	// A preset's mapping (Django's auth_user dump) with one row cut short.
	dj, err := os.ReadFile(filepath.Join("testdata", "presets", "django-auth-user.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(dj)), "\n")
	cut := lines[2][:strings.LastIndexByte(lines[2], ',')]
	rep := suggest(write("django.csv", strings.Join(append(append([]string{}, lines[:2]...), append([]string{cut}, lines[3:]...)...), "\n")+"\n"), SuggestOptions{})
	if want := fmt.Sprintf("the header has 11 fields, 1 of the %d sampled rows has 10 (the first on line 3)", len(lines)-1); !hasNote(rep, want) {
		t.Errorf("django: no %q in %q", want, rep.Notes)
	}
	// Every row differs: the header may not belong to them.
	rep = suggest(write("all.csv", "email,name,a,b\nx@example.com,X\ny@example.com,Y\n"), SuggestOptions{})
	if !hasNote(rep, "2 of the 2 sampled rows have 2") || !hasNote(rep, "every sampled row differs") {
		t.Errorf("all ragged: %q", rep.Notes)
	}
	// Many counts: the three commonest are named.
	rep = suggest(write("many.csv", "email,a,b,c,d,e\nx@example.com\nx@example.com,1\nx@example.com,1\nx@example.com,1,2\nx@example.com,1,2,3,4,5,6\nok@example.com,1,2,3,4,5\n"), SuggestOptions{})
	if !hasNote(rep, "the header has 6 fields, 5 of the 6 sampled rows do not: 2 have 2, 1 has 1, 1 has 3 and 1 has another count") {
		t.Errorf("many counts: %q", rep.Notes)
	}
}
