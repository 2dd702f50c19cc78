package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// Issue 9 item 1: Django dumpdata fixtures. testdata/exports/django-dumpdata.json
// holds 26 objects: 7 of a custom user model (users.user: 6 valid, one
// with a broken email) among contenttypes, permissions, groups, Wagtail
// pages, images (with a "hash" field), form submissions (with
// form_data.your_email), allauth email addresses, a user profile and a
// session.

const djangoFixture = "django-dumpdata.json"

func TestExportDjangoFixture(t *testing.T) {
	r := mapAndPrepare(t, djangoFixture, SuggestOptions{}, nil)
	if r.m.Preset != "django" || r.m.Source.Model != "users.user" || r.m.Identifier != IdentifierEmail {
		t.Fatalf("preset %q, source.model %q, identifier %s", r.m.Preset, r.m.Source.Model, r.m.Identifier)
	}
	for key, from := range map[string]string{
		"email": "fields.email", "preferred_username": "fields.username", "disabled": "fields.is_active",
		"password.password_hash": "fields.password", "name": "fields.name", "roles": "fields",
	} {
		if f := r.m.Fields[key]; f == nil || f.From != from {
			t.Errorf("fields.%s = %+v, want from %s", key, f, from)
		}
	}
	for key, f := range r.m.Fields {
		if strings.Contains(f.From, "form_data") || strings.Contains(f.From, "hash") && key != "password.password_hash" {
			t.Errorf("fields.%s reads %s", key, f.From)
		}
	}
	if r.m.Fields["groups"] != nil {
		t.Errorf("groups given by id are mapped: %+v", r.m.Fields["groups"])
	}
	if s := r.stats; s.Total != 26 || s.Valid != 6 || s.Invalid != 1 || s.NotUsers != 19 {
		t.Fatalf("total/valid/invalid/not users = %d/%d/%d/%d, want 26/6/1/19", s.Total, s.Valid, s.Invalid, s.NotUsers)
	}
	if s := r.stats; s.PasswordsBcrypt != 1 || s.PasswordsDropped != 4 || s.PasswordsNotImportable != 5 {
		t.Errorf("passwords %+v", s)
	}
	for num, model := range map[int]string{1: "contenttypes.contenttype", 8: "auth.group", 14: "wagtailcore.page",
		16: "wagtailimages.image", 21: "wagtailforms.formsubmission", 22: "wagtailforms.formsubmission", 23: "account.emailaddress", 26: "sessions.session"} {
		p := r.rows[num]
		if p.NotUser != model || p.Reason() != "not a user: "+model || p.Record != nil || p.Valid() {
			t.Errorf("row %d: NotUser %q, reason %q, record %v", num, p.NotUser, p.Reason(), p.Record)
		}
	}
	type want struct {
		email    string
		disabled bool
		roles    []string
		bcrypt   bool
	}
	for num, w := range map[int]want{
		10: {"alice@example.com", false, []string{"staff", "superuser"}, false},
		11: {"bob@example.com", false, []string{"staff"}, true},
		12: {"carol@example.com", false, nil, false},
		13: {"dave@example.com", true, nil, false},
		18: {"erin@example.com", false, nil, false},
		19: {"frank@example.com", false, nil, false},
	} {
		p := r.rows[num]
		if !p.Valid() || p.NotUser != "" {
			t.Errorf("row %d: %q", num, p.Reason())
			continue
		}
		rec := p.Record
		if *rec.Email != w.email || (rec.Disabled != nil && *rec.Disabled) != w.disabled || !reflect.DeepEqual(rec.Roles, w.roles) || (rec.Password != nil) != w.bcrypt {
			t.Errorf("row %d: email %s disabled %v roles %v password %v", num, *rec.Email, rec.Disabled, rec.Roles, rec.Password)
		}
	}
	if p := r.rows[20]; p.Valid() || p.NotUser != "" || p.Problems[0].Code != ProblemInvalidValue {
		t.Errorf("row 20 (grace@): %+v", p.Problems)
	}
	for _, parts := range [][]string{
		{"a Django fixture (dumpdata)", "7 are objects of the user model users.user"},
		{"the other 19 objects are not users", "wagtailforms.formsubmission 2", "not a user: <model>"},
		{"roles ← is_staff=staff, is_superuser=superuser"},
		{"groups are given by their ids", "--natural-foreign"},
		{"account.emailaddress"},
		{"1 sampled users have no usable password"},
	} {
		if r.note(parts...) == "" {
			t.Errorf("no note with %q: %q", parts, r.rep.Notes)
		}
	}
	checkNotesAgreeWithMapping(t, djangoFixture, r.m, r.rep)
	// The mapping says which model is the user model, and reads back so.
	var b strings.Builder
	if err := r.m.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "model: users.user") {
		t.Errorf("the mapping does not name the user model:\n%s", b.String())
	}
	back, err := ReadMapping(strings.NewReader(b.String()), "m.yaml")
	if err != nil || back.Source.Model != "users.user" {
		t.Errorf("read back: %v, %+v", err, back)
	}
}

