package importer

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Presets for FusionAuth's import JSON, Parse's _User and Meteor's users
// (issue 18 item 8).

// onlyPreset checks that preset alone reaches the detection threshold on
// the fixture testdata/exports/name, and that map chooses it.
func onlyPreset(t *testing.T, name, preset string) {
	t.Helper()
	over := detectedOver(t, name)
	if len(over) != 1 || !strings.HasPrefix(over[0], preset+"=") {
		t.Errorf("%s: presets over the threshold %v, want %s alone", name, over, preset)
	}
	m, _ := suggestFile(t, filepath.Join("testdata", "exports", name), SuggestOptions{})
	if m.Preset != preset {
		t.Errorf("%s: preset %q, want %s", name, m.Preset, preset)
	}
}

// notOver checks that preset stays below the threshold on the fixtures.
func notOver(t *testing.T, preset string, names ...string) {
	t.Helper()
	for _, name := range names {
		for _, o := range detectedOver(t, name) {
			if strings.HasPrefix(o, preset+"=") {
				t.Errorf("%s: taken for %s (%s)", name, preset, o)
			}
		}
	}
}

// otherJSONFixtures are JSON exports of other shapes that none of these
// presets may claim.
var otherJSONFixtures = []string{"cognito-list-users.json", "clerk-joined-emails.json", "wordpress-meta.json", "key-value-profile.ndjson", "phone-in-second-element.json", "keycloak-realm-arrays.json", "org-users.json", "mongoexport-pretty.json", "mongoexport-compact.json", "mongo-objectid-logins.json", "django-dumpdata.json", "firebase-emulator.json", "scrypt-urlsafe.json"}

func wantFields(t *testing.T, m *Mapping, want map[string]string) {
	t.Helper()
	for field, from := range want {
		f := m.Fields[field]
		switch {
		case from == "" && f != nil:
			t.Errorf("%s ← %s, want it not mapped", field, f.From)
		case from != "" && (f == nil || f.From != from):
			t.Errorf("%s ← %+v, want %s", field, f, from)
		}
	}
}

func (r *exportRun) wantNotes(t *testing.T, notes ...[]string) {
	t.Helper()
	for _, parts := range notes {
		if r.note(parts...) == "" {
			t.Errorf("no note with %q in %q", parts, r.rep.Notes)
		}
	}
}

func TestFusionAuthPreset(t *testing.T) {
	const name = "fusionauth-import.json"
	onlyPreset(t, name, "fusionauth")
	onlyPreset(t, "fusionauth-bcrypt-split.json", "fusionauth")
	notOver(t, "fusionauth", otherJSONFixtures...)
	notOver(t, "fusionauth", "parse-user.json", "parse-user-mongo.json", "parse-user-array.json", "parse-user-social.json", "meteor-users.json")

	r := mapAndPrepare(t, name, SuggestOptions{}, nil)
	wantFields(t, r.m, map[string]string{
		"email":                  "email",
		"email_verified":         "verified",
		"phone_number":           "mobilePhone",
		"given_name":             "firstName",
		"family_name":            "lastName",
		"name":                   "fullName",
		"picture":                "imageUrl",
		"birthdate":              "birthDate",
		"disabled":               "active",
		"preferred_username":     "username",
		"locale":                 "preferredLanguages",
		"roles":                  "",
		"custom_attributes.plan": "",
	})
	f := r.m.Fields["password.password_hash"]
	want := []Transform{T("trim"), TA("bcrypt_salt", "salt"), TA("bcrypt_cost", "factor"), TA("hasher", "encryptionScheme")}
	if f == nil || f.From != "password" || !slices.Equal(f.Transforms, want) {
		t.Fatalf("password.password_hash = %+v, want password with %v", f, want)
	}
	if r.stats.Valid != 5 || r.stats.Invalid != 0 || r.stats.PasswordsBcrypt != 2 || r.stats.PasswordsDropped != 2 {
		t.Fatalf("stats %+v", r.stats)
	}
	for num, pw := range map[int]string{1: "correct horse battery staple", 2: "Tr0ub4dor&3"} {
		p := r.rows[num]
		if p.Record.Password == nil {
			t.Fatalf("row %d: no password (%s)", num, p.Reason())
		}
		h, _ := p.Record.Password.Hash()
		if err := bcrypt.CompareHashAndPassword([]byte(h), []byte(pw)); err != nil {
			t.Errorf("row %d: hash %q does not verify: %v", num, h, err)
		}
	}
	for num, fam := range map[int]HashFamily{3: HashPBKDF2, 4: HashSaltedDigest} {
		if p := r.rows[num]; p.Record.Password != nil || p.PasswordFamily != fam {
			t.Errorf("row %d: family %q, password %v; want %q dropped", num, p.PasswordFamily, p.Record.Password, fam)
		}
	}
	if p := r.rows[5]; p.Record.Password != nil || p.PasswordFamily != "" {
		t.Errorf("row 5 has no password in the export: family %q", p.PasswordFamily)
	}
	if FieldValue(r.rows[3], "disabled") != "true" || FieldValue(r.rows[1], "disabled") != "" {
		t.Errorf("active: false is disabled: row 3 %s, row 1 %s", FieldValue(r.rows[3], "disabled"), FieldValue(r.rows[1], "disabled"))
	}
	if got := FieldValue(r.rows[2], "email_verified"); got != "" {
		t.Errorf("row 2 verified: false, email_verified %s", got)
	}
	for k, v := range map[string]string{"locale": `"en"`, "phone_number": `"+14155552671"`, "birthdate": `"1815-12-10"`, "preferred_username": `"ada"`, "email_verified": "true"} {
		if got := FieldValue(r.rows[1], k); got != v {
			t.Errorf("row 1: %s = %s, want %s", k, got, v)
		}
	}
	r.wantNotes(t,
		[]string{`"password", "salt" and "factor" hold bcrypt hashes in three parts`, "2 of the 4 sampled values make a whole $2a$ hash"},
		[]string{"1 of the 5 sampled users is inactive in FusionAuth"},
		[]string{"pbkdf2 hashes, which Authgear cannot import"},
		[]string{"two-factor secrets (twoFactor.methods) are not imported"},
		[]string{"not carried over: registrations"},
		[]string{"not carried over: data (the user's custom data)"},
	)
	for _, u := range []string{"registrations[0].roles", "data.plan", "twoFactor.methods[0].secret", "insertInstant"} {
		if !slices.Contains(r.rep.Unmapped, u) {
			t.Errorf("%q not listed as not mapped: %q", u, r.rep.Unmapped)
		}
	}
	for _, u := range []string{"salt", "factor", "encryptionScheme"} {
		if slices.Contains(r.rep.Unmapped, u) {
			t.Errorf("%q listed as not mapped (the password reads it)", u)
		}
	}
}

