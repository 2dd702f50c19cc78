package importer

import (
	"slices"
	"strings"
	"testing"
)

// TestKratosIdentities: the identities of `kratos list identities` are
// the kratos preset and no other preset is sure of them; traits become
// the profile, state: inactive becomes disabled, email_verified is read
// from the verifiable address whose via is email wherever it stands, the
// bcrypt hash is kept and the argon2 one follows passwords.unsupported
// (issue 18 item 8).
func TestKratosIdentities(t *testing.T) {
	const name = "kratos-identities.json"
	if over := detectedOver(t, name); len(over) != 1 || !strings.HasPrefix(over[0], "kratos=") {
		t.Errorf("presets over the threshold %v, want kratos alone", over)
	}
	r := mapAndPrepare(t, name, SuggestOptions{}, nil)
	if r.m.Preset != "kratos" {
		t.Fatalf("preset %q, want kratos", r.m.Preset)
	}
	wantFields(t, r.m, map[string]string{
		"email":                  "traits.email",
		"email_verified":         "verifiable_addresses[via=email].verified",
		"phone_number":           "traits.phone",
		"phone_number_verified":  "verifiable_addresses[via=sms].verified",
		"given_name":             "traits.name.first",
		"family_name":            "traits.name.last",
		"preferred_username":     "traits.username",
		"disabled":               "state",
		"password.password_hash": "credentials.password.config.hashed_password",
		"mfa.totp.secret":        "credentials.totp.config.totp_url",
	})
	if r.stats.Valid != 4 || r.stats.Invalid != 0 {
		t.Fatalf("valid %d invalid %d, want 4 and 0", r.stats.Valid, r.stats.Invalid)
	}
	want := map[int]map[string]string{
		1: {"email": `"ines.moreau@example.com"`, "email_verified": "true", "given_name": `"Inès"`, "preferred_username": `"ines_m"`, "disabled": ""},
		// The email's verifiable address is the second element: read by
		// its via, not by position (the first is the phone's).
		2: {"email": `"jonas@example.org"`, "email_verified": "", "phone_number": `"+4915123456789"`, "phone_number_verified": "true", "disabled": "true"},
		3: {"email": `"kemal@example.net"`, "email_verified": "", "family_name": `"Aydin"`},
		4: {"email": `"lea@example.com"`, "email_verified": "true"},
	}
	for row, fields := range want {
		for k, v := range fields {
			if got := FieldValue(r.rows[row], k); got != v {
				t.Errorf("row %d: %s = %s, want %s", row, k, got, v)
			}
		}
	}
	if r.rows[1].Record.Password == nil || r.rows[4].Record.Password == nil {
		t.Error("the bcrypt hashes are not kept")
	}
	if r.rows[2].Record.Password != nil || r.rows[3].Record.Password != nil {
		t.Error("the argon2 hash or the missing password gave a password")
	}
	for _, parts := range [][]string{
		{"1 of the 4 sampled identities is inactive in Kratos", "disabled"},
		{"1 of the 4 sampled identities has no password credential"},
		{"credential of type oidc", "social sign-in"},
		{"1 of the 4 sampled users has an authenticator app (TOTP) in Kratos: its secret is imported"},
		{"argon2"},
		{"not carried over: metadata_public and metadata_admin"},
	} {
		if r.note(parts...) == "" {
			t.Errorf("no note with %q in %q", parts, r.rep.Notes)
		}
	}
	if got := r.m.SourceIDPath(); got != "id" {
		t.Errorf("source.id %q, want id", got)
	}
	// Issue 18: the TOTP secret inside totp_url is imported.
	if got := FieldValue(r.rows[4], "mfa.totp.secret"); got != `"JBSWY3DPEHPK3PXP"` {
		t.Errorf("row 4: mfa.totp.secret = %s, want the secret of its totp_url", got)
	}
	if r.m.Fields["mfa.totp.secret"].Invalid != InvalidDrop {
		t.Errorf("a TOTP Authgear cannot check is not dropped: %+v", r.m.Fields["mfa.totp.secret"])
	}
	for _, u := range []string{"schema_id", "metadata_public.plan", "recovery_addresses[0].value"} {
		if !slices.Contains(r.rep.Unmapped, u) {
			t.Errorf("%q not listed as not mapped: %q", u, r.rep.Unmapped)
		}
	}
	// Every verified flag is read through the keyed paths: none is left
	// out of both the mapping and the list of what is not mapped.
	for _, c := range []string{"verifiable_addresses[0].verified", "verifiable_addresses[1].verified"} {
		if slices.Contains(r.rep.Unmapped, c) {
			t.Errorf("%s listed as not mapped, though email_verified or phone_number_verified reads it", c)
		}
	}
}

// TestKratosNotOtherJSON: JSON exports of other systems are not taken
// for Kratos.
func TestKratosNotOtherJSON(t *testing.T) {
	for _, name := range []string{"cognito-list-users.json", "clerk-joined-emails.json", "keycloak-realm-arrays.json", "fusionauth-bcrypt-split.json", "wordpress-meta.json", "org-users.json", "firebase-emulator.json", "django-dumpdata.json"} {
		for _, o := range detectedOver(t, name) {
			if strings.HasPrefix(o, "kratos=") {
				t.Errorf("%s: taken for Kratos (%s)", name, o)
			}
		}
	}
}
