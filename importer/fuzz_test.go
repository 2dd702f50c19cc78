package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets. Run one at a time, for example
//
//	go test ./importer -run '^$' -fuzz FuzzCSVSource -fuzztime 3m
//
// Inputs that failed once are kept under testdata/fuzz and run by every
// go test.

// addFixtureSeeds adds the shared fixtures whose name ends in one of exts
// (the copy of the shared fixtures in the repository's testdata/fixtures).
func addFixtureSeeds(f *testing.F, add func([]byte), exts ...string) {
	dir := filepath.Join("..", "testdata", "fixtures")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		for _, ext := range exts {
			if strings.HasSuffix(e.Name(), ext) && !strings.HasSuffix(e.Name(), ".expected.json") {
				if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
					add(b)
				}
			}
		}
	}
}

// checkSource reads a whole source and checks the row invariants.
func checkSource(t *testing.T, data []byte, o SourceOptions) {
	src, err := NewSource(bytes.NewReader(data), "fuzz", o)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) && o.Format != "xml" {
			// Only format errors end a load before it starts.
			t.Fatalf("NewSource error %v (%T) is not a *ParseError", err, err)
		}
		return
	}
	if len(src.Sample()) > 200 {
		t.Fatalf("sample of %d rows", len(src.Sample()))
	}
	lastLine := 0
	for n := 1; ; n++ {
		row, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Next error %v (%T) is not a *ParseError", err, err)
			}
			// The error sticks.
			if _, again := src.Next(); again == nil {
				t.Fatal("Next succeeded after an error")
			}
			break
		}
		if row.Num != n {
			t.Fatalf("row %d has Num %d", n, row.Num)
		}
		if row.Line < 1 || row.Line < lastLine {
			t.Fatalf("row %d: line %d after line %d", n, row.Line, lastLine)
		}
		lastLine = row.Line
		if row.Err == nil && (row.Fields == nil) == (row.Object == nil) {
			t.Fatalf("row %d: Fields %v and Object %v", n, row.Fields, row.Object)
		}
		if row.Err != nil && row.Object != nil {
			t.Fatalf("row %d: an error row with an object", n)
		}
		switch src.Format() {
		case FormatCSV:
			if row.Fields == nil {
				t.Fatalf("row %d: CSV row without fields", n)
			}
			if row.Err == nil && len(row.Fields) != len(src.Columns()) {
				t.Fatalf("row %d: %d fields, %d columns, no error", n, len(row.Fields), len(src.Columns()))
			}
			for _, f := range row.Fields {
				if row.Err == nil && !utf8.ValidString(f) {
					t.Fatalf("row %d: invalid UTF-8 without an error", n)
				}
			}
		case FormatJSON, FormatNDJSON:
			if row.Err == nil && !json.Valid(row.Raw) {
				t.Fatalf("row %d: Raw %q is not JSON", n, row.Raw)
			}
		}
		if n > 1<<20 {
			t.Fatal("runaway source")
		}
	}
}

func FuzzCSVSource(f *testing.F) {
	for _, s := range []string{
		"email,name\na@x.io,Ann\n",
		"a;b;c\r\n1;\"2;\n3\";4\r\n5;6\r\n",
		"a\tb\n1\t2\n\n3\n",
		"a|b\n\"x\"\"y\"|z\n",
		"\xEF\xBB\xBFemail\nu@x.io",
		"\xFF\xFEe\x00,\x00n\x00\n\x00a\x00,\x00b\x00",
		"a,b\n1,x\"y\n",
		"a,b\n1,\"unterminated\n",
		"",
		",,,\n,,,\n",
		"a,a,a\n1,2,3\n",
		"a,a,a (2)\n1,2,3\n",
		"a\n\r\n\r\r\n\n1\n",
	} {
		f.Add([]byte(s), uint8(0))
	}
	addFixtureSeeds(f, func(b []byte) { f.Add(b, uint8(0)) }, ".csv")
	f.Fuzz(func(t *testing.T, data []byte, opts uint8) {
		o := SourceOptions{Format: FormatCSV, SampleSize: int(opts>>4) + 1}
		o.LazyQuotes = opts&1 != 0
		if opts&2 != 0 {
			o.NoHeader = true
			if opts&4 != 0 {
				o.Columns = []string{"a", "b", "c"}
			}
		}
		if opts&8 != 0 {
			o.Delimiter = []rune{',', ';', '\t', '|'}[opts>>4&3]
		}
		checkSource(t, data, o)
	})
}

