package importer

// WordPress: a CSV or JSON dump of the wp_users table. Passwords are phpass
// ("$P$") or, since WordPress 6.8, bcrypt of an HMAC-SHA384 of the password
// ("$wp$2y$"): neither is plain bcrypt.

var wordpressColumns = []string{"ID", "user_login", "user_pass", "user_nicename", "user_email", "user_url", "user_registered", "user_activation_key", "user_status", "display_name"}

// wordpressPasswordLimit is what the preset says of passwords; the notes say it
// with the counts of the file.
const wordpressPasswordLimit = "WordPress passwords cannot be imported: phpass ($P$) is not bcrypt, and WordPress 6.8's $wp$ hashes run the password through HMAC-SHA384 before bcrypt, so Authgear's bcrypt would not verify them (plain $2y$ bcrypt hashes from a bcrypt plugin can be imported)"

var wordpressLimits = []string{
	"roles and capabilities live in wp_usermeta (wp_capabilities), not in wp_users: they are not mapped",
	"WordPress does not record whether an email was verified: email_verified is left unset",
	noteOldIDs,
	noteNoTimes,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "wordpress",
		Title:  "WordPress (wp_users table dump)",
		Detect: detectWordPress,
		Build:  buildWordPress,
		Limits: append([]string{wordpressPasswordLimit}, wordpressLimits...),
	})
}

func detectWordPress(src *Source) int {
	cs := columnsOf(src)
	if !cs.has("user_login") || !cs.has("user_pass") {
		return 0
	}
	return clamp(70 + 5*cs.count("user_email", "user_registered", "user_nicename", "display_name", "user_activation_key", "user_status"))
}

func buildWordPress(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("WordPress")
	m := newPresetMapping(src, o, "wordpress")
	cs := columnsOf(src)
	nameSourceID(src, m, cs.exact["id"]) // the old id: wp_users.ID
	r.setFound(m, "email", cs.find("user_email"), T("trim"), T("lowercase"))
	r.setFound(m, "name", cs.find("display_name"), T("trim"))
	r.setFound(m, "website", cs.find("user_url"), T("trim"))
	r.setFound(m, "password.password_hash", cs.find("user_pass"), T("trim"))
	mapUsername(src, m, r, cs.find("user_login"))
	addSuggestedExtras(src, m, r, wordpressColumns)
	return finishPreset(src, m, r, wordpressLimits)
}
