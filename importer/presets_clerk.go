package importer

import (
	"regexp"
	"strings"
)

// Clerk: the user export CSV from the Clerk Dashboard, the only Clerk
// export with password digests and TOTP secrets; or the user and password
// export Clerk's support hands out as JSON, whose email_addresses and
// phone_numbers each hold every address of the user joined by '|', with
// no word of which is the primary one (issue 18 item 8).

// clerkPasswordLimit is what the preset says of passwords; the notes say it
// with the counts of the file.
const clerkPasswordLimit = "password digests of hashers other than bcrypt (argon2, scrypt_firebase, pbkdf2, bcrypt_sha256_django, bcrypt_peppered, ...) cannot be imported"

var clerkLimits = []string{
	"only the primary email address and phone number are imported (an Authgear user has one of each): other addresses and numbers in the verified_/unverified_ columns are not",
	"backup codes, passkeys and social connections are not in the export: users set them up again",
	"public, private and unsafe metadata are not in the Dashboard export",
	noteOldIDs,
}

// clerkJSONLimits are the limits of the JSON user export, whose addresses
// are '|'-joined lists and which holds the metadata.
var clerkJSONLimits = []string{
	"only the first email address and phone number of each user are imported (an Authgear user has one of each, and the export does not say which is primary): the others are not",
	"backup codes, passkeys and social connections are not in the export: users set them up again",
	"public, private and unsafe metadata are not mapped: map them to custom attributes if the project defines them",
	noteOldIDs,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "clerk",
		Title:  "Clerk (Dashboard user export CSV, or the JSON user export)",
		Detect: detectClerk,
		Build:  buildClerk,
		Limits: append([]string{clerkPasswordLimit}, clerkLimits...),
	})
}

var reClerkID = regexp.MustCompile(`^user_[A-Za-z0-9]+$`)

// clerkJoined is the separator of the addresses in email_addresses and
// phone_numbers of Clerk's JSON export.
const clerkJoined = "|"

// clerkAddressColumns returns the columns of the user's email addresses
// and phone numbers: the primary ones of the Dashboard export, else the
// '|'-joined lists of the JSON export (joined true). A list column counts
// only when its sampled values are text, not the objects of Clerk's
// Backend API (email_addresses: [{"email_address": ...}]).
func clerkAddressColumns(src *Source, cs *columnSet) (email, phone string, joined bool) {
	email, phone = cs.find("primary_email_address"), cs.find("primary_phone_number")
	if email != "" || phone != "" {
		return email, phone, false
	}
	text := func(name string) string {
		c, ok := cs.exact[name]
		if !ok || len(sampleValues(src, c)) == 0 {
			return ""
		}
		return c
	}
	email, phone = text("email_addresses"), text("phone_numbers")
	return email, phone, email != "" || phone != ""
}

func detectClerk(src *Source) int {
	cs := columnsOf(src)
	email, phone, joined := clerkAddressColumns(src, cs)
	if email == "" && phone == "" {
		return 0
	}
	s := 0
	if email != "" {
		s += 30
	}
	if phone != "" {
		s += 10
	}
	if joined {
		// email_addresses alone is a common name: Clerk's other columns
		// must say the rest.
		s -= 10
		s += 5 * cs.count("public_metadata", "private_metadata", "unsafe_metadata")
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
	nameSourceID(src, m, cs.exact["id"]) // the old id: user_...
	email, phone, joined := clerkAddressColumns(src, cs)
	if joined {
		clerkJoinedAddresses(src, m, r, email, phone)
	}
	if email != "" && !joined {
		r.set(m, "email", email, T("trim"), T("lowercase"))
		if v := cs.find("verified_email_addresses"); v != "" {
			r.set(m, "email_verified", v, TA("contains", email))
		} else {
			r.note("the export has no verified_email_addresses column: email_verified is left unset (not verified)")
		}
	}
	if phone != "" && !joined {
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
	if joined {
		return finishPreset(src, m, r, clerkJSONLimits)
	}
	return finishPreset(src, m, r, clerkLimits)
}

// clerkJoinedAddresses maps the email and the phone of the JSON export,
// whose columns hold every address of the user joined by '|': the first
// of each is taken, and the notes say how many users have more.
func clerkJoinedAddresses(src *Source, m *Mapping, r *presetReport, email, phone string) {
	for _, c := range []struct{ field, col, what string }{
		{"email", email, "email address"},
		{"phone_number", phone, "phone number"},
	} {
		if c.col == "" {
			continue
		}
		ts := []Transform{TA("split", clerkJoined), T("first"), T("trim")}
		if c.field == "email" {
			ts = append(ts, T("lowercase"))
		}
		r.set(m, c.field, c.col, ts...)
		vals := sampleValues(src, c.col)
		more := 0
		for _, v := range vals {
			if strings.Contains(v, clerkJoined) {
				more++
			}
		}
		if more > 0 {
			r.note("%d of the %d sampled users %s more than one %s in %s (joined by '%s'): the first is imported as the %s, the others are not (Clerk's JSON export does not say which is the primary one, and an Authgear user has one %s)", more, len(src.Sample()), has(more), c.what, c.col, clerkJoined, c.field, c.what)
		}
	}
	r.note("Clerk's JSON export does not say which addresses are verified: email_verified and phone_number_verified are left unset (not verified)")
}