func FuzzJSONSource(f *testing.F) {
	for _, s := range []string{
		`[{"email":"a@x.io"},{"email":"b@x.io","n":1}]`,
		`{"users":[{"email":"a@x.io"}],"count":1}`,
		`{"realm":"x","roles":{"realm":[]},"users":[{"username":"u","credentials":[{"credentialData":"{\"algorithm\":\"bcrypt\"}"}]}]}`,
		`{"email":"a@x.io","tags":["x"]}`,
		"[\n{\"a\":1},\n2,\n{\"a\":3}\n]",
		"[\n {\"email\": \"b@x\",}\n]",
		`[{"a":1} {"a":2}]`,
		`[`,
		`{`,
		`42`,
		`{"users":[], "data":[{"a":1}]}`,
		"[{\"a\":1}]][",
		"[{\"a\":1}]\n{}",
		"{\"a\":1}\n{\"a\":2}",
		"{\"users\":[{\"a\":1}],\"n\":{\"x\":[1]}} 1",
		"{\"users\":[]}\r\n\t ",
	} {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(`{"users":[{"a":1}],"data":[{"b":2}]}`), "data")
	addFixtureSeeds(f, func(b []byte) { f.Add(b, "") }, ".json")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		checkSource(t, data, SourceOptions{Format: FormatJSON, RecordsKey: key})
		checkSource(t, data, SourceOptions{})
	})
}

func FuzzNDJSONSource(f *testing.F) {
	for _, s := range []string{
		"{\"email\":\"a@x.io\"}\n{\"email\":\"b@x.io\"}\n",
		"{\"a\":1}\r\n\r\n{\"a\":2}",
		"{\"a\":1}\n{\"a\":\n[1]\n\"x\"\n{} {}\n",
		"\n\n\n",
		"{\"a\":\"\\u0000\"}\n",
	} {
		f.Add([]byte(s))
	}
	addFixtureSeeds(f, func(b []byte) { f.Add(b) }, ".ndjson")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSource(t, data, SourceOptions{Format: FormatNDJSON})
	})
}

func FuzzReadMapping(f *testing.F) {
	var b bytes.Buffer
	richMapping().Write(&b)
	f.Add(b.String())
	for _, s := range []string{
		"identifier: email\nfields:\n  email: Email\n",
		"version: 1\nidentifier: phone_number\nphone: {default_region: HK}\nfields:\n  phone_number: {from: tel, transforms: [trim, {phone: HK}]}\n",
		"fields:\n  email: {value: a@x.io}\n  roles: {value: [a, 1, true]}\n  custom_attributes.x: {value: {a: [1]}}\n",
		"source: {format: csv, delimiter: '\\t', columns: [a, b]}\nfields:\n  email: a\nreject_if:\n  - {from: b, present: true, reason: gone}\n",
		"fields:\n  email: &a x\n  name: *a\n",
		"fields: {email: !!binary aGVsbG8=}\n",
		"fields:\n  email: {from: e, transforms: [{split: '\\n'}, {default: ''}]}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ReadMapping(strings.NewReader(s), "fuzz.yaml")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := m.Write(&out); err != nil {
			t.Fatalf("Write: %v", err)
		}
		again, err := ReadMapping(bytes.NewReader(out.Bytes()), "again.yaml")
		if err != nil {
			t.Fatalf("a mapping that read back OK does not read after Write: %v\n%s", err, out.String())
		}
		if !reflect.DeepEqual(normalizeMapping(again), normalizeMapping(m)) {
			t.Fatalf("round trip differs\n got %#v\nwant %#v\n%s", again, m, out.String())
		}
		// And the plan compiles or says why, without panicking.
		Compile(m, []string{"a", "b", "email", "Email"}, true)
		Compile(m, nil, false)
	})
}

// normalizeMapping makes constants comparable across YAML round trips
// (a YAML int may come back as another integer type).
func normalizeMapping(m *Mapping) *Mapping {
	c := *m
	c.Fields = map[string]*FieldSpec{}
	for k, f := range m.Fields {
		if f == nil {
			c.Fields[k] = nil
			continue
		}
		g := *f
		g.Value = normalizeYAMLValue(f.Value)
		if len(g.Transforms) == 0 {
			g.Transforms = nil
		}
		c.Fields[k] = &g
	}
	if len(c.RejectIf) == 0 {
		c.RejectIf = nil
	}
	if len(c.Source.Columns) == 0 {
		c.Source.Columns = nil
	}
	return &c
}

