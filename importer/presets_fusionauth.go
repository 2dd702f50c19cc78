package importer

import "strings"

// FusionAuth: the JSON of FusionAuth's User Import API ({"users": [...]},
// each user with email, username, firstName, lastName, mobilePhone,
// verified, active, password, salt, factor, encryptionScheme,
// registrations and data), the shape people export FusionAuth users in
// (issue 18 item 8). A bcrypt hash is kept in three fields: password
// holds the 31-character checksum, salt the 22-character salt and factor
// the cost; the transforms bcrypt_salt and bcrypt_cost (hashparts.go) put
// them together into the $2a$ hash Authgear imports. Every other
// encryptionScheme (salted-sha256, salted-pbkdf2-hmac-sha256,
// salted-md5, ...) cannot be imported and follows passwords.unsupported.

var fusionAuthLimits = []string{
	"passwords of schemes other than bcrypt (salted-sha256, salted-pbkdf2-hmac-sha256, salted-hmac-sha256, salted-md5, phpass, ...) cannot be imported: Authgear takes bcrypt only",
	"registrations (the applications a user is registered to, with their roles) are not mapped: create the roles in Authgear and map registrations[0].roles to roles if one application's roles are what the users need",
	"data (the user's custom data) is not mapped: map its keys to custom attributes (custom_attributes.<name>) defined in the portal",
	"two-factor methods (twoFactor.methods) are not imported: users enrol again in Authgear",
	"identity provider links (social and enterprise logins) are not in the import JSON: users sign in with those providers again",
	noteOldIDs,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "fusionauth",
		Title:  "FusionAuth (the User Import API's JSON)",
		Detect: detectFusionAuth,
		Build:  buildFusionAuth,
		Limits: fusionAuthLimits,
	})
}

// fusionAuthSchemes are the encryptionScheme values FusionAuth ships.
var fusionAuthSchemes = []string{"bcrypt", "salted-md5", "salted-sha256", "salted-hmac-sha256", "salted-pbkdf2-hmac-sha256", "salted-pbkdf2-hmac-sha256-512", "phpass-md5", "phpass-sha512", "example-salted-sha1"}

func detectFusionAuth(src *Source) int {
	if src.Format() != FormatJSON && src.Format() != FormatNDJSON {
		return 0
	}
	cs := columnsOf(src)
	scheme := cs.exact["encryptionscheme"]
	regs := cs.hasPrefix("registrations[")
	if scheme == "" && !regs {
		return 0
	}
	s := 0
	if scheme != "" {
		s += 20
		vals := sampleValues(src, scheme)
		known := 0
		for _, v := range vals {
			for _, k := range fusionAuthSchemes {
				if strings.EqualFold(v, k) {
					known++
					break
				}
			}
		}
		if len(vals) > 0 && known*5 >= len(vals)*4 {
			s += 15 // FusionAuth's own scheme names
		}
		if cs.has("factor") && cs.has("salt") && cs.has("password") {
			s += 15
		}
	}
	if regs && (cs.hasPrefix("registrations[0].applicationId") || cs.hasPrefix("registrations[Name=")) {
		s += 20
	}
	// FusionAuth's camelCase user fields.
	for _, c := range []string{"firstName", "lastName", "mobilePhone", "fullName", "imageUrl", "passwordChangeRequired", "insertInstant", "birthDate"} {
		if _, ok := cs.exact[strings.ToLower(c)]; ok {
			s += 4
		}
	}
	if cs.has("verified") && cs.has("active") {
		s += 5
	}
	if cs.hasPrefix("twoFactor.") {
		s += 5
	}
	return clamp(s)
}

func buildFusionAuth(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("FusionAuth")
	m := newPresetMapping(src, o, "fusionauth")
	cs := columnsOf(src)
	exact := func(name string) string { return cs.exact[strings.ToLower(name)] }
	nameSourceID(src, m, exact("id")) // the old id: a UUID
	email := exact("email")
	if email == "" && m.Identifier == IdentifierEmail {
		email = "email"
	}
	r.setFound(m, "email", email, T("trim"), T("lowercase"))
	r.setFound(m, "email_verified", exact("verified"), T("bool"))
	// phoneNumber is the sign-in phone of FusionAuth 1.59 and later;
	// mobilePhone is a profile field of every version.
	phone := exact("phoneNumber")
	if phone == "" {
		phone = exact("mobilePhone")
	}
	r.setFound(m, "phone_number", phone, T("trim"))
	r.setFound(m, "given_name", exact("firstName"), T("trim"))
	r.setFound(m, "middle_name", exact("middleName"), T("trim"))
	r.setFound(m, "family_name", exact("lastName"), T("trim"))
	r.setFound(m, "name", exact("fullName"), T("trim"))
	r.setFound(m, "picture", exact("imageUrl"), T("trim"))
	r.setFound(m, "birthdate", exact("birthDate"), T("trim"), T("date"))
	r.setFound(m, "zoneinfo", exact("timezone"), T("trim"))
	r.setFound(m, "locale", exact("preferredLanguages"), T("first"), T("trim"), T("locale"))
	if c := exact("active"); c != "" {
		r.set(m, "disabled", c, T("bool"), T("not"))
		inactive := 0
		for _, v := range sampleValues(src, c) {
			if strings.EqualFold(v, "false") {
				inactive++
			}
		}
		if inactive > 0 {
			r.note("%d of the %d sampled users %s inactive in FusionAuth (active: false): imported disabled", inactive, len(src.Sample()), plural(inactive, "is", "are"))
		}
	}
	mapUsername(src, m, r, exact("username"))
	if pw := exact("password"); pw != "" {
		fusionAuthPassword(src, m, r, cs, pw)
	}
	if cs.hasPrefix("twoFactor.methods[") {
		r.note("FusionAuth's two-factor secrets (twoFactor.methods) are not imported: FusionAuth keeps them in its own encoding, and users enrol their authenticator app again in Authgear")
	}
	return finishPreset(src, m, r, fusionAuthLimits)
}

// fusionAuthPassword maps the password: the three parts of a bcrypt hash
// put together, and every hash named by its encryptionScheme, so that
// only bcrypt is imported and the other schemes follow
// passwords.unsupported.
func fusionAuthPassword(src *Source, m *Mapping, r *presetReport, cs *columnSet, pw string) {
	salt, cost, scheme := cs.exact["salt"], cs.exact["factor"], cs.exact["encryptionscheme"]
	ts := []Transform{T("trim")}
	if salt != "" && cost != "" {
		ts = append(ts, TA("bcrypt_salt", salt), TA("bcrypt_cost", cost))
	}
	if scheme != "" {
		ts = append(ts, TA("hasher", scheme))
	} else {
		r.note("the export has no encryptionScheme: password hashes are recognised by their shape alone")
	}
	r.set(m, "password.password_hash", pw, ts...)
	if salt != "" && cost != "" {
		whole, parts := splitBcryptSample(src, pw, salt, cost)
		r.note("passwords: %q, %q and %q hold bcrypt hashes in three parts (checksum, salt and cost, as FusionAuth exports them): %d of the %d sampled values make a whole $2a$ hash again, which Authgear imports as it is (the transforms bcrypt_salt and bcrypt_cost put them together); %q names each hash's algorithm, and only those it names bcrypt are imported", pw, salt, cost, whole, parts, scheme)
	}
}
