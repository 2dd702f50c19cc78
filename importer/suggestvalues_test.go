package importer

import (
	"slices"
	"testing"
)

// Tests of suggestions that judge values, not only names (issue 18 item 1).

func TestExportValuesThatDoNotFitTheirNames(t *testing.T) {
	r := mapAndPrepare(t, "values-not-names.csv", SuggestOptions{Preset: "generic"}, nil)
	if f := r.m.Fields["preferred_username"]; f != nil {
		t.Errorf("preferred_username ← %+v: UUIDs, email addresses and timestamps are no usernames", f)
	}
	for field, from := range map[string]string{"email": "email", "given_name": "first_name", "picture": "Homepage", "address.formatted": "Address"} {
		if f := r.m.Fields[field]; f == nil || f.From != from {
			t.Errorf("%s ← %+v, want %s", field, f, from)
		}
	}
	for _, field := range []string{"website", "profile", "address.street_address"} {
		if f := r.m.Fields[field]; f != nil {
			t.Errorf("%s ← %+v", field, f)
		}
	}
	for _, col := range []string{"Username", "login", "lastLogin", "firstUserRole", "Address2"} {
		if !slices.Contains(r.rep.Unmapped, col) {
			t.Errorf("%q not listed as not mapped: %q", col, r.rep.Unmapped)
		}
	}
	for _, n := range [][]string{
		{`"Username" is not mapped as preferred_username`, "generated ids"},
		{`"login" is not mapped as preferred_username`, "email addresses"},
		{`"lastLogin" is not mapped as preferred_username`, "timestamps"},
		{`"firstUserRole" is not mapped as given_name`, "true/false"},
		{`"Address2" is not mapped as address.formatted`, "one line of an address"},
	} {
		if r.note(n...) == "" {
			t.Errorf("no note with %q in %q", n, r.rep.Notes)
		}
	}
	if r.stats.Valid != 3 {
		t.Errorf("valid %d", r.stats.Valid)
	}
	if got := FieldValue(r.rows[2], "picture"); got != `"https://cdn.example.com/u/bo.jpg"` {
		t.Errorf("row 2 picture %s", got)
	}
}

func TestExportObjectIDsAndEmailLogins(t *testing.T) {
	r := mapAndPrepare(t, "mongo-objectid-logins.json", SuggestOptions{Preset: "generic"}, nil)
	if f := r.m.Fields["preferred_username"]; f != nil {
		t.Errorf("preferred_username ← %+v", f)
	}
	// A login column of email addresses is the email when there is no other.
	if f := r.m.Fields["email"]; f == nil || f.From != "user_login" {
		t.Errorf("email ← %+v", f)
	}
	if r.note(`"username" is not mapped as preferred_username`, "generated ids") == "" || r.note(`"lastLogin"`, "timestamps") == "" {
		t.Errorf("notes %q", r.rep.Notes)
	}
	if r.stats.Valid != 2 {
		t.Errorf("valid %d", r.stats.Valid)
	}
}