// fuzzCells is the number of cells FuzzApply maps (columns c0..c16).
const fuzzCells = 17

// fuzzMapping maps the cells through most transforms; a cell feeds one
// field or a few that can all be valid at once.
func fuzzMapping(id Identifier, possible bool) *Mapping {
	m := NewMapping(id)
	if possible {
		m.Phone.Validation = PhoneIsPossibleNumber
		m.UsernameCaseSensitive = true
	}
	m.Set("email", "c0", T("trim"), T("lowercase"))
	m.Set("custom_attributes.seen", "c0", TA("contains", "c1"))
	m.Set("phone_number", "c1", TA("strip_prefix", "'"), TA("phone", "HK"))
	m.Set("preferred_username", "c2", TA("split", " "), T("first"))
	m.Set("name", "c2", TA("default", "Anonymous"))
	m.Set("given_name", "c2")
	m.Set("email_verified", "c3", T("bool"))
	m.Set("disabled", "c3", T("present"))
	m.Set("custom_attributes.flag", "c3", T("not"))
	m.Set("roles", "c4", TA("split", ";"))
	m.Set("address.country", "c4", T("uppercase"))
	m.Set("birthdate", "c5", T("date"))
	m.Set("account_valid_from", "c6", T("timestamp"))
	m.Set("password.expire_after", "c6", T("timestamp"))
	m.Set("password.password_hash", "c7")
	m.Set("mfa.password.password_hash", "c7")
	m.Set("mfa.totp.secret", "c8", T("uppercase"))
	m.Set("custom_attributes.meta", "c9", T("json"))
	m.Set("groups", "c10", T("json"))
	m.Set("nickname", "c10", T("json"), T("first"))
	m.Set("account_valid_until", "c11", TA("timestamp", "unix"))
	m.Set("phone_number_verified", "c11", T("future"))
	m.Set("locale", "c12", T("locale"))
	m.Set("picture", "c13")
	m.Set("website", "c13")
	m.Set("profile", "c13")
	m.Set("mfa.email", "c14", T("lowercase"))
	m.Set("mfa.phone_number", "c15")
	m.Set("zoneinfo", "c16")
	return m
}

// checkSendable fails when a valid record holds what the server refuses
// or mangles: an empty string, a control character, invalid UTF-8.
func checkSendable(t *testing.T, p *Prepared, plan *Plan) {
	if !p.Valid() {
		return
	}
	b, err := p.Record.AppendJSON(nil)
	if err != nil {
		t.Fatalf("AppendJSON: %v", err)
	}
	if !utf8.Valid(b) {
		t.Fatalf("record is not UTF-8: %q", b)
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("record is not JSON: %v %s", err, b)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		// Inside a custom attribute's object or list anything goes: the
		// server checks custom attributes against their configured
		// (scalar) types, and ignores those not configured.
		if strings.HasPrefix(path, ".custom_attributes.") && strings.ContainsAny(path[len(".custom_attributes."):], ".[") {
			return
		}
		switch x := v.(type) {
		case string:
			if x == "" {
				t.Fatalf("valid record has an empty string at %s: %s", path, b)
			}
			for _, r := range x {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("valid record has the control character %U at %s: %s", r, path, b)
				}
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		}
	}
	walk("", v)
	r := p.Record
	if r.IdentifierValue(plan.mapping.Identifier) == "" {
		t.Fatalf("valid record without its identifier: %s", b)
	}
	if r.Email != nil && checkEmail(*r.Email) != nil {
		t.Fatalf("valid record with email %q", *r.Email)
	}
	for _, s := range []*string{r.AccountValidFrom, r.AccountValidUntil} {
		if s != nil && checkDateTime(*s) != nil {
			t.Fatalf("valid record with date-time %q", *s)
		}
	}
	if r.Password != nil && CheckBcrypt(r.Password.PasswordHash) != nil {
		t.Fatalf("valid record with hash %q", r.Password.PasswordHash)
	}
	// Normalised login IDs are fixed points: the same value imported
	// again normalises to itself, so re-runs find the same user.
	if r.Email != nil && NormalizeEmail(*r.Email) != *r.Email {
		t.Fatalf("email %q normalises again to %q", *r.Email, NormalizeEmail(*r.Email))
	}
	if r.PreferredUsername != nil {
		if again := NormalizeUsername(*r.PreferredUsername, plan.mapping.UsernameCaseSensitive); again != *r.PreferredUsername {
			t.Fatalf("username %q normalises again to %q", *r.PreferredUsername, again)
		}
	}
	for _, ph := range []*string{r.PhoneNumber, mfaPhone(r)} {
		if ph == nil {
			continue
		}
		again, err := plan.phones.normalize(*ph, "")
		if err != nil || again != *ph {
			t.Fatalf("phone %q normalises again to %q, %v", *ph, again, err)
		}
	}
}