func TestParsePreset(t *testing.T) {
	for _, name := range []string{"parse-user.json", "parse-user-mongo.json", "parse-user-array.json"} {
		onlyPreset(t, name, "parse")
	}
	notOver(t, "parse", otherJSONFixtures...)
	notOver(t, "parse", "fusionauth-import.json", "fusionauth-bcrypt-split.json", "meteor-users.json")

	for _, name := range []string{"parse-user.json", "parse-user-mongo.json"} {
		r := mapAndPrepare(t, name, SuggestOptions{}, nil)
		wantFields(t, r.m, map[string]string{
			"email":                  "email",
			"email_verified":         "emailVerified",
			"password.password_hash": "_hashed_password",
			// Most usernames are the email again.
			"preferred_username": "",
		})
		if r.stats.Invalid != 0 || r.stats.PasswordsDropped != 0 {
			t.Fatalf("%s: stats %+v", name, r.stats)
		}
		for num, pw := range map[int]string{1: "parse-pass-1", 2: "parse-pass-2"} {
			p := r.rows[num]
			if p.Record.Password == nil {
				t.Fatalf("%s row %d: no password (%s)", name, num, p.Reason())
			}
			h, _ := p.Record.Password.Hash()
			if err := bcrypt.CompareHashAndPassword([]byte(h), []byte(pw)); err != nil {
				t.Errorf("%s row %d: hash %q does not verify: %v", name, num, h, err)
			}
		}
		if p := r.rows[3]; p.Record.Password != nil {
			t.Errorf("%s row 3 (authData only) has a password", name)
		}
		if got := FieldValue(r.rows[2], "email_verified"); got != "" {
			t.Errorf("%s row 2: emailVerified false, email_verified %s", name, got)
		}
		r.wantNotes(t,
			[]string{"users who sign in with facebook through authData", "not imported"},
			[]string{"usernames (\"username\") are not mapped", "email addresses"},
			[]string{"not carried over: ACL, _rperm and _wperm"},
		)
		for _, u := range []string{"username", "_email_verify_token"} {
			if !slices.Contains(r.rep.Unmapped, u) {
				t.Errorf("%s: %q not listed as not mapped: %q", name, u, r.rep.Unmapped)
			}
		}
		if r.note("placeholder") != "" {
			t.Errorf("%s: authData taken for a password: %q", name, r.rep.Notes)
		}
	}
	if r := mapAndPrepare(t, "parse-user.json", SuggestOptions{}, nil); r.stats.Valid != 4 || r.stats.PasswordsBcrypt != 3 {
		t.Errorf("parse-user.json: stats %+v", r.stats)
	}

	// A bare array with no email field: the username is the email.
	r := mapAndPrepare(t, "parse-user-array.json", SuggestOptions{}, nil)
	wantFields(t, r.m, map[string]string{"email": "username", "preferred_username": "", "email_verified": ""})
	if r.stats.Valid != 2 || r.stats.PasswordsBcrypt != 2 {
		t.Fatalf("stats %+v", r.stats)
	}
	if got := FieldValue(r.rows[1], "email"); got != `"eva@example.com"` {
		t.Errorf("row 1: email %s", got)
	}
	r.wantNotes(t, []string{"username holds the email addresses", "no email field"})

	// A mongoexport of users who all sign in with a provider has no
	// _hashed_password: Parse's ids and permissions say it is Parse.
	onlyPreset(t, "parse-user-social.json", "parse")
	r = mapAndPrepare(t, "parse-user-social.json", SuggestOptions{}, nil)
	wantFields(t, r.m, map[string]string{"email": "email", "preferred_username": "username", "password.password_hash": ""})
	r.wantNotes(t, []string{"no _hashed_password"}, []string{"users who sign in with google through authData"})
}

