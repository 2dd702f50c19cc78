package importer

import "strings"

// Laravel: a CSV or JSON dump of the users table of Laravel's default
// migration (bcrypt "$2y$" passwords by default; Argon2 when configured).

var laravelColumns = []string{"id", "name", "email", "email_verified_at", "password", "remember_token", "created_at", "updated_at", "two_factor_secret", "two_factor_recovery_codes", "two_factor_confirmed_at", "current_team_id", "profile_photo_path"}

// laravelPasswordLimit is what the preset says of passwords; the notes say it
// with the counts of the file.
const laravelPasswordLimit = "Argon2 password hashes (Hash::driver argon/argon2id) cannot be imported, bcrypt ones can"

var laravelLimits = []string{
	"Fortify / Jetstream two-factor secrets are encrypted with the application key: they cannot be carried over, users enrol again",
	"profile_photo_path is a path in the application's storage, not a URL: it is not mapped",
	noteOldIDs,
	noteNoTimes,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "laravel",
		Title:  "Laravel (users table dump)",
		Detect: detectLaravel,
		Build:  buildLaravel,
		Limits: append([]string{laravelPasswordLimit}, laravelLimits...),
	})
}

func detectLaravel(src *Source) int {
	cs := columnsOf(src)
	if cs.has("encrypted_password") || cs.has("raw_user_meta_data") {
		return 0 // Devise or Supabase
	}
	verifiedAt, token := cs.has("email_verified_at"), cs.has("remember_token")
	y2 := false
	if c := cs.find("password"); c != "" {
		for _, v := range sampleValues(src, c) {
			if strings.HasPrefix(v, "$2y$") {
				y2 = true
				break
			}
		}
	}
	s := 0
	switch {
	case verifiedAt && token:
		s = 80
	case verifiedAt && y2, token && y2:
		s = 65
	default:
		return 0
	}
	if y2 {
		s += 10
	}
	s += 3 * cs.count("name", "email", "password", "created_at", "updated_at", "two_factor_secret")
	return clamp(s)
}

func buildLaravel(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Laravel")
	m := newPresetMapping(src, o, "laravel")
	cs := columnsOf(src)
	nameSourceID(src, m, cs.exact["id"]) // the old id: users.id
	r.setFound(m, "email", cs.find("email"), T("trim"), T("lowercase"))
	r.setFound(m, "email_verified", cs.find("email_verified_at"), T("present"))
	r.setFound(m, "name", cs.find("name"), T("trim"))
	r.setFound(m, "password.password_hash", cs.find("password"), T("trim"))
	addSuggestedExtras(src, m, r, laravelColumns)
	if c := cs.find("two_factor_secret"); c != "" && len(sampleValues(src, c)) > 0 {
		r.note("%d sampled users set up two-factor authentication in Laravel: the secret is encrypted with the application key and cannot be carried over", len(sampleValues(src, c)))
	}
	return finishPreset(src, m, r, laravelLimits)
}
