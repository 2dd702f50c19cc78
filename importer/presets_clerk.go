package importer

import (
	"regexp"
)

// Clerk: the user export CSV from the Clerk Dashboard, the only Clerk
// export with password digests and TOTP secrets.

// clerkPasswordLimit is what the preset says of passwords; the notes say it
// with the counts of the file.
const clerkPasswordLimit = "password digests of hashers other than bcrypt (argon2, scrypt_firebase, pbkdf2, bcrypt_sha256_django, bcrypt_peppered, ...) cannot be imported"

var clerkLimits = []string{
	"only the primary email address and phone number are imported (an Authgear user has one of each): other addresses and numbers in the verified_/unverified_ columns are not",
	"backup codes, passkeys and social connections are not in the export: users set them up again",
	"public, private and unsafe metadata are not in the Dashboard export",
	noteOldIDs,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "clerk",
		Title:  "Clerk (Dashboard user export CSV)",
		Detect: detectClerk,
		Build:  buildClerk,
		Limits: append([]string{clerkPasswordLimit}, clerkLimits...),
	})
}

var reClerkID = regexp.MustCompile(`^user_[A-Za-z0-9]+$`)

func detectClerk(src *Source) int {
	cs := columnsOf(src)
	if !cs.has("primary_email_address") && !cs.has("primary_phone_number") {
		return 0
	}
	s := 0
	if cs.has("primary_email_address") {
		s += 30
	}
	if cs.has("primary_phone_number") {
		s += 10
	}
	if cs.has("password_hasher") && cs.has("password_digest") {
		s += 40
	}
	s += 8 * cs.count("verified_email_addresses", "unverified_email_addresses", "verified_phone_numbers", "unverified_phone_numbers", "totp_secret")
	if id := cs.find("id"); id != "" && share(sampleValues(src, id), reClerkID) >= 0.8 {
		s += 15
	}
	return clamp(s)
}

func buildClerk(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Clerk")
	m := newPresetMapping(src, o, "clerk")
	cs := columnsOf(src)
	email, phone := cs.find("primary_email_address"), cs.find("primary_phone_number")
	if email != "" {
		r.set(m, "email", email, T("trim"), T("lowercase"))
		if v := cs.find("verified_email_addresses"); v != "" {
			r.set(m, "email_verified", v, TA("contains", email))
		} else {
			r.note("the export has no verified_email_addresses column: email_verified is left unset (not verified)")
		}
	}
	if phone != "" {
		r.set(m, "phone_number", phone, T("trim"))
		if v := cs.find("verified_phone_numbers"); v != "" {
			r.set(m, "phone_number_verified", v, TA("contains", phone))
		}
	}
	if c := cs.find("first_name"); c != "" {
		r.set(m, "given_name", c, T("trim"))
	}
	if c := cs.find("last_name"); c != "" {
		r.set(m, "family_name", c, T("trim"))
	}
	mapUsername(src, m, r, cs.find("username"))
	if c := cs.find("totp_secret"); c != "" {
		r.set(m, "mfa.totp.secret", c, T("trim"))
		if n := len(sampleValues(src, c)); n > 0 {
			r.note("%d sampled users have an authenticator app (TOTP) secret: it is imported, so their app keeps working for two-factor sign-in", n)
		}
	}
	if d := cs.find("password_digest"); d != "" {
		if h := cs.find("password_hasher"); h != "" {
			// Trust the hasher column, not the digest's shape: only
			// "bcrypt" digests are plain bcrypt.
			r.set(m, "password.password_hash", d, T("trim"), TA("hasher", h))
		} else {
			r.set(m, "password.password_hash", d, T("trim"))
			r.note("the export has no password_hasher column: password digests are recognised by their shape alone")
		}
	}
	return finishPreset(src, m, r, clerkLimits)
}