// The form submission is not a user, even with a mapping that reads
// form_data.your_email: source.model keeps the user model only.
func TestDjangoFixtureFormSubmissionIsNotAUser(t *testing.T) {
	r := mapAndPrepare(t, djangoFixture, SuggestOptions{}, func(m *Mapping) {
		m.Set("email", "fields.form_data.your_email", T("trim"))
		m.Identifier = IdentifierEmail
	})
	for _, num := range []int{21, 22} {
		if p := r.rows[num]; p.NotUser != "wagtailforms.formsubmission" || p.Record != nil {
			t.Errorf("row %d: %+v", num, p)
		}
	}
	if r.stats.Valid != 0 || r.stats.NotUsers != 19 {
		t.Errorf("%+v", r.stats)
	}
	// Without source.model, the mapping reads every object.
	r = mapAndPrepare(t, djangoFixture, SuggestOptions{}, func(m *Mapping) { m.Source.Model = "" })
	if r.stats.NotUsers != 0 || r.rows[21].NotUser != "" {
		t.Errorf("without source.model: %+v", r.stats)
	}
}

// Run: every object has exactly one report line, in a dry run and in the
// sandbox; the other objects are counted apart and not in the retry file.
func TestDjangoFixtureRunDryAndSandbox(t *testing.T) {
	r := mapAndPrepare(t, djangoFixture, SuggestOptions{}, nil)
	dir := t.TempDir()
	input := filepath.Join("testdata", "exports", djangoFixture)
	c := RunConfig{Mapping: r.m, MappingPath: "django.mapping.yaml", Input: input, DryRun: true, Report: filepath.Join(dir, "dry.report.csv")}
	s, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 26 || s.Valid != 6 || s.Invalid != 1 || s.NotUsers != 19 || !s.Partial() {
		t.Errorf("dry run: %+v", s.PrepareStats)
	}
	checkReportRows(t, c.Report, 26)
	checkNotUserLines(t, c.Report, 19)
	retry, err := os.ReadFile(s.Retry)
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	if err := json.Unmarshal(retry, &objs); err != nil || len(objs) != 1 || objs[0]["model"] != "users.user" {
		t.Errorf("retry file %s: %v %s", s.Retry, err, retry)
	}

	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "username"}, Roles: []string{"staff", "superuser"}})
	c.DryRun, c.Report = false, filepath.Join(dir, "live.report.csv")
	c.Target = &Destination{API: e.api, Name: "sandbox", ID: "test", Rehearsal: true}
	c.Import = e.fastOptions(false)
	s, err = Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 26 || s.Inserted != 6 || s.Invalid != 1 || s.NotUsers != 19 || s.Failed != 0 {
		t.Errorf("sandbox: %+v", s)
	}
	checkReportRows(t, c.Report, 26)
	checkNotUserLines(t, c.Report, 19)
	if n := len(e.sb.Users()); n != 6 {
		t.Errorf("the sandbox holds %d users, want 6", n)
	}
	if u, ok := e.sb.UserByLoginID("email", "alice@example.com"); !ok || !reflect.DeepEqual(u.Roles, []string{"staff", "superuser"}) {
		t.Errorf("alice: %v %+v", ok, u.Roles)
	}
	if u, ok := e.sb.UserByLoginID("email", "dave@example.com"); !ok || !u.Disabled {
		t.Errorf("dave: %v disabled %v", ok, u.Disabled)
	}
	if _, ok := e.sb.UserByLoginID("email", "visitor@example.net"); ok {
		t.Error("the form submission became a user")
	}
}

// checkNotUserLines: n lines are not_user, each with its model.
func checkNotUserLines(t *testing.T, path string, n int) {
	t.Helper()
	rows, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, r := range rows {
		if r.Outcome == OutcomeNotUser {
			got++
			if !strings.HasPrefix(r.Reason, "not a user: ") || r.Identifier != "" {
				t.Errorf("%s row %d: %q %q", path, r.Row, r.Identifier, r.Reason)
			}
		}
	}
	if got != n {
		t.Errorf("%s: %d not_user lines, want %d", path, got, n)
	}
}

