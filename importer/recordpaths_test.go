package importer

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Tests of the paths into nested records (issue 18 items 2 and 3): lists
// of name/value pairs are addressed by name, and every element of any
// other list is listed, so that no value of a sampled record is invisible.

func rowsOf(t *testing.T, docs ...string) []*Row {
	t.Helper()
	var rows []*Row
	for i, d := range docs {
		var obj map[string]any
		dec := json.NewDecoder(strings.NewReader(d))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, &Row{Num: i + 1, Object: obj})
	}
	return rows
}

func TestJSONColumnsPivotNameValuePairs(t *testing.T) {
	for _, tc := range []struct {
		name string
		docs []string
		want []string
		not  []string
	}{
		{
			name: "cognito attributes, in another order in each record",
			docs: []string{
				`{"Attributes": [{"Name": "email", "Value": "a@x.io"}, {"Name": "phone_number", "Value": "+14155550123"}]}`,
				`{"Attributes": [{"Name": "phone_number", "Value": "+14155550124"}, {"Name": "email", "Value": "b@x.io"}, {"Name": "custom:plan", "Value": "pro"}]}`,
			},
			want: []string{"Attributes[Name=email].Value", "Attributes[Name=phone_number].Value", "Attributes[Name=custom:plan].Value"},
			not:  []string{"Attributes[0].Value", "Attributes[Name=email].Name"},
		},
		{
			name: "wordpress meta with ids",
			docs: []string{`{"meta": [{"umeta_id": "1", "meta_key": "first_name", "meta_value": "Ana"}]}`},
			want: []string{"meta[meta_key=first_name].meta_value", "meta[meta_key=first_name].umeta_id"},
		},
		{
			name: "key/value",
			docs: []string{`{"profile": [{"key": "city", "value": "Seoul"}]}`, `{"profile": []}`},
			want: []string{"profile[key=city].value"},
			not:  []string{"profile"},
		},
		{
			name: "a name twice in one record: by position, so that neither hides the other",
			docs: []string{
				`{"Attributes": [{"Name": "email", "Value": "a@x.io"}]}`,
				`{"Attributes": [{"Name": "email", "Value": "b@x.io"}, {"Name": "email", "Value": "c@x.io"}]}`,
			},
			want: []string{"Attributes[0].Name", "Attributes[0].Value", "Attributes[1].Name", "Attributes[1].Value"},
			not:  []string{"Attributes[Name=email].Value"},
		},
		{
			name: "no value beside the name: not pairs",
			docs: []string{`{"roles": [{"name": "admin", "id": 1}, {"name": "staff", "id": 2}]}`},
			want: []string{"roles[0].name", "roles[1].name", "roles[1].id"},
		},
		{
			name: "every element of other lists",
			docs: []string{`{"identities": [{"provider": "password"}, {"provider": "google"}, {"provider": "github", "user_id": "9"}]}`},
			want: []string{"identities[0].provider", "identities[1].provider", "identities[2].provider", "identities[2].user_id"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cols, _ := jsonColumns(rowsOf(t, tc.docs...))
			for _, w := range tc.want {
				if !slices.Contains(cols, w) {
					t.Errorf("no column %q in %q", w, cols)
				}
			}
			for _, n := range tc.not {
				if slices.Contains(cols, n) {
					t.Errorf("column %q in %q", n, cols)
				}
			}
		})
	}
}

// leafValues lists the scalar values of v.
func leafValues(v any, out *[]string) {
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			leafValues(e, out)
		}
	case []any:
		for _, e := range t {
			leafValues(e, out)
		}
	default:
		*out = append(*out, scalarString(v))
	}
}

