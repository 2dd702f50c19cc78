package importer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// richMapping uses every part of the mapping format.
func richMapping() *Mapping {
	m := NewMapping(IdentifierEmail)
	m.Preset = "custom"
	m.Upsert = true
	m.UsernameCaseSensitive = true
	m.Passwords.Unsupported = PasswordsReject
	m.Phone = PhoneSpec{DefaultRegion: "HK", Validation: PhoneIsPossibleNumber}
	m.Source = SourceSpec{
		Format: FormatCSV, Delimiter: `\t`, NoHeader: true, Columns: []string{"Email", "First Name", "a.b", "Phone", "Roles", "Since", "hash"}, LazyQuotes: true,
		Passwords: &JoinSpec{File: "hashes.ndjson", Key: "user_id", Match: "_id.$oid", AltKey: "email", AltMatch: "email"},
	}
	m.Set("email", "Email", T("trim"), T("lowercase"))
	m.Set("given_name", "First Name")
	m.Set("family_name", "a.b", TA("strip_prefix", "'"))
	m.Set("phone_number", "Phone", TA("phone", "US"))
	m.Set("roles", "Roles", TA("split", ";"), TA("default", "member, guest"))
	m.Set("account_valid_from", "Since", TA("timestamp", "02/01/2006 15:04"))
	m.Set("password.password_hash", "hash")
	m.Set("custom_attributes.tier", `identities[0]["provider.name"]`, TA("default", "# not a comment: {x}"))
	m.Fields["email_verified"] = &FieldSpec{Value: true}
	m.Fields["custom_attributes.source"] = &FieldSpec{Value: "legacy: v1"}
	m.Fields["custom_attributes.level"] = &FieldSpec{Value: 3}
	m.Fields["groups"] = &FieldSpec{Value: []any{"a", "b"}}
	m.RejectIf = []Condition{{From: "deleted_at", Present: true, Reason: "deleted: not migrated"}, {From: "Email", Present: false}}
	return m
}

func TestMappingRoundTrip(t *testing.T) {
	for name, m := range map[string]*Mapping{"rich": richMapping(), "minimal": func() *Mapping {
		m := NewMapping(IdentifierPhone)
		m.Set("phone_number", "phone")
		return m
	}()} {
		t.Run(name, func(t *testing.T) {
			if err := m.Check(); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := m.Write(&b); err != nil {
				t.Fatal(err)
			}
			got, err := ReadMapping(bytes.NewReader(b.Bytes()), "m.yaml")
			if err != nil {
				t.Fatalf("%v\n%s", err, b.String())
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("round trip differs\nwrote:\n%s\n got %#v\nwant %#v", b.String(), got, m)
			}
			// Writing again gives the same bytes.
			var b2 bytes.Buffer
			if err := got.Write(&b2); err != nil {
				t.Fatal(err)
			}
			if b.String() != b2.String() {
				t.Errorf("second write differs:\n%s\n---\n%s", b.String(), b2.String())
			}
		})
	}
}

