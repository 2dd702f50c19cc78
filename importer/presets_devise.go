package importer

// Ruby on Rails with Devise: a CSV or JSON dump of the users table
// (encrypted_password is bcrypt "$2a$").

var deviseColumns = []string{"id", "email", "encrypted_password", "reset_password_token", "reset_password_sent_at", "remember_created_at", "sign_in_count", "current_sign_in_at", "last_sign_in_at", "current_sign_in_ip", "last_sign_in_ip", "confirmation_token", "confirmed_at", "confirmation_sent_at", "unconfirmed_email", "failed_attempts", "unlock_token", "locked_at", "created_at", "updated_at", "encrypted_otp_secret", "encrypted_otp_secret_iv", "encrypted_otp_secret_salt", "otp_secret", "consumed_timestep", "otp_required_for_login", "otp_backup_codes"}

// devisePasswordLimit is what the preset says of passwords; the notes say it
// with the counts of the file.
const devisePasswordLimit = "if Devise is configured with a pepper (config.pepper), its bcrypt hashes include the pepper and Authgear cannot verify them: remove password.password_hash from the mapping then"

var deviseLimits = []string{
	"locks (lockable's locked_at) are not mapped: Devise locks are usually temporary",
	"unconfirmed email changes (unconfirmed_email) are not carried over: the confirmed email is imported",
	"two-factor secrets (devise-two-factor's otp_secret) are encrypted with the application's key and cannot be carried over",
	noteOldIDs,
	noteNoTimes,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "devise",
		Title:  "Ruby on Rails Devise (users table dump)",
		Detect: detectDevise,
		Build:  buildDevise,
		Limits: append([]string{devisePasswordLimit}, deviseLimits...),
	})
}

func detectDevise(src *Source) int {
	cs := columnsOf(src)
	if !cs.has("encrypted_password") || cs.has("raw_user_meta_data") || cs.hasPrefix("raw_user_meta_data.") {
		return 0
	}
	core := cs.count("sign_in_count", "reset_password_token", "remember_created_at", "current_sign_in_at")
	if core == 0 {
		return 0
	}
	return clamp(55 + 8*core + 4*cs.count("confirmed_at", "confirmation_token", "unconfirmed_email", "failed_attempts", "locked_at", "last_sign_in_ip", "current_sign_in_ip", "unlock_token"))
}

func buildDevise(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Devise")
	m := newPresetMapping(src, o, "devise")
	cs := columnsOf(src)
	nameSourceID(src, m, cs.exact["id"]) // the old id: users.id
	r.setFound(m, "email", cs.find("email"), T("trim"), T("lowercase"))
	if cs.has("confirmed_at") {
		r.setFound(m, "email_verified", cs.find("confirmed_at"), T("present"))
	} else {
		r.note("the table has no confirmed_at column (Devise's confirmable is off): email_verified is left unset")
	}
	r.setFound(m, "password.password_hash", cs.find("encrypted_password"), T("trim"))
	r.note("%s", devisePasswordLimit)
	addSuggestedExtras(src, m, r, deviseColumns)
	return finishPreset(src, m, r, deviseLimits)
}
