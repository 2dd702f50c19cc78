package importer

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// Presets for JSON exports of common systems (issue 18 item 8).

// detectedOver lists the presets whose detection score on the fixture
// testdata/exports/name reaches the threshold, with their scores.
func detectedOver(t *testing.T, name string) []string {
	t.Helper()
	src, err := Open(filepath.Join("testdata", "exports", name), SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var over []string
	for _, p := range Presets() {
		if p.Detect == nil {
			continue
		}
		if s := p.Detect(src); s >= MinDetectScore {
			over = append(over, fmt.Sprintf("%s=%d", p.Name, s))
		}
	}
	return over
}

// TestCognitoListUsersDetected: the Users[] of `aws cognito-idp
// list-users` is the cognito preset, not generic, and no other preset is
// sure of it (as TestDetectionSeparates asks of every fixture).
func TestCognitoListUsersDetected(t *testing.T) {
	for _, name := range []string{"cognito-list-users.json", "cognito-list-users-pages.json"} {
		over := detectedOver(t, name)
		if len(over) != 1 || over[0][:len("cognito=")] != "cognito=" {
			t.Errorf("%s: presets over the threshold %v, want cognito alone", name, over)
		}
		m, _ := suggestFile(t, filepath.Join("testdata", "exports", name), SuggestOptions{})
		if m.Preset != "cognito" {
			t.Errorf("%s: preset %q, want cognito", name, m.Preset)
		}
	}
	// Other JSON fixtures do not become Cognito: a file with an
	// Attributes list of name/value pairs but none of Cognito's own keys
	// (UserStatus, UserCreateDate) stays below the threshold.
	for _, name := range []string{"wordpress-meta.json", "key-value-profile.ndjson", "phone-in-second-element.json", "keycloak-realm-arrays.json", "org-users.json", "fusionauth-bcrypt-split.json"} {
		for _, o := range detectedOver(t, name) {
			if o[:len("cognito=")] == "cognito=" {
				t.Errorf("%s: taken for Cognito (%s)", name, o)
			}
		}
	}
}

// TestCognitoListUsersOutcomes pins what the cognito preset makes of a
// list-users page: attributes by name wherever they stand, Enabled:
// false as disabled, the statuses and the missing passwords said.
func TestCognitoListUsersOutcomes(t *testing.T) {
	const name = "cognito-list-users-pages.json"
	r := mapAndPrepare(t, name, SuggestOptions{}, nil)
	if r.m.Preset != "cognito" {
		t.Fatalf("preset %q, want cognito", r.m.Preset)
	}
	wantFields(t, r.m, map[string]string{
		"email":                     "Attributes[Name=email].Value",
		"email_verified":            "Attributes[Name=email_verified].Value",
		"phone_number":              "Attributes[Name=phone_number].Value",
		"phone_number_verified":     "Attributes[Name=phone_number_verified].Value",
		"name":                      "Attributes[Name=name].Value",
		"given_name":                "Attributes[Name=given_name].Value",
		"family_name":               "Attributes[Name=family_name].Value",
		"disabled":                  "Enabled",
		"custom_attributes.tier":    "Attributes[Name=custom:tier].Value",
		"preferred_username":        "",
		"password.password_hash":    "",
		"birthdate":                 "",
		"address.formatted":         "",
		"mfa.phone_number":          "Attributes[Name=phone_number].Value",
		"custom_attributes.sub":     "",
		"custom_attributes.Enabled": "",
	})
	if r.stats.Valid != 5 || r.stats.Invalid != 0 {
		t.Fatalf("valid %d invalid %d, want 5 and 0", r.stats.Valid, r.stats.Invalid)
	}
	want := map[int]map[string]string{
		1: {"email": `"amara.okafor@example.com"`, "email_verified": "true", "name": `"Amara Okafor"`, "family_name": `"Okafor"`, "disabled": "", "phone_number": ""},
		2: {"email": `"baz@example.org"`, "email_verified": "", "phone_number": `"+14155552671"`, "phone_number_verified": "true", "mfa.phone_number": `"+14155552671"`},
		3: {"email": `"chioma@example.net"`, "given_name": `"Chioma"`, "disabled": "true"},
		4: {"email": `"dmitri@example.com"`, "family_name": `"Volkov"`, "given_name": ""},
		5: {"email": `"eun-ji@example.com"`, "email_verified": "true", "disabled": ""},
	}
	// A false flag is left out of the record (false is Authgear's default).
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
	if got := FieldValue(r.rows[1], "custom_attributes"); got != `{"tier":"gold"}` {
		t.Errorf("row 1: custom attributes %s", got)
	}
	for _, parts := range [][]string{
		{"Cognito never exports password hashes", "imported without a password", RollingMigrationGuide},
		{"1 of the 5 sampled users is disabled in Cognito (Enabled: false)"},
		{"UserStatus FORCE_CHANGE_PASSWORD: 1 of the 5 sampled users", "forgot-password"},
		{"UserStatus RESET_REQUIRED: 1 of the 5", "forgot-password"},
		{"UserStatus UNCONFIRMED: 1 of the 5", "email_verified"},
		{"1 of the 5 sampled users has SMS multi-factor authentication in Cognito (MFAOptions)", "mfa.phone_number"},
		{"Username holds generated ids", "not imported"},
		{"custom attributes", "(tier)"},
		{"not carried over: authenticator apps (SOFTWARE_TOKEN_MFA)"},
	} {
		if r.note(parts...) == "" {
			t.Errorf("no note with %q in %q", parts, r.rep.Notes)
		}
	}
	if n := r.note("UserStatus CONFIRMED"); n != "" {
		t.Errorf("CONFIRMED users need no note: %q", n)
	}
	if got := r.m.SourceIDPath(); got != "Attributes[Name=sub].Value" {
		t.Errorf("source.id %q, want the sub attribute (not Username)", got)
	}
	// MFAOptions is read (when: MFAOptions[DeliveryMedium=SMS]): not listed.
	for _, u := range []string{"Username", "UserStatus", "UserCreateDate"} {
		if !slices.Contains(r.rep.Unmapped, u) {
			t.Errorf("%q not listed as not mapped: %q", u, r.rep.Unmapped)
		}
	}
	checkNothingInvisible(t, name, r.m, r.rep)
}

// TestClerkJSONJoinedEmails: Clerk's JSON user export holds every
// address of a user in email_addresses joined by '|': it is the clerk
// preset, the first address is the email (not the whole joined text,
// which Authgear would refuse), and the notes say how many have more.
func TestClerkJSONJoinedEmails(t *testing.T) {
	const name = "clerk-joined-emails.json"
	if over := detectedOver(t, name); len(over) != 1 || over[0][:len("clerk=")] != "clerk=" {
		t.Errorf("presets over the threshold %v, want clerk alone", over)
	}
	r := mapAndPrepare(t, name, SuggestOptions{}, nil)
	if r.m.Preset != "clerk" {
		t.Fatalf("preset %q, want clerk", r.m.Preset)
	}
	if f := r.m.Fields["email"]; f == nil || f.From != "email_addresses" {
		t.Fatalf("email ← %+v, want email_addresses", f)
	}
	if r.stats.Valid != 4 || r.stats.Invalid != 0 {
		t.Fatalf("valid %d invalid %d, want 4 and 0", r.stats.Valid, r.stats.Invalid)
	}
	for row, want := range map[int]string{1: `"lena.fischer@example.com"`, 2: `"mateo@rossi.example"`, 3: `"nora@example.org"`, 4: `"omar@example.net"`} {
		if got := FieldValue(r.rows[row], "email"); got != want {
			t.Errorf("row %d: email %s, want %s", row, got, want)
		}
	}
	if got := FieldValue(r.rows[2], "phone_number"); got != `"+14155552671"` {
		t.Errorf("row 2: phone %s, want the first of the joined numbers", got)
	}
	if got := FieldValue(r.rows[1], "email_verified"); got != "" {
		t.Errorf("row 1: email_verified %s, want it unset (the export does not say)", got)
	}
	if r.rows[1].Record.Password == nil || r.rows[2].Record.Password != nil || r.rows[3].Record.Password != nil {
		t.Errorf("passwords: the bcrypt digest is kept, the argon2 one and the missing one are not")
	}
	for _, parts := range [][]string{
		{"2 of the 4 sampled users have more than one email address in email_addresses", "the first is imported"},
		{"1 of the 4 sampled users has more than one phone number in phone_numbers"},
		{"does not say which addresses are verified"},
		{"argon2"},
		{"not carried over: public, private and unsafe metadata are not mapped"},
	} {
		if r.note(parts...) == "" {
			t.Errorf("no note with %q in %q", parts, r.rep.Notes)
		}
	}
	if n := r.note("Dashboard export"); n != "" {
		t.Errorf("a limit of the Dashboard CSV said of the JSON export: %q", n)
	}
	// What is not mapped is listed (password_hasher is read by the
	// hasher transform of the password).
	if got := r.m.SourceIDPath(); got != "id" {
		t.Errorf("source.id %q, want id", got)
	}
	for _, u := range []string{"public_metadata", "username"} {
		if !slices.Contains(r.rep.Unmapped, u) {
			t.Errorf("%q not listed as not mapped: %q", u, r.rep.Unmapped)
		}
	}
}

// TestClerkDashboardCSVUnchanged: the Dashboard CSV keeps its primary
// columns (no split), so a file with both shapes' columns reads the
// primary address.
func TestClerkDashboardCSVUnchanged(t *testing.T) {
	m, _ := suggestFile(t, filepath.Join("..", "testdata", "fixtures", "clerk-export.csv"), SuggestOptions{})
	if f := m.Fields["email"]; m.Preset != "clerk" || f == nil || f.From != "primary_email_address" || len(f.Transforms) != 2 {
		t.Errorf("preset %s, email ← %+v", m.Preset, f)
	}
}