func TestMappingWriteFileAndLayout(t *testing.T) {
	m := richMapping()
	path := filepath.Join(t.TempDir(), "users.mapping.yaml")
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
	got, err := ReadMappingFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Error("ReadMappingFile differs")
	}
	b, _ := os.ReadFile(path)
	text := string(b)
	// Fields are written in the record's order, transforms in flow style.
	order := []string{"version:", "identifier:", "upsert:", "passwords:", "fields:", "  email:", "  phone_number:", "  email_verified:", "  account_valid_from:", "  given_name:", "  family_name:", "  roles:", "  groups:", "  password.password_hash:", "reject_if:"}
	last := -1
	for _, s := range order {
		i := strings.Index(text, "\n"+s)
		if i < 0 && strings.HasPrefix(text, s) {
			i = 0
		}
		if i <= last {
			t.Errorf("%q is out of order or missing in\n%s", s, text)
			break
		}
		last = i
	}
	if !strings.Contains(text, "transforms: [trim, lowercase]") {
		t.Errorf("transforms not in flow style:\n%s", text)
	}
	if _, err := ReadMappingFile(filepath.Join(t.TempDir(), "none.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestMappingShortForms(t *testing.T) {
	m, err := ReadMapping(strings.NewReader(`
identifier: email
fields:
  email: Email
  given_name: {from: First Name}
  roles: {from: Roles, transforms: [trim, {split: ";"}, "lowercase"]}
  email_verified: {value: true}
`), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*FieldSpec{
		"email":          {From: "Email"},
		"given_name":     {From: "First Name"},
		"roles":          {From: "Roles", Transforms: []Transform{T("trim"), TA("split", ";"), T("lowercase")}},
		"email_verified": {Value: true},
	}
	if !reflect.DeepEqual(m.Fields, want) {
		t.Errorf("fields %#v", m.Fields)
	}
	// Defaults filled in by Check.
	if m.Version != MappingVersion || m.Passwords.Unsupported != PasswordsDrop || m.Phone.Validation != PhoneIsValidNumber {
		t.Errorf("defaults: %+v", m)
	}
	// The identifier defaults to email.
	m, err = ReadMapping(strings.NewReader("fields:\n  email: e\n"), "m.yaml")
	if err != nil || m.Identifier != IdentifierEmail {
		t.Errorf("default identifier: %v %v", m, err)
	}
	// SourceOptions turns the source spec into loader options.
	for d, want := range map[string]rune{"": 0, `\t`: '\t', "tab": '\t', ";": ';', "|": '|'} {
		m := NewMapping(IdentifierEmail)
		m.Source.Delimiter = d
		if got := m.SourceOptions().Delimiter; got != want {
			t.Errorf("delimiter %q: %q, want %q", d, got, want)
		}
	}
}

func TestMappingErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string // substrings of the error, all required
	}{
		{"empty", "", []string{"m.yaml: the mapping file is empty"}},
		{"not a map", "- a\n- b\n", []string{"m.yaml: not a mapping file", "a list of 2 items"}},
		{"unknown top-level key", "identifier: email\nidentifer: email\nfields:\n  email: e\n", []string{"m.yaml:", "line 2", "identifer"}},
		{"unknown source key", "source:\n  delimeter: ';'\nfields:\n  email: e\n", []string{"line 2", "delimeter"}},
		{"unknown record field", "fields:\n  email: e\n  emial: x\n", []string{`"emial" is not a field of the import record`}},
		{"unknown transform", "fields:\n  email: {from: e, transforms: [lower]}\n", []string{`fields.email: unknown transform "lower"`, "known: bcrypt_cost, bcrypt_salt, bool, contains", "lowercase"}},
		{"transform needs an argument", "fields:\n  email: e\n  roles: {from: r, transforms: [default]}\n", []string{"fields.roles: transform default needs an argument"}},
		{"transform takes none", "fields:\n  email: {from: e, transforms: [{trim: x}]}\n", []string{"fields.email: transform trim takes no argument"}},
		{"transform as a list", "fields:\n  email: {from: e, transforms: [{split: [a, b]}]}\n", []string{"line 2", "the argument of split must be a single value"}},
		{"transform with two keys", "fields:\n  email: {from: e, transforms: [{split: a, trim: b}]}\n", []string{"line 2", "a transform is a name or a one-key map"}},
		{"missing identifier mapping", "identifier: phone_number\nfields:\n  email: e\n", []string{"the identifier phone_number is not mapped"}},
		{"no fields", "identifier: email\n", []string{"the identifier email is not mapped"}},
		{"version too new", "version: 2\nfields:\n  email: e\n", []string{"version 2 is newer than this build understands (1)"}},
		{"bad identifier", "identifier: login\nfields:\n  email: e\n", []string{`identifier "login" must be email, phone_number or preferred_username`}},
		{"bad password policy", "passwords: {unsupported: keep}\nfields:\n  email: e\n", []string{`passwords.unsupported "keep" must be drop or reject`}},
		{"bad phone validation", "phone: {validation: strict}\nfields:\n  email: e\n", []string{`phone.validation "strict"`}},
		{"bad format", "source: {format: xml}\nfields:\n  email: e\n", []string{`source.format "xml"`}},
		{"bad delimiter", "source: {delimiter: ';;'}\nfields:\n  email: e\n", []string{`source.delimiter ";;" must be one character`}},
		{"quote delimiter", "source: {delimiter: '\"'}\nfields:\n  email: e\n", []string{`source.delimiter`}},
		{"from and value", "fields:\n  email: {from: e, value: x}\n", []string{"fields.email: give either `from` or `value`, not both"}},
		{"neither from nor value", "fields:\n  email: {transforms: [trim]}\n", []string{"fields.email: give `from`"}},
		{"null field", "fields:\n  email: e\n  name:\n", []string{"fields.name: give `from`"}},
		{"reject_if without from", "fields:\n  email: e\nreject_if:\n  - {present: true}\n", []string{"reject_if[0]: from is required"}},
		{"bad custom attribute name", "fields:\n  email: e\n  custom_attributes.a.b: x\n", []string{`"custom_attributes.a.b" is not a field`}},
		{"wrong type", "upsert: maybe\nfields:\n  email: e\n", []string{"line 1", "`maybe` into bool"}},
		{"every problem at once", "version: 9\nidentifier: phone_number\npasswords: {unsupported: keep}\nfields:\n  email: {from: e, transforms: [nope]}\n", []string{"invalid mapping:\n", "version 9", "passwords.unsupported", "unknown transform \"nope\"", "phone_number is not mapped"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadMapping(strings.NewReader(c.yaml), "m.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "m.yaml: ") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	// A MappingError lists each problem.
	_, err := ReadMapping(strings.NewReader("version: 9\nidentifier: x\n"), "m.yaml")
	var me *MappingError
	if !errors.As(err, &me) || len(me.Problems) != 3 {
		t.Errorf("MappingError: %#v", err)
	}
}

func TestCompileMissingColumns(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "E-Mail")
	m.Set("given_name", "firstname")
	m.Set("family_name", "Last Name")
	m.Set("nickname", "nick")
	m.Set("email_verified", "verified", TA("contains", "email_adress"))
	m.RejectIf = []Condition{{From: "deleted", Present: true}}
	columns := []string{"email", "First Name", "Last Name", "verified", "email_address"}
	_, err := Compile(m, columns, true)
	var me *MappingError
	if !errors.As(err, &me) {
		t.Fatalf("error %v is not a *MappingError", err)
	}
	want := []string{
		`field email: the input has no column "E-Mail" (did you mean "email"?)`,
		`field email_verified: the input has no column "email_adress" (columns: email, First Name, Last Name, verified, email_address)`,
		`field given_name: the input has no column "firstname" (did you mean "First Name"?)`,
		`field nickname: the input has no column "nick" (columns: email, First Name, Last Name, verified, email_address)`,
		`field reject_if[0]: the input has no column "deleted" (columns: email, First Name, Last Name, verified, email_address)`,
	}
	if !reflect.DeepEqual(me.Problems, want) {
		t.Errorf("problems\n got %q\nwant %q", me.Problems, want)
	}
	// Paths into JSON are not columns: they compile whatever the sample saw.
	if _, err := Compile(m, nil, false); err != nil {
		t.Errorf("JSON paths: %v", err)
	}
	// Malformed paths are reported too.
	m2 := NewMapping(IdentifierEmail)
	m2.Set("email", "emails[x]")
	if _, err := Compile(m2, nil, false); err == nil || !strings.Contains(err.Error(), `field email: path "emails[x]"`) {
		t.Errorf("malformed path: %v", err)
	}
	// Too many columns to list: no hint.
	var many []string
	for i := 0; i < 50; i++ {
		many = append(many, "c"+strings.Repeat("x", i))
	}
	m3 := NewMapping(IdentifierEmail)
	m3.Set("email", "mail")
	if _, err := Compile(m3, many, true); err == nil || strings.Contains(err.Error(), "columns:") {
		t.Errorf("50 columns: %v", err)
	}
}

func TestTargets(t *testing.T) {
	seen := map[string]bool{}
	for _, tg := range Targets {
		if seen[tg.Key] {
			t.Errorf("duplicate target %s", tg.Key)
		}
		seen[tg.Key] = true
		if tg.Label == "" || tg.Doc == "" {
			t.Errorf("%s: no label or doc", tg.Key)
		}
		got, ok := LookupTarget(tg.Key)
		if !ok || got != tg {
			t.Errorf("LookupTarget(%s)", tg.Key)
		}
		// Every target sets its value with the setter of its kind.
		var has bool
		switch tg.kind {
		case kindBool:
			has = tg.setBool != nil
		case kindList:
			has = tg.setList != nil
		case kindAny:
			has = tg.setAny != nil
		default:
			has = tg.setStr != nil
		}
		if !has {
			t.Errorf("%s: %s without a setter", tg.Key, tg.Kind())
		}
	}
	// Every identifier is a target.
	for _, id := range []Identifier{IdentifierEmail, IdentifierPhone, IdentifierUsername} {
		if !id.Valid() || !seen[string(id)] {
			t.Errorf("identifier %s", id)
		}
	}
	if Identifier("sub").Valid() {
		t.Error("sub is not an identifier")
	}
}

func TestMappingCustomAttributesBeforeRoles(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "e")
	m.Set("roles", "r")
	m.Set("groups", "g")
	m.Set("address.country", "c")
	m.Set("custom_attributes.tier", "t")
	got := m.FieldKeys()
	want := []string{"email", "address.country", "custom_attributes.tier", "roles", "groups"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FieldKeys() = %q, want %q", got, want)
	}
}

// TestMappingUnknownKeyInField: a typo inside a field's map must be an
// error like a typo anywhere else, or the import silently loses what the
// user wrote (here the lowercase transform).
func TestMappingUnknownKeyInField(t *testing.T) {
	for _, y := range []string{
		"fields:\n  email:\n    from: e\n    tranforms: [lowercase]\n",
		"fields:\n  email: {from: e, valeu: x}\n",
	} {
		m, err := ReadMapping(strings.NewReader(y), "m.yaml")
		if err != nil {
			if !strings.Contains(err.Error(), "line 2") && !strings.Contains(err.Error(), "line 4") {
				t.Errorf("%q: error %v does not give the line", y, err)
			}
			continue
		}
		t.Errorf("%q read as %+v with no error: a typo in a field mapping must be refused", y, *m.Fields["email"])
	}
}