// checkNothingInvisible checks that every value of every sampled record
// is read by a column (or names a pair in a column's selector), and that
// every column is mapped or listed as not mapped.
func checkNothingInvisible(t *testing.T, name string, m *Mapping, rep *SuggestReport) {
	t.Helper()
	src, err := Open(filepath.Join("testdata", "exports", name), SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cols := src.Columns()
	for _, row := range src.Sample() {
		var read []string
		for _, c := range cols {
			p, err := compilePath(c, cols, false)
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := p.lookup(row); ok {
				leafValues(v, &read)
			}
		}
		var leaves []string
		leafValues(row.Object, &leaves)
		for _, l := range leaves {
			if slices.Contains(read, l) {
				continue
			}
			named := false
			for _, c := range cols {
				named = named || strings.Contains(c, "="+l+"]")
			}
			if !named {
				t.Errorf("%s row %d: the value %q is read by no column of %q", name, row.Num, l, cols)
			}
		}
	}
	for _, c := range cols {
		mapped := false
		for _, f := range m.Fields {
			mapped = mapped || f.From == c
			// A path a transform reads (when: MFAOptions[DeliveryMedium=SMS])
			// is read by the mapping too.
			for _, tr := range f.Transforms {
				mapped = mapped || transforms[tr.Name].argPath && pathCovers(src, tr.Arg, c)
			}
		}
		// The old user id (source.id) is shown as such, not as unmapped.
		mapped = mapped || m.SourceIDPath() == c || m.SourceIDPath()+".$oid" == c
		if !mapped && !slices.Contains(rep.Unmapped, c) {
			t.Errorf("%s: %q is neither mapped nor listed as not mapped (%q)", name, c, rep.Unmapped)
		}
	}
}

func TestExportCognitoAttributesByName(t *testing.T) {
	const name = "cognito-list-users.json"
	r := mapAndPrepare(t, name, SuggestOptions{Preset: "generic"}, nil)
	for field, from := range map[string]string{
		"email":                 "Attributes[Name=email].Value",
		"email_verified":        "Attributes[Name=email_verified].Value",
		"phone_number":          "Attributes[Name=phone_number].Value",
		"phone_number_verified": "Attributes[Name=phone_number_verified].Value",
		"given_name":            "Attributes[Name=given_name].Value",
		"family_name":           "Attributes[Name=family_name].Value",
	} {
		if f := r.m.Fields[field]; f == nil || f.From != from {
			t.Errorf("%s ← %+v, want %s", field, f, from)
		}
	}
	if r.stats.Valid != 3 || r.stats.Invalid != 0 {
		t.Fatalf("valid %d invalid %d, want 3 and 0", r.stats.Valid, r.stats.Invalid)
	}
	// Each record's email is its own, wherever it stands in the list.
	for row, want := range map[int]string{1: `"ana.lima@example.com"`, 2: `"bo@example.com"`, 3: `"chen@example.com"`} {
		if got := FieldValue(r.rows[row], "email"); got != want {
			t.Errorf("row %d: email %s, want %s", row, got, want)
		}
	}
	if got := FieldValue(r.rows[2], "phone_number"); got != `"+14155550123"` {
		t.Errorf("row 2: phone %s", got)
	}
	if got := FieldValue(r.rows[1], "phone_number"); got != "" {
		t.Errorf("row 1 has no phone, got %s", got)
	}
	if got := FieldValue(r.rows[3], "family_name"); got != `"Wei"` {
		t.Errorf("row 3: family_name %s", got)
	}
	for _, u := range []string{"Attributes[Name=custom:plan].Value", "Attributes[Name=sub].Value", "MFAOptions[0].AttributeName"} {
		if !slices.Contains(r.rep.Unmapped, u) {
			t.Errorf("%q not listed as not mapped: %q", u, r.rep.Unmapped)
		}
	}
	checkNothingInvisible(t, name, r.m, r.rep)
}

func TestExportWordPressMetaByName(t *testing.T) {
	const name = "wordpress-meta.json"
	r := mapAndPrepare(t, name, SuggestOptions{Preset: "generic"}, nil)
	for field, from := range map[string]string{
		"given_name":  "meta[meta_key=first_name].meta_value",
		"family_name": "meta[meta_key=last_name].meta_value",
		"nickname":    "meta[meta_key=nickname].meta_value",
	} {
		if f := r.m.Fields[field]; f == nil || f.From != from {
			t.Errorf("%s ← %+v, want %s", field, f, from)
		}
	}
	// Bruno's meta lists last_name first.
	if g, f := FieldValue(r.rows[2], "given_name"), FieldValue(r.rows[2], "family_name"); g != `"Bruno"` || f != `"Costa"` {
		t.Errorf("row 2: given %s family %s", g, f)
	}
	if r.stats.Valid != 2 {
		t.Errorf("valid %d, want 2", r.stats.Valid)
	}
	checkNothingInvisible(t, name, r.m, r.rep)
}

func TestExportKeyValueListByKey(t *testing.T) {
	const name = "key-value-profile.ndjson"
	r := mapAndPrepare(t, name, SuggestOptions{Preset: "generic"}, nil)
	for field, from := range map[string]string{
		"phone_number":     "profile[key=phone].value",
		"address.locality": "profile[key=city].value",
		"locale":           "profile[key=locale].value",
	} {
		if f := r.m.Fields[field]; f == nil || f.From != from {
			t.Errorf("%s ← %+v, want %s", field, f, from)
		}
	}
	if f := r.m.Fields["profile"]; f != nil {
		t.Errorf("the list of pairs is mapped as the profile URL: %+v", f)
	}
	if r.stats.Valid != 3 || r.stats.Invalid != 0 {
		t.Fatalf("valid %d invalid %d, want 3 and 0", r.stats.Valid, r.stats.Invalid)
	}
	if got := FieldValue(r.rows[2], "phone_number"); got != `"+821098765432"` {
		t.Errorf("row 2: phone %s", got)
	}
	if got := FieldValue(r.rows[1], "address.locality"); got != `"Seoul"` {
		t.Errorf("row 1: city %s", got)
	}
	checkNothingInvisible(t, name, r.m, r.rep)
}

func TestExportNoArrayElementInvisible(t *testing.T) {
	const name = "phone-in-second-element.json"
	r := mapAndPrepare(t, name, SuggestOptions{Preset: "generic"}, nil)
	if f := r.m.Fields["email"]; f == nil || f.From != "email" {
		t.Errorf("email ← %+v, want the top-level email", f)
	}
	if f := r.m.Fields["phone_number"]; f == nil || f.From != "contacts[1].phone" {
		t.Fatalf("phone_number ← %+v, want contacts[1].phone", f)
	}
	if got := FieldValue(r.rows[2], "phone_number"); got != `"+33698765432"` {
		t.Errorf("row 2: phone %s", got)
	}
	for _, u := range []string{"contacts[0].email", "identities[0].provider", "identities[1].provider", "identities[2].user_id"} {
		if !slices.Contains(r.rep.Unmapped, u) {
			t.Errorf("%q not listed as not mapped: %q", u, r.rep.Unmapped)
		}
	}
	if r.note("identities: 2 of the 3 sampled records have more than one element", "the 4 paths of the later elements", "identities[1].provider") == "" {
		t.Errorf("no note on the later identities: %q", r.rep.Notes)
	}
	checkNothingInvisible(t, name, r.m, r.rep)
}

// A selector reads the element it names wherever it stands: the columns
// of that element are not listed as not mapped, the others are.
func TestUnmappedColumnsSelectorAgainstPositions(t *testing.T) {
	doc := `[{"email": "a@x.io", "credentials": [{"type": "otp", "secretData": "s1"}, {"type": "password", "secretData": "s2"}]},
	{"email": "b@x.io", "credentials": [{"type": "password", "secretData": "s3"}]}]`
	src, err := NewSource(strings.NewReader(doc), "k.json", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("password.password_hash", "credentials[type=password].secretData")
	got := unmappedColumns(src, m)
	want := []string{"credentials[0].type", "credentials[1].type"}
	// credentials[0] is the OTP in the first record, the password in the
	// second: its secretData is read; credentials[1] is the password.
	if !slices.Equal(got, want) {
		t.Errorf("unmapped %q, want %q (columns %q)", got, want, src.Columns())
	}
	m.Fields["password.password_hash"].From = "credentials[type=otp].secretData"
	if got := unmappedColumns(src, m); !slices.Contains(got, "credentials[1].secretData") || slices.Contains(got, "credentials[0].secretData") {
		t.Errorf("with the OTP mapped, unmapped %q", got)
	}
}

// Every pivoted path reads back the value it was listed for, whatever the
// names hold ('.', '=', '[', spaces, numbers, ':').
func TestPivotedPathsReadBack(t *testing.T) {
	rows := rowsOf(t, `{"Attributes": [{"Name": "a.b", "Value": "1"}, {"Name": "x=y", "Value": "2"}, {"Name": "p[q", "Value": "3"}, {"Name": "custom:plan", "Value": "4"}, {"Name": 7, "Value": "5"}, {"Name": " sp ace ", "Value": "6"}]}`)
	cols, _ := jsonColumns(rows)
	if len(cols) != 6 {
		t.Fatalf("columns %q", cols)
	}
	var got []string
	for _, c := range cols {
		p, err := compilePath(c, cols, false)
		if err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		v, ok := p.lookup(rows[0])
		if !ok {
			t.Fatalf("%q reads nothing", c)
		}
		got = append(got, scalarString(v))
	}
	if want := []string{"1", "2", "3", "4", "5", "6"}; !slices.Equal(got, want) {
		t.Errorf("read %q from %q", got, cols)
	}
}
