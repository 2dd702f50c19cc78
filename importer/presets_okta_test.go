package importer

import (
	"slices"
	"strings"
	"testing"
)

// TestOktaUsersCSV: Okta's users CSV is the okta preset and no other
// preset is sure of it; SUSPENDED and DEPROVISIONED users are imported
// disabled, the login is the username only when it is not the email,
// and the notes say that Okta exports no passwords (issue 18 item 8).
func TestOktaUsersCSV(t *testing.T) {
	const name = "okta-users.csv"
	if over := detectedOver(t, name); len(over) != 1 || !strings.HasPrefix(over[0], "okta=") {
		t.Errorf("presets over the threshold %v, want okta alone", over)
	}
	r := mapAndPrepare(t, name, SuggestOptions{}, nil)
	if r.m.Preset != "okta" {
		t.Fatalf("preset %q, want okta", r.m.Preset)
	}
	wantFields(t, r.m, map[string]string{
		"email":                  "Primary email",
		"given_name":             "First name",
		"family_name":            "Last name",
		"phone_number":           "Mobile phone",
		"disabled":               "Status",
		"preferred_username":     "Username",
		"password.password_hash": "",
	})
	if r.stats.Valid != 6 || r.stats.Invalid != 0 {
		t.Fatalf("valid %d invalid %d, want 6 and 0", r.stats.Valid, r.stats.Invalid)
	}
	want := map[int]map[string]string{
		1: {"email": `"amara.okafor@example.com"`, "disabled": "", "preferred_username": "", "given_name": `"Amara"`},
		2: {"email": `"boris@example.org"`, "disabled": "true", "preferred_username": `"bvolkov"`},
		3: {"email": `"chioma@example.net"`, "disabled": "true", "preferred_username": ""},
		4: {"email": `"dana.kim@example.com"`, "disabled": "", "phone_number": ""},
		5: {"email": `"eun-ji@example.com"`, "disabled": ""},
		6: {"email": `"fatima@example.com"`, "disabled": "", "preferred_username": `"fatima.r"`, "phone_number": `"+819012345678"`},
	}
	for row, fields := range want {
		for k, v := range fields {
			if got := FieldValue(r.rows[row], k); got != v {
				t.Errorf("row %d: %s = %s, want %s", row, k, got, v)
			}
		}
		if p := r.rows[row]; p.Record.Password != nil {
			t.Errorf("row %d has a password", row)
		}
	}
	for _, parts := range [][]string{
		{"Okta never exports password hashes", "imported without a password", RollingMigrationGuide},
		{"Status SUSPENDED: 1 of the 6 sampled users", "disabled"},
		{"Status DEPROVISIONED: 1 of the 6", "disabled"},
		{"Status STAGED: 1 of the 6", "never activated"},
		{"Status LOCKED_OUT: 1 of the 6"},
		{"Status PASSWORD_EXPIRED: 1 of the 6", "forgot-password"},
		{"4 of the 6 sampled logins in Username are email addresses", "without a username"},
		{"1 of the 6 sampled users has a secondary email"},
		{"not carried over: MFA factors"},
	} {
		if r.note(parts...) == "" {
			t.Errorf("no note with %q in %q", parts, r.rep.Notes)
		}
	}
	if n := r.note("Status ACTIVE"); n != "" {
		t.Errorf("ACTIVE users need no note: %q", n)
	}
	if got := r.m.SourceIDPath(); got != "User Id" {
		t.Errorf("source.id %q, want User Id", got)
	}
	for _, u := range []string{"Secondary email", "Created", "Last login"} {
		if !slices.Contains(r.rep.Unmapped, u) {
			t.Errorf("%q not listed as not mapped: %q", u, r.rep.Unmapped)
		}
	}
}

// TestOktaLoginIsEmail: when every login is the email, no username is
// imported, and a file with only the login (no Primary email column)
// takes it as the email.
func TestOktaLoginIsEmail(t *testing.T) {
	src, err := NewSource(strings.NewReader("Username,First name,Last name,Status\nann@example.com,Ann,Lee,ACTIVE\nbo@example.com,Bo,Ng,DEPROVISIONED\n"), "okta.csv", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m, rep, err := SuggestMapping(src, SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Preset != "okta" {
		t.Fatalf("preset %q, want okta (notes %q)", m.Preset, rep.Notes)
	}
	if f := m.Fields["email"]; f == nil || f.From != "Username" {
		t.Errorf("email ← %+v, want Username", f)
	}
	if f := m.Fields["preferred_username"]; f != nil {
		t.Errorf("preferred_username ← %s, want it not mapped (the login is the email)", f.From)
	}
	if f := m.Fields["disabled"]; f == nil || f.From != "Status" {
		t.Errorf("disabled ← %+v, want Status", f)
	}
}

// TestTransformOneOf: one_of is true for the listed words in any case,
// false for others, absent for empty.
func TestTransformOneOf(t *testing.T) {
	for in, want := range map[any]any{"SUSPENDED": true, " deprovisioned ": true, "ACTIVE": false, "": nil} {
		got, err := tOneOf(in, "SUSPENDED, DEPROVISIONED", nil)
		if err != nil || got != want {
			t.Errorf("one_of(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := tOneOf(true, "x", nil); err == nil {
		t.Error("one_of of a boolean: no error")
	}
}