// writeFixture writes a fixture of auth.user objects after `before`
// permissions (beyond the sample of 200), with groups by natural key.
func writeFixture(t *testing.T, before int, users []string) string {
	t.Helper()
	var objs []map[string]any
	for i := 1; i <= before; i++ {
		objs = append(objs, map[string]any{"model": "auth.permission", "pk": i, "fields": map[string]any{"name": fmt.Sprintf("Can do %d", i), "content_type": 1, "codename": fmt.Sprintf("do_%d", i)}})
	}
	for i, u := range users {
		objs = append(objs, map[string]any{"model": "auth.user", "pk": i + 1, "fields": map[string]any{
			"password": "bcrypt$$2b$12$1Je2du.BLC/kcYHQcO/vouT4L59PGAmtzMU5AZQL0kPxEu0kzmoBy", "last_login": nil,
			"is_superuser": false, "username": u, "first_name": strings.ToUpper(u[:1]) + u[1:], "last_name": "Test",
			"email": u + "@example.com", "is_staff": false, "is_active": true, "date_joined": "2022-01-01T00:00:00Z",
			"groups": []any{[]any{"Editors"}}, "user_permissions": []any{}}})
	}
	objs = append(objs, map[string]any{"model": "wagtailforms.formsubmission", "pk": 1, "fields": map[string]any{"form_data": map[string]any{"your_email": "x@example.org"}, "page": 3}})
	b, err := json.Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dump.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The users come after the first 200 objects (dumpdata writes
// permissions first): the preset reads on to find the user model; groups
// given by name are mapped; the other objects do not make the run partial.
func TestDjangoFixtureUsersBeyondSample(t *testing.T) {
	path := writeFixture(t, 250, []string{"ann", "ben", "cat"})
	src, err := Open(path, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, rep, err := SuggestMapping(src, SuggestOptions{})
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	if m.Preset != "django" || m.Source.Model != "auth.user" {
		t.Fatalf("preset %q, model %q", m.Preset, m.Source.Model)
	}
	if f := m.Fields["groups"]; f == nil || f.From != "fields.groups" {
		t.Errorf("groups: %+v (notes %q)", f, rep.Notes)
	}
	if m.Fields["roles"] != nil {
		t.Errorf("roles mapped though no user is staff: %+v", m.Fields["roles"])
	}
	if m.Fields["given_name"] == nil || m.Fields["family_name"] == nil {
		t.Errorf("names: %+v", m.Fields)
	}
	report := filepath.Join(t.TempDir(), "r.csv")
	s, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: "m.yaml", Input: path, DryRun: true, Report: report})
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 254 || s.Valid != 3 || s.Invalid != 0 || s.NotUsers != 251 || s.Partial() || s.Retry != "" {
		t.Errorf("%+v, retry %q", s.PrepareStats, s.Retry)
	}
	checkReportRows(t, report, 254)
	var groups []string
	_, err = Run(context.Background(), RunConfig{Mapping: m, MappingPath: "m.yaml", Input: path, DryRun: true,
		Report: filepath.Join(t.TempDir(), "r2.csv"), Inspect: func(p *Prepared) {
			if p.Valid() {
				groups = append(groups, p.Record.Groups...)
			}
		}})
	if err != nil || !reflect.DeepEqual(groups, []string{"Editors", "Editors", "Editors"}) {
		t.Errorf("groups %v, %v", groups, err)
	}
}

// A fixture with no user model is refused with the models it holds.
func TestDjangoFixtureWithoutUsers(t *testing.T) {
	path := writeFixture(t, 5, nil)
	src, err := Open(path, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if p, _ := DetectPreset(src); p.Name != "django" {
		t.Errorf("detected %s", p.Name)
	}
	_, _, err = SuggestMapping(src, SuggestOptions{})
	if err == nil || !strings.Contains(err.Error(), "no user model") || !strings.Contains(err.Error(), "auth.permission 5") {
		t.Errorf("err = %v", err)
	}
}

func TestSourceModelNeedsJSON(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Source.Model = "auth.user"
	if _, err := Compile(m, []string{"email"}, true); err == nil || !strings.Contains(err.Error(), "source.model") {
		t.Errorf("CSV with source.model: %v", err)
	}
	m.Source.Format = FormatCSV
	if err := m.Check(); err == nil || !strings.Contains(err.Error(), "source.model") {
		t.Errorf("Check: %v", err)
	}
}

func TestTrueKeys(t *testing.T) {
	obj := map[string]any{"is_staff": true, "is_superuser": "false", "x": json.Number("1")}
	for _, c := range []struct {
		v    any
		arg  string
		want any
		err  bool
	}{
		{obj, "is_staff=staff,is_superuser=superuser", []any{"staff"}, false},
		{obj, "is_staff, x", []any{"is_staff", "x"}, false},
		{obj, "is_superuser", nil, false},
		{obj, "missing", nil, false},
		{nil, "is_staff", nil, false},
		{"text", "is_staff", nil, true},
		{map[string]any{"is_staff": "maybe"}, "is_staff", nil, true},
	} {
		got, err := tTrueKeys(c.v, c.arg, nil)
		if (err != nil) != c.err || !reflect.DeepEqual(got, c.want) {
			t.Errorf("true_keys(%v, %q) = %v, %v; want %v (error %t)", c.v, c.arg, got, err, c.want, c.err)
		}
	}
}
