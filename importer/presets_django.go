package importer

import "strings"

// Django: a CSV or JSON dump of the auth_user table (or a custom user
// model that keeps its columns). Passwords are "algorithm$..." strings.

// djangoColumns are auth_user's own columns.
var djangoColumns = []string{"id", "password", "last_login", "is_superuser", "username", "first_name", "last_name", "email", "is_staff", "is_active", "date_joined"}

// djangoPasswordLimit is what the preset says of passwords; the notes say it
// with the counts of the file.
const djangoPasswordLimit = "only Django's BCryptPasswordHasher hashes (bcrypt$$2b$...) can be imported; PBKDF2 (Django's default), Argon2, scrypt and BCryptSHA256 hashes cannot"

var djangoLimits = []string{
	"Django does not record whether an email was verified (django-allauth keeps it in account_emailaddress): email_verified is left unset",
	"is_staff, is_superuser, groups and permissions are not mapped: create matching roles in Authgear and map them by hand",
	noteOldIDs,
	noteNoTimes,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "django",
		Title:  "Django (auth_user table dump, or a dumpdata fixture)",
		Detect: detectDjango,
		Build:  buildDjango,
		Limits: append([]string{djangoPasswordLimit}, djangoLimits...),
	})
}

func detectDjango(src *Source) int {
	if isDjangoFixture(src) {
		// A fixture is Django's whatever it holds; with a user-like
		// object in the sample it is surely one to import.
		for _, r := range src.Sample() {
			if _, fields, ok := fixtureObject(r.Object); ok {
				if _, pw := fields["password"]; pw {
					if _, ll := fields["last_login"]; ll {
						return 98
					}
				}
			}
		}
		return 90
	}
	cs := columnsOf(src)
	if !cs.has("date_joined") || !cs.has("is_staff") {
		return 0
	}
	s := 60 + 5*cs.count("is_superuser", "is_active", "last_login", "password", "username", "first_name", "last_name")
	if c := cs.find("password"); c != "" {
		for _, v := range sampleValues(src, c) {
			if strings.HasPrefix(v, "pbkdf2_") || strings.HasPrefix(v, "bcrypt") || strings.HasPrefix(v, "argon2$") || strings.HasPrefix(v, "scrypt$") {
				s += 10
				break
			}
		}
	}
	return clamp(s)
}

func buildDjango(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	if isDjangoFixture(src) {
		return buildDjangoFixture(src, o)
	}
	r := newPresetReport("Django")
	m := newPresetMapping(src, o, "django")
	cs := columnsOf(src)
	nameSourceID(src, m, cs.exact["id"], cs.exact["pk"]) // the old id: the primary key
	r.setFound(m, "email", cs.find("email"), T("trim"), T("lowercase"))
	r.setFound(m, "given_name", cs.find("first_name"), T("trim"))
	r.setFound(m, "family_name", cs.find("last_name"), T("trim"))
	r.setFound(m, "disabled", cs.find("is_active"), T("bool"), T("not"))
	// "!..." is Django's unusable password (social or invited users): no
	// password at all, not a hash.
	r.setFound(m, "password.password_hash", cs.find("password"), T("trim"), TA("drop", "!*"))
	mapUsername(src, m, r, cs.find("username"))
	addSuggestedExtras(src, m, r, djangoColumns)
	if c := cs.find("password"); c != "" {
		unusable := 0
		for _, v := range sampleValues(src, c) {
			if strings.HasPrefix(v, "!") {
				unusable++
			}
		}
		if unusable > 0 {
			r.note("%d sampled users have no usable password in Django (the '!' marker: social or invited users): they are imported without one", unusable)
		}
	}
	return finishPreset(src, m, r, djangoLimits)
}