func mfaPhone(r *Record) *string {
	if r.MFA == nil {
		return nil
	}
	return r.MFA.PhoneNumber
}

// fuzzPlans are compiled once per process.
var fuzzPlans []*Plan

func FuzzApply(f *testing.F) {
	h := "$2a$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	seeds := [][fuzzCells]string{
		{" A@X.IO ", "+852 9876 5433", "Ann Lee", "yes", "admin;editor", "1990-05-17", "2022-10-06 03:59:21+00", h, "JBSWY3DPEHPK3PXP", `{"a":[1,"x"]}`, `["g1","g2"]`, "4102444800", "zh_HK", "https://x.io/p.png", "M@X.IO", "+1 415 555 0100", "Asia/Hong_Kong"},
		{"a@x.io", "'98765433", "", "", "a", "--01-02", "1665028761000", "", "", "", "", "", "", "", "", "", ""},
		{"a@x.io", "", "", "null", "", "1990", "", "secret", "jbswy3dp", `{"k":"\u0000"}`, `[""]`, "1e300", "not a locale!", "ftp://x.io/p", "nope", "98765432", "UTC"},
		{"a@x.io", "a@x.io", "An\x00n", "maybe", " ; ;", "0000-01-02", "9999-12-31T23:59:59Z", "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "A", `{"k":""}`, `{"x":1}`, "-62167219200", "en-us", "authgearimages:///a", "", "", "Mars/Olympus"},
		{"a@x.io", "", "", "", "", "", "", "", "", `{"k":"\u0000"}`, "", "", "", "", "", "", ""},
		{"a@x.io", "", "", "", "", "", "", "", "", `"\u0001"`, "", "", "", "", "", "", ""},
		{"a@x.io", "", "", "", "", "", "", "", "", "", `["ok","\u0000"]`, "", "", "", "", "", ""},
		{},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15], s[16])
	}
	f.Fuzz(func(t *testing.T, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16 string) {
		cells := []string{c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16}
		if fuzzPlans == nil {
			cols := make([]string, fuzzCells)
			for i := range cols {
				cols[i] = fmt.Sprintf("c%d", i)
			}
			for _, id := range []Identifier{IdentifierEmail, IdentifierPhone, IdentifierUsername} {
				for _, possible := range []bool{false, true} {
					p, err := Compile(fuzzMapping(id, possible), cols, true)
					if err != nil {
						t.Fatal(err)
					}
					pj, err := Compile(fuzzMapping(id, possible), nil, false)
					if err != nil {
						t.Fatal(err)
					}
					fuzzPlans = append(fuzzPlans, p, pj)
				}
			}
		}
		obj := map[string]any{}
		for i, c := range cells {
			// A JSON row holds the cell as JSON when it is JSON.
			var v any
			d := json.NewDecoder(strings.NewReader(c))
			d.UseNumber()
			if d.Decode(&v) == nil && !d.More() {
				obj[fmt.Sprintf("c%d", i)] = v
			} else {
				obj[fmt.Sprintf("c%d", i)] = c
			}
		}
		for i, plan := range fuzzPlans {
			row := &Row{Num: 1, Line: 2, Fields: cells}
			if i%2 == 1 {
				row = &Row{Num: 1, Line: 2, Object: obj}
			}
			p := plan.Apply(row)
			if p.Row != row {
				t.Fatal("Prepared.Row is not the row")
			}
			if p.Valid() && p.Record == nil {
				t.Fatal("valid without a record")
			}
			checkSendable(t, p, plan)
			for _, pr := range p.Problems {
				if pr.Message == "" {
					t.Fatalf("empty problem %+v", pr)
				}
			}
			_ = p.Reason()
		}
	})
}
