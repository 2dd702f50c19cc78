package importer

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// TestVerifyAfterImport imports the example into a sandbox, verifies every
// user (no difference), then changes three fields of one user and one of
// another behind the migration's back: verify finds exactly those.
func TestVerifyAfterImport(t *testing.T) {
	e := startLive(t, sandbox.Options{Roles: []string{"*"}, LoginIDTypes: []string{"email", "phone"}, CustomAttributes: []string{"member_id"}})
	c, dir := exampleRun(t)
	c.Target = &Destination{API: e.api, Name: "sandbox", ID: "sandbox test"}
	c.Import = e.fastOptions(false)
	s, err := Run(context.Background(), c)
	if err != nil && s.Inserted == 0 {
		t.Fatal(err)
	}
	vc := VerifyConfig{Mapping: c.Mapping, Input: c.Input, Report: c.Report, API: e.api, All: true}
	v, err := Verify(context.Background(), vc)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(v.Out); v.Differ != 0 {
		t.Logf("%s", b)
	}
	if v.Checked != s.Inserted || v.Checked == 0 || v.Differ != 0 || v.Matched != v.Checked {
		t.Fatalf("verify: %+v, %d inserted", v, s.Inserted)
	}
	if fi, err := os.Stat(v.Out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("verify report %s: %v %v", v.Out, fi, err)
	}

	rows, _ := ReadReport(c.Report)
	var ids []string
	var rowOf = map[string]int{}
	for _, r := range rows {
		if r.Outcome == OutcomeInserted {
			ids = append(ids, r.UserID)
			rowOf[r.UserID] = r.Row
		}
	}
	if err := e.sb.EditUser(ids[0], func(u sandbox.User) sandbox.User {
		u.StandardAttributes["given_name"] = "Changed"
		u.Roles = []string{"other"}
		u.Disabled = true
		return u
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.EditUser(ids[1], func(u sandbox.User) sandbox.User { u.PasswordHash = ""; return u }); err != nil {
		t.Fatal(err)
	}
	vc.Out = filepath.Join(dir, "second.verify.csv")
	v, err = Verify(context.Background(), vc)
	if err != nil {
		t.Fatal(err)
	}
	if v.Differ != 2 || v.Matched != v.Checked-2 {
		t.Fatalf("after edits: %+v", v)
	}
	b, _ := os.ReadFile(v.Out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var fields []string
	for _, l := range lines[1:] {
		parts := strings.Split(l, ",")
		fields = append(fields, parts[0]+":"+parts[2])
	}
	want := []string{
		itoa(rowOf[ids[0]]) + ":standard_attributes.given_name",
		itoa(rowOf[ids[0]]) + ":disabled",
		itoa(rowOf[ids[0]]) + ":roles",
		itoa(rowOf[ids[1]]) + ":password",
	}
	if strings.Join(fields, " ") != strings.Join(want, " ") {
		t.Fatalf("differences %v, want %v\n%s", fields, want, b)
	}

	// A sample of 3 with a seed is the same 3 each time.
	vc.All, vc.Sample, vc.Seed = false, 3, 42
	a, _ := Verify(context.Background(), vc)
	b1, _ := os.ReadFile(a.Out)
	a2, _ := Verify(context.Background(), vc)
	b2, _ := os.ReadFile(a2.Out)
	if a.Checked != 3 || string(b1) != string(b2) {
		t.Fatalf("sample: %+v / %+v", a, a2)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestCompareUserTable(t *testing.T) {
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }
	base := &adminapi.User{
		StandardAttributes: map[string]any{"given_name": "Ada", "email_verified": true},
		LoginIDs:           []adminapi.LoginID{{Key: "email", Value: "ada@example.com"}},
		Roles:              []string{"a", "b"},
		CustomAttributes:   map[string]any{"n": float64(3)},
		Authenticators:     []adminapi.Authenticator{{Type: "PASSWORD", Kind: "PRIMARY"}},
	}
	for _, tc := range []struct {
		name    string
		rec     Record
		updated bool
		want    string
	}{
		{"same", Record{Email: s("ADA@example.com"), GivenName: s("Ada"), EmailVerified: b(true), Roles: []string{"b", "a"}, CustomAttributes: map[string]any{"n": 3}, Password: &Password{Type: "bcrypt"}}, false, ""},
		{"name", Record{GivenName: s("Bob")}, false, "standard_attributes.given_name"},
		{"login id", Record{Email: s("bob@example.com")}, false, "login_id.email"},
		{"verified false on insert has no effect", Record{Email: s("ada@example.com"), EmailVerified: b(false)}, false, ""},
		{"verified false on upsert removes", Record{Email: s("ada@example.com"), EmailVerified: b(false)}, true, "email_verified"},
		{"roles", Record{Roles: []string{"a"}}, false, "roles"},
		{"custom", Record{CustomAttributes: map[string]any{"n": 4}}, false, "custom_attributes.n"},
		{"disabled", Record{Disabled: b(true)}, false, "disabled"},
		{"password ignored on upsert", Record{Password: &Password{Type: "bcrypt"}}, true, ""},
	} {
		var got []string
		for _, d := range CompareUser(&tc.rec, base, tc.updated) {
			got = append(got, d.Field)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, got, tc.want)
		}
	}
	noPw := *base
	noPw.Authenticators = nil
	if d := CompareUser(&Record{Password: &Password{Type: "bcrypt"}}, &noPw, false); len(d) != 1 || d[0].Field != "password" {
		t.Errorf("no password: %v", d)
	}
}