// Meteor's services.password.bcrypt is bcrypt of the SHA-256 of the
// password: a valid bcrypt hash Authgear would never verify. It is
// declared unimportable, dropped by default and rejected under reject.
func TestMeteorPreset(t *testing.T) {
	const name = "meteor-users.json"
	onlyPreset(t, name, "meteor")
	notOver(t, "meteor", otherJSONFixtures...)
	notOver(t, "meteor", "fusionauth-import.json", "fusionauth-bcrypt-split.json", "parse-user.json", "parse-user-mongo.json", "parse-user-array.json", "parse-user-social.json")

	r := mapAndPrepare(t, name, SuggestOptions{}, nil)
	wantFields(t, r.m, map[string]string{
		"email":                  "emails[0].address",
		"email_verified":         "emails[0].verified",
		"preferred_username":     "username",
		"name":                   "profile.name",
		"password.password_hash": "services.password.bcrypt",
		"address.formatted":      "",
	})
	if r.stats.Valid != 3 || r.stats.Invalid != 0 || r.stats.PasswordsBcrypt != 0 || r.stats.PasswordsDropped != 2 {
		t.Fatalf("stats %+v", r.stats)
	}
	for num := 1; num <= 2; num++ {
		p := r.rows[num]
		if p.Record.Password != nil || p.PasswordFamily != HasherFamily(meteorHasher) || !strings.Contains(p.Reason(), "cannot be imported") {
			t.Errorf("row %d: family %q, password %v, reason %q: want the Meteor hash dropped", num, p.PasswordFamily, p.Record.Password, p.Reason())
		}
	}
	for row, want := range map[int]map[string]string{
		1: {"email": `"ana@example.com"`, "email_verified": "true", "preferred_username": `"ana_lima"`, "name": `"Ana Lima"`},
		2: {"email": `"ben@example.com"`, "email_verified": "", "preferred_username": ""},
		3: {"email": `"cleo@example.com"`, "email_verified": "true", "preferred_username": `"cleo"`},
	} {
		for k, v := range want {
			if got := FieldValue(r.rows[row], k); got != v {
				t.Errorf("row %d: %s = %s, want %s", row, k, got, v)
			}
		}
	}
	r.wantNotes(t,
		[]string{"Meteor bcrypt-hashes the SHA-256 of the password", "never sent as bcrypt", RollingMigrationGuide},
		[]string{"1 of the 3 sampled users has more than one address in emails", "1 of them has a verified address after an unverified first one"},
		[]string{"users who sign in with google (services)"},
		[]string{"not carried over: login tokens (services.resume)"},
	)
	if got := r.m.SourceIDPath(); got != "_id" {
		t.Errorf("source.id %q, want _id", got)
	}
	for _, u := range []string{"services.google.id", "services.resume.loginTokens[0].hashedToken", "emails[1].address"} {
		if !slices.Contains(r.rep.Unmapped, u) {
			t.Errorf("%q not listed as not mapped: %q", u, r.rep.Unmapped)
		}
	}
	// Nothing of the login tokens is taken for a password hash.
	if r.note("hashedToken") != "" {
		t.Errorf("a login token taken for a hash: %q", r.rep.Notes)
	}

	rej := mapAndPrepare(t, name, SuggestOptions{}, func(m *Mapping) { m.Passwords.Unsupported = PasswordsReject })
	if rej.stats.Valid != 1 || rej.stats.Invalid != 2 {
		t.Errorf("passwords.unsupported: reject: valid %d invalid %d, want 1 and 2", rej.stats.Valid, rej.stats.Invalid)
	}
}
