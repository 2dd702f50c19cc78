package importer

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rejectInvalid sets fields.<name>.invalid: reject on every mapped field
// that takes the policy: the checks as they were before issue 18's rule.
func rejectInvalid(m *Mapping) {
	for _, key := range m.FieldKeys() {
		if m.Droppable(key) {
			m.Fields[key].Invalid = InvalidReject
		}
	}
}

// dropCase is a value of one field that Authgear would refuse, and the
// reason word its drop is counted under.
type dropCase struct {
	value  any
	reason string
}

// invalidValues has a refused value for every field of the import record
// but the identifier (email here) and the password hashes, which follow
// the password policy (TestMalformedBcryptFollowsThePolicy).
var invalidValues = map[string]dropCase{
	"phone_number":           {"+999 1234 5678", DropInvalidPhone},
	"preferred_username":     {"admin", DropReserved},
	"email_verified":         {"maybe", DropNotBoolean},
	"phone_number_verified":  {"maybe", DropNotBoolean},
	"disabled":               {"perhaps", DropNotBoolean},
	"account_valid_from":     {"yesterday", DropNotDateTime},
	"account_valid_until":    {"tomorrow", DropNotDateTime},
	"name":                   {true, DropNotText},
	"given_name":             {map[string]any{"first": "Ann"}, DropNotText},
	"family_name":            {[]any{"Lee", "Li"}, DropNotText},
	"middle_name":            {"M\u0000", DropControlChar},
	"nickname":               {false, DropNotText},
	"profile":                {"example.com/ann", DropNotURL},
	"picture":                {"ftp://example.com/ann.png", DropNotHTTPURL},
	"website":                {"not a url", DropNotURL},
	"gender":                 {"f\u0007", DropControlChar},
	"birthdate":              {"1990-13-45", DropNotDate},
	"zoneinfo":               {"Mars/Olympus", DropNotTimeZone},
	"locale":                 {"not a locale!!", DropNotLanguageTag},
	"address.formatted":      {true, DropNotText},
	"address.street_address": {"1 Main St\u0001", DropControlChar},
	"address.locality":       {map[string]any{"city": "X"}, DropNotText},
	"address.region":         {[]any{"a", "b"}, DropNotText},
	"address.postal_code":    {"\u001b123", DropControlChar},
	"address.country":        {true, DropNotText},
	"roles":                  {true, DropNotList},
	"groups":                 {[]any{"ok", map[string]any{"k": "v"}}, DropNotList},
	"password.expire_after":  {"soon", DropNotDateTime},
	"mfa.email":              {"not an email", DropNotEmail},
	"mfa.phone_number":       {"call me maybe", DropNoCountryCode},
	"mfa.totp.secret":        {"not base32!", DropNotBase32},
	"custom_attributes.tier": {"go\u0001ld", DropControlChar},
}

const validBcrypt = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

