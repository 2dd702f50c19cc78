package importer

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// planFor compiles m against columns and fails the test on error.
func planFor(t testing.TB, m *Mapping, columns []string, isCSV bool) *Plan {
	t.Helper()
	p, err := Compile(m, columns, isCSV)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

// transformPlan is a plan to run single transforms against.
func transformPlan(t testing.TB, region string) *Plan {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Phone.DefaultRegion = region
	p := planFor(t, m, []string{"email"}, true)
	p.now = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	return p
}

func runTransform(p *Plan, name, arg string, v any) (any, error) {
	return transforms[name].fn(v, arg, &applyCtx{row: &Row{}, plan: p, now: p.now})
}

type transformCase struct {
	name string // transform
	arg  string
	in   any
	want any
	err  string // substring of the error; "" for none
}

func runTransformCases(t *testing.T, p *Plan, cases []transformCase) {
	t.Helper()
	for _, c := range cases {
		got, err := runTransform(p, c.name, c.arg, c.in)
		label := c.name
		if c.arg != "" {
			label += ":" + c.arg
		}
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s(%#v) = %#v, %v; want an error containing %q", label, c.in, got, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s(%#v): unexpected error %v", label, c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s(%#v) = %#v (%T), want %#v (%T)", label, c.in, got, got, c.want, c.want)
		}
	}
}

func TestTransformRegistry(t *testing.T) {
	names := TransformNames()
	for _, w := range []string{"bool", "contains", "date", "default", "first", "future", "json", "locale", "lowercase", "not", "phone", "present", "split", "strip_prefix", "timestamp", "trim", "uppercase"} {
		if _, ok := transforms[w]; !ok {
			t.Errorf("transform %s is missing (have %q)", w, names)
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Error("not sorted")
	}
	for _, n := range names {
		if TransformDoc(n) == "" {
			t.Errorf("%s has no doc", n)
		}
	}
	if TransformDoc("nope") != "" {
		t.Error("doc for an unknown transform")
	}
	if got := TransformDoc("split"); !strings.Contains(got, "(argument: ") {
		t.Errorf("split doc %q does not name its argument", got)
	}
	if got := T("trim").String(); got != "trim" {
		t.Errorf("String() = %q", got)
	}
	if got := TA("split", ";").String(); got != `split: ";"` {
		t.Errorf("String() = %q", got)
	}
}

func TestTransformText(t *testing.T) {
	p := transformPlan(t, "")
	runTransformCases(t, p, []transformCase{
		{"trim", "", "  a b \t\n", "a b", ""},
		{"trim", "", "\u200b\ufeffa\u00a0", "a", ""},
		{"trim", "", []any{" a ", json.Number("1"), " b"}, []any{"a", json.Number("1"), "b"}, ""},
		{"trim", "", json.Number("12"), json.Number("12"), ""},
		{"trim", "", nil, nil, ""},
		{"lowercase", "", "ÀB@X.IO", "àb@x.io", ""},
		{"lowercase", "", []any{"A", "B"}, []any{"a", "b"}, ""},
		{"uppercase", "", "us", "US", ""},
		{"uppercase", "", true, true, ""},
		{"strip_prefix", "", "'+85298765432", "+85298765432", ""},
		{"strip_prefix", "", "+85298765432", "+85298765432", ""},
		{"strip_prefix", "", "''x", "'x", ""},
		{"strip_prefix", "auth0|", "auth0|abc", "abc", ""},
		{"strip_prefix", "auth0|", []any{"auth0|a", "b"}, []any{"a", "b"}, ""},
		{"locale", "", "zh_HK", "zh-HK", ""},
		{"locale", "", " en-us ", "en-US", ""},
		{"locale", "", "EN", "en", ""},
		{"locale", "", "zh-hant-hk", "zh-Hant-HK", ""},
		{"locale", "", "pt_BR", "pt-BR", ""},
		{"locale", "", "not a locale!", "not a locale!", ""}, // left for validation to reject
		{"locale", "", "", "", ""},
		{"locale", "", nil, nil, ""},
	})
}

func TestTransformBool(t *testing.T) {
	p := transformPlan(t, "")
	var cases []transformCase
	for _, s := range []string{"true", "TRUE", "True", "1", "yes", "YES", "Yes", "y", "Y", "t", "T", "on", " true "} {
		cases = append(cases, transformCase{"bool", "", s, true, ""})
		cases = append(cases, transformCase{"not", "", s, false, ""})
	}
	for _, s := range []string{"false", "FALSE", "False", "0", "no", "NO", "No", "n", "N", "f", "F", "off", "\tfalse\n"} {
		cases = append(cases, transformCase{"bool", "", s, false, ""})
		cases = append(cases, transformCase{"not", "", s, true, ""})
	}
	cases = append(cases,
		transformCase{"bool", "", "", nil, ""},
		transformCase{"bool", "", "   ", nil, ""},
		transformCase{"bool", "", nil, nil, ""},
		transformCase{"bool", "", true, true, ""},
		transformCase{"bool", "", false, false, ""},
		transformCase{"bool", "", json.Number("1"), true, ""},
		transformCase{"bool", "", json.Number("0"), false, ""},
		transformCase{"bool", "", json.Number("2"), nil, "not a boolean"},
		transformCase{"bool", "", "maybe", nil, `"maybe" is not a boolean`},
		transformCase{"bool", "", "null", nil, "not a boolean"},
		transformCase{"bool", "", []any{"true"}, nil, "a list is not a boolean"},
		transformCase{"bool", "", map[string]any{}, nil, "an object"},
		transformCase{"not", "", "", nil, ""},
		transformCase{"not", "", nil, nil, ""},
		transformCase{"not", "", true, false, ""},
		transformCase{"not", "", "x", nil, "not a boolean"},
		transformCase{"present", "", "2021-01-01T00:00:00Z", true, ""},
		transformCase{"present", "", "x", true, ""},
		transformCase{"present", "", "", false, ""},
		transformCase{"present", "", "  ", false, ""},
		transformCase{"present", "", "null", false, ""},
		transformCase{"present", "", " NULL ", false, ""},
		transformCase{"present", "", nil, false, ""},
		transformCase{"present", "", []any{}, false, ""},
		transformCase{"present", "", []any{"a"}, true, ""},
		transformCase{"present", "", json.Number("0"), true, ""},
		transformCase{"present", "", false, true, ""},
	)
	runTransformCases(t, p, cases)
	for _, s := range []string{"", "2", "yess", "truee", "nope", "-1", "∞"} {
		if _, err := ParseBool(s); err == nil {
			t.Errorf("ParseBool(%q) accepted", s)
		}
	}
}

func TestTransformFuture(t *testing.T) {
	p := transformPlan(t, "") // now is 2024-06-01T12:00:00Z
	runTransformCases(t, p, []transformCase{
		{"future", "", "2999-01-01T00:00:00Z", true, ""},
		{"future", "", "2024-06-01T12:00:01Z", true, ""},
		{"future", "", "2024-06-01T11:59:59Z", false, ""},
		{"future", "", "2024-06-01 20:00:00+08", false, ""}, // 12:00 UTC: not after now
		{"future", "", "2024-06-01 20:00:01+08", true, ""},
		{"future", "", "1970-01-01", false, ""},
		{"future", "", json.Number("4102444800"), true, ""}, // 2100 in seconds
		{"future", "", "1717243200000", false, ""},          // now in milliseconds
		{"future", "", "", nil, ""},
		{"future", "", nil, nil, ""},
		{"future", "", "soon", nil, "not a date-time"},
		{"future", "unix", "4102444800", true, ""},
	})
}

func TestTransformPhone(t *testing.T) {
	intl := transformPlan(t, "")
	intl.phones.assumeInternational = true
	runTransformCases(t, intl, []transformCase{
		{"phone", "", "85298765433", e164Phone("+85298765433"), ""}, // stored without + (Supabase)
		{"phone", "", json.Number("85298765433"), e164Phone("+85298765433"), ""},
		{"phone", "", "98765433", nil, "not a valid phone number"}, // +98 765433
	})
	none := transformPlan(t, "")
	runTransformCases(t, none, []transformCase{
		{"phone", "", "+852 9876 5433", e164Phone("+85298765433"), ""},
		{"phone", "", "+1 (415) 555-0100", e164Phone("+14155550100"), ""},
		{"phone", "", "+44 20 7946 0958", e164Phone("+442079460958"), ""},
		{"phone", "", "+44 (0)20 7946 0958", e164Phone("+442079460958"), ""},
		{"phone", "", "  +85298765433  ", e164Phone("+85298765433"), ""},
		{"phone", "", "85298765433", nil, "no country code"}, // no + and no region: refused, not guessed
		{"phone", "", json.Number("85298765433"), nil, "no country code"},
		{"phone", "HK", "9876 5433", e164Phone("+85298765433"), ""},
		{"phone", "hk", "98765433", e164Phone("+85298765433"), ""},
		{"phone", "US", "(415) 555-0100", e164Phone("+14155550100"), ""},
		{"phone", "GB", "020 7946 0958", e164Phone("+442079460958"), ""},
		{"phone", "US", "+852 9876 5433", e164Phone("+85298765433"), ""}, // a + wins over the region
		{"phone", "", "", nil, ""},
		{"phone", "", "   ", nil, ""},
		{"phone", "", nil, nil, ""},
		{"phone", "", true, true, ""}, // not text: left for the field check
		{"phone", "", "98765433", nil, "no country code"},
		{"phone", "", "0207946 0958", nil, "no country code"},
		{"phone", "", "+10000000000", nil, "not a valid phone number"},
		{"phone", "", "+852 9876", nil, "not a valid phone number"},
		{"phone", "", "call me", nil, "no country code"},
		{"phone", "", "+", nil, "not a phone number"},
		{"phone", "", "+852 9876 5433 ext. 12x", nil, "phone number"},
	})
	// The mapping's default region applies when the transform has none.
	hk := transformPlan(t, "HK")
	runTransformCases(t, hk, []transformCase{
		{"phone", "", "9876 5433", e164Phone("+85298765433"), ""},
		{"phone", "US", "415 555 0100", e164Phone("+14155550100"), ""},
		{"phone", "", "+1 415 555 0100", e164Phone("+14155550100"), ""},
	})
}

func TestTransformLists(t *testing.T) {
	p := transformPlan(t, "")
	runTransformCases(t, p, []transformCase{
		{"split", "", "a,b, c", []any{"a", "b", "c"}, ""},
		{"split", "", "a,,b,", []any{"a", "b"}, ""},
		{"split", "", "single", []any{"single"}, ""},
		{"split", "", "", []any(nil), ""},
		{"split", "", " , ", []any(nil), ""},
		{"split", ";", "admin; editor ;viewer", []any{"admin", "editor", "viewer"}, ""},
		{"split", ";", "a,b;c", []any{"a,b", "c"}, ""},
		{"split", "|", "x|y", []any{"x", "y"}, ""},
		{"split", " ", "x  y z", []any{"x", "y", "z"}, ""},
		{"split", "", `["admin","editor"]`, []any{"admin", "editor"}, ""},
		{"split", ";", ` ["a;b", "c"] `, []any{"a;b", "c"}, ""},
		{"split", "", `[]`, []any{}, ""},
		{"split", "", `{"a":1}`, []any{`{"a":1}`}, ""}, // an object is not a list: split as text
		{"split", "", `[broken`, []any{"[broken"}, ""},
		{"split", "", `["a"]]`, []any{`["a"]]`}, ""},
		{"split", "", []any{"x", "y"}, []any{"x", "y"}, ""},
		{"split", "", json.Number("7"), json.Number("7"), ""},
		{"split", "", nil, nil, ""},
		{"first", "", []any{"a", "b"}, "a", ""},
		{"first", "", []any{}, nil, ""},
		{"first", "", "a", "a", ""},
		{"first", "", nil, nil, ""},
	})
}

func TestTransformDate(t *testing.T) {
	p := transformPlan(t, "")
	runTransformCases(t, p, []transformCase{
		{"date", "", "1990-05-17", "1990-05-17", ""},
		{"date", "", " 1990-05-17 ", "1990-05-17", ""},
		{"date", "", "1990/05/17", "1990-05-17", ""},
		{"date", "", "19900517", "1990-05-17", ""},
		{"date", "", "1990-5-7", "1990-05-07", ""},
		{"date", "", "--01-02", "--01-02", ""},
		{"date", "", "1990", "1990", ""},
		{"date", "", json.Number("1990"), "1990", ""},
		{"date", "", "0000-01-02", "0000-01-02", ""},
		{"date", "", "1990-05-17T10:20:30Z", "1990-05-17", ""},
		{"date", "", "1990-05-17T00:00:00+08:00", "1990-05-17", ""}, // the date as written, not shifted to UTC
		{"date", "", "1990-05-17 23:30:00-05", "1990-05-17", ""},
		{"date", "", "643507200", "1990-05-24", ""},    // epoch seconds
		{"date", "", "643507200000", "1990-05-24", ""}, // epoch milliseconds
		{"date", "02/01/2006", "17/05/1990", "1990-05-17", ""},
		{"date", "01/02/2006", "05/17/1990", "1990-05-17", ""},
		{"date", "Jan 2, 2006", "May 17, 1990", "1990-05-17", ""},
		{"date", "02/01/2006", "1990-05-17", nil, "does not match the date layout"},
		{"date", "", "17/05/1990", nil, "is not a date"},
		{"date", "", "1990-13-45", nil, "is not a date"},
		{"date", "", "yesterday", nil, "is not a date"},
		{"date", "", "", nil, ""},
		{"date", "", nil, nil, ""},
	})
}

func TestTransformTimestamp(t *testing.T) {
	p := transformPlan(t, "")
	const want = "2022-10-06T03:59:21Z"
	runTransformCases(t, p, []transformCase{
		{"timestamp", "", "1665028761", want, ""},
		{"timestamp", "", json.Number("1665028761"), want, ""},
		{"timestamp", "", "1665028761000", want, ""},
		{"timestamp", "", "1665028761000000", want, ""},
		{"timestamp", "", "1665028761000000000", want, ""},
		{"timestamp", "", "1665028761.75", want, ""},
		{"timestamp", "", "2022-10-06 03:59:21.000000+00", want, ""},
		{"timestamp", "", "2022-10-06 03:59:21.123456+00", want, ""},
		{"timestamp", "", "2022-10-06 11:59:21+08", want, ""},
		{"timestamp", "", "2022-10-06 03:59:21+00:00", want, ""},
		{"timestamp", "", "2022-10-06 03:59:21", want, ""},
		{"timestamp", "", "2022-10-06T03:59:21Z", want, ""},
		{"timestamp", "", "2022-10-06T03:59:21.999Z", want, ""},
		{"timestamp", "", "2022-10-06T11:59:21+08:00", want, ""},
		{"timestamp", "", "2022-10-05T23:59:21-04:00", want, ""},
		{"timestamp", "", "2022-10-06T03:59:21+0000", want, ""},
		{"timestamp", "", "2022-10-06T03:59:21", want, ""},
		{"timestamp", "", "Thu, 06 Oct 2022 03:59:21 +0000", want, ""},
		{"timestamp", "", "Thu, 06 Oct 2022 03:59:21 UTC", want, ""},
		{"timestamp", "", "Thu Oct 06 2022 11:59:21 GMT+0800", want, ""},
		{"timestamp", "", map[string]any{"$date": "2022-10-06T03:59:21Z"}, want, ""},
		{"timestamp", "", map[string]any{"$date": json.Number("1665028761000")}, want, ""},
		{"timestamp", "", "2022-10-06", "2022-10-06T00:00:00Z", ""},
		{"timestamp", "", "0", "1970-01-01T00:00:00Z", ""},
		{"timestamp", "", "-86400", "1969-12-31T00:00:00Z", ""},
		{"timestamp", "unix", "1665028761000", nil, "out of range"},
		{"timestamp", "", "1e300", nil, "out of range"},
		{"timestamp", "", "-1e300", nil, "out of range"},
		{"timestamp", "unix", "253402300799", "9999-12-31T23:59:59Z", ""},
		{"timestamp", "", "253402300799", "1978-01-11T21:31:40Z", ""}, // 12 digits: milliseconds
		{"timestamp", "", "-62167219200", "0000-01-01T00:00:00Z", ""},
		{"timestamp", "unix", "1665028761", want, ""},
		{"timestamp", "unix_ms", "1665028761000", want, ""},
		{"timestamp", "unix_us", "1665028761000000", want, ""},
		{"timestamp", "unix_ms", "soon", nil, "is not a number of unix_ms"},
		{"timestamp", "02/01/2006 15:04", "06/10/2022 03:59", "2022-10-06T03:59:00Z", ""},
		{"timestamp", "02/01/2006 15:04", "2022-10-06", nil, "does not match the layout"},
		{"timestamp", "", "NaN", nil, "not a date-time"},
		{"timestamp", "", "Inf", nil, "not a date-time"},
		{"timestamp", "", "soon", nil, "not a date-time"},
		{"timestamp", "", "", nil, ""},
		{"timestamp", "", "  ", nil, ""},
		{"timestamp", "", nil, nil, ""},
	})
	// Every output is RFC 3339 that Authgear accepts, or an error.
	for _, in := range []string{"1665028761000", "99999999999999999999", "1e300", "-1e300", "253402300800", "-62135596801"} {
		for _, arg := range []string{"", "unix"} {
			got, err := runTransform(p, "timestamp", arg, in)
			if err != nil {
				continue
			}
			if s, _ := got.(string); checkDateTime(s) != nil {
				t.Errorf("timestamp:%s(%q) = %q, which is not RFC 3339 (the record would fail later with a confusing message)", arg, in, got)
			}
		}
	}
}

func TestTransformJSONAndDefault(t *testing.T) {
	p := transformPlan(t, "")
	runTransformCases(t, p, []transformCase{
		{"json", "", `{"a": 1, "b": [true, null]}`, map[string]any{"a": json.Number("1"), "b": []any{true, nil}}, ""},
		{"json", "", ` ["x"] `, []any{"x"}, ""},
		{"json", "", `"text"`, "text", ""},
		{"json", "", `12.5`, json.Number("12.5"), ""},
		{"json", "", `{"a":`, nil, "is not JSON"},
		{"json", "", `{} {}`, nil, "more than one value"},
		{"json", "", `{"a":1}}`, nil, "more than one value"},
		{"json", "", `[1]] `, nil, "more than one value"},
		{"json", "", " [1] \n", []any{json.Number("1")}, ""},
		{"json", "", `not json`, nil, "is not JSON"},
		{"json", "", "", "", ""},
		{"json", "", nil, nil, ""},
		{"json", "", []any{"x"}, []any{"x"}, ""},
		{"default", "basic", "", "basic", ""},
		{"default", "basic", "  ", "basic", ""},
		{"default", "basic", nil, "basic", ""},
		{"default", "basic", []any{}, "basic", ""},
		{"default", "basic", "pro", "pro", ""},
		{"default", "basic", false, false, ""},
		{"default", "basic", json.Number("0"), json.Number("0"), ""},
	})
}

// applyRows maps rows of a CSV with m and returns the prepared records.
func applyCSV(t testing.TB, m *Mapping, data string) []*Prepared {
	t.Helper()
	src := sourceOf(t, "in.csv", data, SourceOptions{})
	plan := planFor(t, m, src.Columns(), true)
	rows, err := drain(t, src)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*Prepared, len(rows))
	for i, r := range rows {
		out[i] = plan.Apply(r)
	}
	return out
}

func TestTransformContains(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email", T("trim"), T("lowercase"))
	m.Set("email_verified", "verified", TA("contains", "email"))
	data := "email,verified\n" +
		"a@x.io,\"a@x.io,b@x.io\"\n" + // listed
		"A@X.IO ,\"[\"\"b@x.io\"\", \"\" a@x.io \"\"]\"\n" + // JSON list, case and space differ
		"c@x.io,b@x.io\n" + // not listed
		"d@x.io,\n" + // empty list
		",d@x.io\n" // no email: the other value is absent
	got := applyCSV(t, m, data)
	want := []*bool{ptr(true), ptr(true), ptr(false), ptr(false), ptr(false)}
	for i, p := range got {
		if !reflect.DeepEqual(p.Record.EmailVerified, want[i]) {
			t.Errorf("row %d: email_verified %v, want %v (%s)", i+1, deref(p.Record.EmailVerified), deref(want[i]), p.Reason())
		}
	}
	// The contains argument must name a column.
	m.Set("email_verified", "verified", TA("contains", "emial"))
	if _, err := Compile(m, []string{"email", "verified"}, true); err == nil || !strings.Contains(err.Error(), `"emial"`) {
		t.Errorf("contains with an unknown column: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestApplyEmptyIsAbsent: an empty, blank or null value never reaches the
// record, whatever the field, and transforms see it as absent.
func TestApplyEmptyIsAbsent(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	keys := []string{"name", "given_name", "family_name", "middle_name", "nickname", "gender", "profile", "picture", "website", "birthdate", "zoneinfo", "locale",
		"address.formatted", "address.street_address", "address.locality", "address.region", "address.postal_code", "address.country",
		"phone_number", "preferred_username", "email_verified", "phone_number_verified", "disabled", "account_valid_from", "account_valid_until",
		"roles", "groups", "password.password_hash", "password.expire_after", "mfa.email", "mfa.phone_number", "mfa.password.password_hash", "mfa.totp.secret", "custom_attributes.tier"}
	for _, k := range keys {
		m.Set(k, "v")
	}
	m.Set("custom_attributes.plan", "v", T("trim"))
	m.Set("custom_attributes.seen", "v", T("present"))
	m.Set("disabled", "v", T("bool"))
	m.Set("account_valid_from", "v", T("timestamp"))
	m.Set("birthdate", "v", T("date"))
	m.Set("locale", "v", T("locale"))
	m.Set("phone_number", "v", T("phone"))
	m.Set("roles", "v", T("split"))
	m.Set("groups", "v", T("json"))
	m.Set("nickname", "v", T("first"))
	for _, cell := range []string{"", " ", "\t", `""`} {
		got := applyCSV(t, m, "email,v\na@x.io,"+cell+"\n")[0]
		if !got.Valid() {
			t.Errorf("cell %q: invalid: %s", cell, got.Reason())
			continue
		}
		b, _ := got.Record.AppendJSON(nil)
		want := `{"email":"a@x.io","custom_attributes":{"seen":false}}`
		if string(b) != want {
			t.Errorf("cell %q: record %s, want %s", cell, b, want)
		}
	}
	// JSON null and missing keys too.
	src := sourceOf(t, "in.ndjson", `{"email":"a@x.io","v":null}`+"\n"+`{"email":"b@x.io"}`+"\n"+`{"email":"c@x.io","v":[]}`+"\n", SourceOptions{})
	plan := planFor(t, m, src.Columns(), false)
	rows, _ := drain(t, src)
	for i, r := range rows {
		got := plan.Apply(r)
		b, _ := got.Record.AppendJSON(nil)
		if !got.Valid() || strings.Contains(string(b), `"name"`) || strings.Contains(string(b), `""`) || strings.Contains(string(b), "null") {
			t.Errorf("JSON row %d: %s %s", i+1, b, got.Reason())
		}
	}
}

func TestApplyTransformChains(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "Email", T("trim"), T("lowercase"))
	m.Set("disabled", "Active", T("bool"), T("not"))
	m.Set("email_verified", "Confirmed", T("present"))
	m.Set("roles", "Roles", TA("split", ";"), T("lowercase"))
	m.Set("given_name", "Names", TA("split", " "), T("first"))
	m.Set("custom_attributes.plan", "Plan", TA("default", "free"), T("uppercase"))
	m.Set("account_valid_until", "Banned", T("timestamp"))
	m.Set("phone_number", "Phone", TA("strip_prefix", "'"), TA("phone", "HK"))
	data := "Email,Active,Confirmed,Roles,Names,Plan,Banned,Phone\n" +
		" Ann@Example.COM ,yes,2020-01-01,Admin; Editor,Ann Lee,,1665028761000,'9876 5433\n" +
		"bob@example.com,0,,,,pro,,\n"
	got := applyCSV(t, m, data)
	r := got[0].Record
	if !got[0].Valid() {
		t.Fatal(got[0].Reason())
	}
	if *r.Email != "ann@example.com" || *r.Disabled != false || *r.EmailVerified != true || !reflect.DeepEqual(r.Roles, []string{"admin", "editor"}) ||
		*r.GivenName != "Ann" || r.CustomAttributes["plan"] != "FREE" || *r.AccountValidUntil != "2022-10-06T03:59:21Z" || *r.PhoneNumber != "+85298765433" {
		b, _ := r.AppendJSON(nil)
		t.Errorf("row 1: %s", b)
	}
	r = got[1].Record
	if !got[1].Valid() || *r.Disabled != true || *r.EmailVerified != false || r.Roles != nil || r.GivenName != nil || r.CustomAttributes["plan"] != "PRO" || r.PhoneNumber != nil {
		b, _ := r.AppendJSON(nil)
		t.Errorf("row 2: %s %s", b, got[1].Reason())
	}
	// A transform error names the field and stops that field only.
	got = applyCSV(t, m, "Email,Active,Confirmed,Roles,Names,Plan,Banned,Phone\nc@x.io,perhaps,,,,,soon,\n")
	if got[0].Valid() || len(got[0].Problems) != 2 {
		t.Fatalf("problems %+v", got[0].Problems)
	}
	if p := got[0].Problems[0]; p.Field != "disabled" || p.Message != `disabled "perhaps" is not a boolean (true/false, yes/no, 1/0)` {
		t.Errorf("problem %+v", p)
	}
	if p := got[0].Problems[1]; p.Field != "account_valid_until" || !strings.HasPrefix(p.Message, "account_valid_until ") {
		t.Errorf("problem %+v", p)
	}
	if got[0].Record == nil || *got[0].Record.Email != "c@x.io" {
		t.Error("the other fields are still mapped")
	}
}

func TestApplyConstantsAndRejectIf(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Fields["email_verified"] = &FieldSpec{Value: true}
	m.Fields["custom_attributes.source"] = &FieldSpec{Value: "legacy"}
	m.Fields["custom_attributes.level"] = &FieldSpec{Value: 3}
	m.Fields["roles"] = &FieldSpec{Value: []any{"member", 7}}
	m.RejectIf = []Condition{{From: "deleted_at", Present: true, Reason: "deleted in the old system"}, {From: "email", Present: false}}
	got := applyCSV(t, m, "email,deleted_at\na@x.io,\nb@x.io,2020-01-01\nc@x.io,null\n,\n")
	r := got[0].Record
	if !got[0].Valid() || *r.EmailVerified != true || r.CustomAttributes["source"] != "legacy" || r.CustomAttributes["level"] != json.Number("3") || !reflect.DeepEqual(r.Roles, []string{"member", "7"}) {
		b, _ := r.AppendJSON(nil)
		t.Errorf("constants: %s %s", b, got[0].Reason())
	}
	if got[1].Valid() || got[1].Reason() != "deleted in the old system" {
		t.Errorf("reject_if: %q", got[1].Reason())
	}
	if !got[2].Valid() {
		t.Errorf("reject_if with the text null: %q", got[2].Reason())
	}
	if got[3].Valid() || !strings.HasPrefix(got[3].Reason(), "identifier (email) is empty; ") {
		t.Errorf("no email: %q", got[3].Reason())
	}
}

func TestRejectIfDefaultReason(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.RejectIf = []Condition{{From: "last_login", Present: false}}
	got := applyCSV(t, m, "email,last_login\na@x.io,\n")[0]
	if got.Valid() {
		t.Fatal("reject_if present: false did not reject")
	}
	if got.Reason() != "last_login is empty: not migrated" {
		t.Fatalf("reason %q", got.Reason())
	}
}

// TestTransformStringForms: the string forms Plan.Apply uses on CSV cells
// give what the transforms give on the same cell in an interface.
func TestTransformStringForms(t *testing.T) {
	ctx := &applyCtx{plan: &Plan{mapping: &Mapping{}, phones: &phoneNormalizer{}}}
	cells := []string{"", " ", "  Ada  ", "\u200bX\ufeff", "'admin", "''x", "MiXeD", "true", " No ", "maybe", "1", "0",
		"+44 7911 123456", "+1 (415) 555-2671", "07911 123456", "+999", "not a phone", "ÉCOLE"}
	args := []string{"", "'", "x", "US", "GB"}
	n := 0
	for name, spec := range transforms {
		if spec.str == nil && spec.fromStr == nil {
			continue
		}
		n++
		for _, c := range cells {
			for _, arg := range args {
				want, wantErr := spec.fn(c, arg, ctx)
				var got any
				var gotErr error
				if spec.str != nil {
					got = spec.str(c, arg)
				} else {
					got, gotErr = spec.fromStr(c, arg, ctx)
				}
				if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
					t.Errorf("%s(%q, %q): string form (%#v, %v), fn (%#v, %v)", name, c, arg, got, gotErr, want, wantErr)
				}
			}
		}
	}
	if n < 6 {
		t.Fatalf("%d transforms with a string form", n)
	}
}

// TestDescribeTransform: the description a front end asks its questions
// from agrees with what the mapping's check accepts: a transform that
// takes no argument is refused with one, one that needs it without.
func TestDescribeTransform(t *testing.T) {
	for _, info := range Transforms() {
		m := NewMapping(IdentifierEmail)
		m.Set("email", "e")
		m.Set("name", "n", TA(info.Name, "x"))
		if err := m.Check(); (err == nil) != (info.Arg != "") {
			t.Errorf("%s with an argument: %v (described Arg %q)", info.Name, err, info.Arg)
		}
		m.Set("name", "n", T(info.Name))
		if err := m.Check(); (err == nil) == info.ArgRequired {
			t.Errorf("%s without an argument: %v (described ArgRequired %v)", info.Name, err, info.ArgRequired)
		}
	}
	if k, _ := DescribeTransform("key"); k.Arg == "" || k.ArgRequired {
		t.Errorf("key takes an optional table of names and keys: %+v", k)
	}
	if h, _ := DescribeTransform("hasher"); !h.ArgRequired || !h.ArgPath {
		t.Errorf("hasher: %+v", h)
	}
}