// fieldValue reads the field key of a record as JSON ("" when absent).
func fieldValue(t *testing.T, r *Record, key string) string {
	t.Helper()
	b, err := r.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	var v any = obj
	for _, part := range strings.Split(key, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		if v, ok = m[part]; !ok {
			return ""
		}
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// TestEveryFieldButTheIdentifierIsDropped is issue 18's rule: a user is
// never rejected for a field that is not how they sign in. Every field of
// the import record but the identifier gets a value Authgear would
// refuse: the user is imported without it, the drop is counted per field
// and reason, and the record's reason says so; fields.<name>.invalid:
// reject rejects the record as before. The guarded fields (disabled, the
// valid period, the second factors) reject unless the mapping says drop.
func TestEveryFieldButTheIdentifierIsDropped(t *testing.T) {
	for _, tg := range Targets {
		if _, ok := invalidValues[tg.Key]; !ok && tg.Key != "email" && !passwordField(tg.Key) {
			t.Errorf("no invalid value for %s: every field of the import record is covered", tg.Key)
		}
	}
	for key, c := range invalidValues {
		rec := map[string]any{"email": "ann@example.com", "v": c.value, "h": validBcrypt}
		line, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		newMapping := func(policy string) *Mapping {
			m := NewMapping(IdentifierEmail)
			m.Set("email", "email")
			m.Set("password.password_hash", "h")
			m.Set(key, "v")
			m.Fields[key].Invalid = policy
			return m
		}
		run := func(m *Mapping) (*Prepared, PrepareStats) {
			out, stats, err := prepareAll(t, "in.ndjson", string(line)+"\n", m, PrepareOptions{})
			if err != nil || len(out) != 1 {
				t.Fatalf("%s: %v, %d records", key, err, len(out))
			}
			return out[0], stats
		}
		// The default, or drop where the default is reject.
		policy := ""
		if guardedFields[key] {
			policy = InvalidDrop
			if p, _ := run(newMapping("")); p.Valid() || !hasProblem(p, key) {
				t.Errorf("%s (guarded): valid by default: %q", key, p.Reason())
			}
		}
		p, stats := run(newMapping(policy))
		want := "imported without " + key + ": " + c.reason
		if !p.Valid() || p.Reason() != want {
			t.Errorf("%s: valid %v, reason %q, want %q", key, p.Valid(), p.Reason(), want)
			continue
		}
		if got := fieldValue(t, p.Record, key); got != "" {
			t.Errorf("%s: sent as %s", key, got)
		}
		if p.Record.Email == nil || p.Record.Password == nil {
			t.Errorf("%s: the rest of the record is lost: %+v", key, p.Record)
		}
		if stats.Valid != 1 || stats.Invalid != 0 || len(stats.DroppedFields) != 1 || stats.DroppedFields[key][c.reason] != 1 || stats.DroppedTotal() != 1 {
			t.Errorf("%s: stats %+v", key, stats)
		}
		// reject: the record is refused for that field, as before.
		p, stats = run(newMapping(InvalidReject))
		if p.Valid() || !hasProblem(p, key) || stats.Invalid != 1 || stats.DroppedFields != nil {
			t.Errorf("%s under reject: valid %v, reason %q, stats %+v", key, p.Valid(), p.Reason(), stats)
		}
	}
}

// The reasons a username is refused, each its own word.
func TestDroppedUsernameReasons(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("preferred_username", "u")
	data := "email,u\n" +
		"a@x.io,admin\n" +
		"b@x.io,john smith\n" +
		"c@x.io,bob@example.com\n" +
		"d@x.io,jöhn\n" +
		"e@x.io,fine_name\n"
	out, stats, err := prepareAll(t, "in.csv", data, m, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{DropReserved, DropHasSpace, DropEmailAddress, DropCharacters, ""}
	for i, p := range out {
		w := ""
		if want[i] != "" {
			w = DroppedNote("preferred_username", want[i])
		}
		if !p.Valid() || p.Reason() != w {
			t.Errorf("row %d: valid %v %q, want %q", i+1, p.Valid(), p.Reason(), w)
		}
	}
	if got := stats.DroppedFields["preferred_username"]; len(got) != 4 || got[DropReserved] != 1 || got[DropEmailAddress] != 1 {
		t.Errorf("counts %v", stats.DroppedFields)
	}
	if out[4].Record.PreferredUsername == nil || *out[4].Record.PreferredUsername != "fine_name" {
		t.Error("a valid username was lost")
	}
}

// The identifier is never dropped, and a mapping that says it should be
// is refused; phone.invalid still works as the phone fields' policy.
func TestInvalidPolicyMapping(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("phone_number", "phone")
	m.Set("mfa.phone_number", "mfa")
	m.Set("disabled", "off")
	m.Set("password.password_hash", "h")
	if got := m.InvalidPolicy("email"); got != InvalidReject {
		t.Errorf("identifier: %s", got)
	}
	if got := m.InvalidPolicy("phone_number"); got != InvalidDrop {
		t.Errorf("phone_number by default: %s", got)
	}
	m.Phone.Invalid = PhoneInvalidReject
	if m.InvalidPolicy("phone_number") != InvalidReject || m.InvalidPolicy("mfa.phone_number") != InvalidReject {
		t.Error("phone.invalid: reject is not the phone fields' policy")
	}
	if err := m.SetInvalidPolicy("phone_number", InvalidDrop); err != nil || m.InvalidPolicy("phone_number") != InvalidDrop || m.Fields["phone_number"].Invalid != InvalidDrop {
		t.Errorf("SetInvalidPolicy: %v", err)
	}
	if err := m.SetInvalidPolicy("email", InvalidDrop); err == nil {
		t.Error("the identifier took a policy")
	}
	got := map[string]string{}
	for _, fp := range m.FieldPolicies() {
		got[fp.Key] = fp.Policy + "/" + fp.Default
	}
	if len(got) != 3 || got["phone_number"] != "drop/drop" || got["mfa.phone_number"] != "reject/reject" || got["disabled"] != "reject/reject" {
		t.Errorf("FieldPolicies: %v", got)
	}
	for yaml, want := range map[string]string{
		"fields:\n  email: {from: e, invalid: drop}\n":                              "the identifier",
		"fields:\n  email: e\n  name: {from: n, invalid: maybe}\n":                  `fields.name.invalid "maybe" must be drop or reject`,
		"fields:\n  email: e\n  password.password_hash: {from: h, invalid: drop}\n": "passwords.unsupported",
	} {
		_, err := ReadMapping(strings.NewReader("version: 1\nidentifier: email\n"+yaml), "m.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", yaml, err, want)
		}
	}
	m2, err := ReadMapping(strings.NewReader("version: 1\nidentifier: email\nfields:\n  email: e\n  name: {from: n, invalid: reject}\n"), "m.yaml")
	if err != nil || m2.InvalidPolicy("name") != InvalidReject {
		t.Fatalf("read: %v", err)
	}
	var buf strings.Builder
	if err := m2.Write(&buf); err != nil || !strings.Contains(buf.String(), "invalid: reject") {
		t.Errorf("written: %v\n%s", err, buf.String())
	}
}

// A malformed bcrypt hash is one Authgear cannot import: it follows
// passwords.unsupported (drop by default) like the others.
func TestMalformedBcryptFollowsThePolicy(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("password.password_hash", "h")
	data := "email,h\na@x.io," + validBcrypt[:59] + "\nb@x.io," + validBcrypt + "\n"
	out, stats, err := prepareAll(t, "in.csv", data, m, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !out[0].Valid() || out[0].Record.Password != nil || !out[0].PasswordDropped || stats.PasswordsDropped != 1 || stats.PasswordsNotImportable != 1 || stats.Valid != 2 {
		t.Errorf("drop: %q %+v", out[0].Reason(), stats)
	}
	m.Passwords.Unsupported = PasswordsReject
	out, stats, _ = prepareAll(t, "in.csv", data, m, PrepareOptions{})
	if out[0].Valid() || out[0].Reason() != "password hash is not a valid bcrypt hash" || stats.Invalid != 1 {
		t.Errorf("reject: %q %+v", out[0].Reason(), stats)
	}
}

// The run says it too: the report line of the record, the summary's
// counts (--json) and its note.
func TestDroppedFieldsInReportAndSummary(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(input, []byte("email,username,born\na@x.io,admin,1990-01-02\nb@x.io,bob,1990-13-45\nc@x.io,root,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("preferred_username", "username")
	m.Set("birthdate", "born")
	report := filepath.Join(dir, "users.report.csv")
	s, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: "m.yaml", Input: input, Report: report, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Valid != 3 || s.Invalid != 0 {
		t.Errorf("valid %d invalid %d", s.Valid, s.Invalid)
	}
	b, _ := json.Marshal(s)
	if !strings.Contains(string(b), `"dropped_fields":{"birthdate":{"not_a_date":1},"preferred_username":{"reserved":2}}`) {
		t.Errorf("--json: %s", b)
	}
	note := ""
	for _, n := range s.Notes {
		if strings.Contains(n, "left out") {
			note = n
		}
	}
	if !strings.Contains(note, "3 values that Authgear would refuse or that could not be read were left out of valid records, whose users are imported without them: ") || !strings.Contains(note, "preferred_username (reserved 2), birthdate (not_a_date 1)") {
		t.Errorf("note: %q (all: %q)", note, s.Notes)
	}
	f, err := os.Open(report)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	text := ""
	for _, r := range rows {
		text += strings.Join(r, ",") + "\n"
	}
	for _, want := range []string{"1,a@x.io,valid,,imported without preferred_username: reserved", "2,b@x.io,valid,,imported without birthdate: not_a_date"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// A login ID other than the identifier that an earlier record has is one
// Authgear would refuse the record for: by default the user is imported
// without it, and it stays the earlier record's.
func TestSameLoginIDDropped(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("phone_number", "phone")
	m.Set("preferred_username", "u")
	data := "email,phone,u\n" +
		"a@x.io,+852 9876 5433,ann\n" +
		"b@x.io,+85298765433,ANN\n" + // 1's phone and username, written differently
		"c@x.io,+85298765433,cat\n" + // 1's phone again; cat is free
		"d@x.io,,bob\n" +
		"e@x.io,,bob\n" // 4's username
	out, stats, err := prepareAll(t, "in.csv", data, m, PrepareOptions{Workers: 2, ChunkSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"",
		"imported without phone_number: same_login_id (record 1's after normalisation); imported without preferred_username: same_login_id (record 1's after normalisation)",
		"imported without phone_number: same_login_id (record 1's after normalisation)",
		"",
		"imported without preferred_username: same_login_id (record 4's after normalisation)",
	}
	for i, p := range out {
		if !p.Valid() || p.Reason() != want[i] {
			t.Errorf("row %d: valid %v %q, want %q", i+1, p.Valid(), p.Reason(), want[i])
		}
	}
	if out[1].Record.PhoneNumber != nil || out[1].Record.PreferredUsername != nil || out[2].Record.PreferredUsername == nil || *out[2].Record.PreferredUsername != "cat" {
		t.Errorf("records: %+v %+v", out[1].Record, out[2].Record)
	}
	if stats.Valid != 5 || stats.DroppedFields["phone_number"][DropSameLoginID] != 2 || stats.DroppedFields["preferred_username"][DropSameLoginID] != 2 {
		t.Errorf("stats %+v", stats)
	}
	m.Fields["phone_number"].Invalid = InvalidReject
	out, _, _ = prepareAll(t, "in.csv", data, m, PrepareOptions{})
	if out[1].Valid() || !strings.Contains(out[1].Reason(), "phone number is the same as record 1's after normalisation") {
		t.Errorf("reject: %q", out[1].Reason())
	}
}

// map's notes, from the sample: the values dropped per field and reason,
// and under reject the way to drop them.
func TestMapNotesOnDroppedFields(t *testing.T) {
	data := "email,username,born,disabled\na@x.io,admin,1990-13-45,no\nb@x.io,john smith,,maybe\nc@x.io,carl,1990-01-02,yes\n"
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("preferred_username", "username")
	m.Set("birthdate", "born")
	m.Set("disabled", "disabled")
	notes := func() []string {
		rep := &SuggestReport{}
		if err := noteSample(sourceOf(t, "in.csv", data, SourceOptions{}), m, rep, false); err != nil {
			t.Fatal(err)
		}
		return rep.Notes
	}
	all := strings.Join(notes(), "\n")
	for _, want := range []string{
		"2 of the 3 sampled records have a preferred_username Authgear would refuse (has_space, reserved): those users are imported without it (set fields.preferred_username.invalid: reject in the mapping to reject them instead)",
		"1 of the 3 sampled records has a birthdate Authgear would refuse (not_a_date): those users are imported without it",
		"1 of the 3 sampled records has a disabled Authgear refuses (",
		"reported invalid (fields.disabled.invalid: reject); set it to drop to import those users without it",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q:\n%s", want, all)
		}
	}
	m.Fields["preferred_username"].Invalid = InvalidReject
	if all := strings.Join(notes(), "\n"); strings.Contains(all, "preferred_username Authgear would refuse") || !strings.Contains(all, "a preferred_username Authgear refuses") {
		t.Errorf("under reject:\n%s", all)
	}
}
