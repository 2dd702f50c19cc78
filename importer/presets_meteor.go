package importer

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Meteor: the users collection of Meteor's accounts packages, as
// mongoexport writes it ({_id, createdAt: {$date}, username, emails:
// [{address, verified}], services: {password: {bcrypt}, resume:
// {loginTokens}, google: {...}}, profile: {...}}) (issue 18 item 8).
//
// accounts-password hashes the SHA-256 of the password (as hex, the
// client's pre-hash) with bcrypt: services.password.bcrypt is a valid
// bcrypt hash, but of the digest, not of the password, so Authgear would
// never verify it against what the user types. Sending it would import
// users whose password can never work; it is declared a hash of its own
// family (meteorHasher), which passwords.unsupported drops (or rejects),
// and the notes point to the rolling migration that keeps the passwords.

// meteorHasher names the family of services.password.bcrypt.
const meteorHasher = "meteor-sha256-bcrypt"

var meteorLimits = []string{
	"passwords: Meteor bcrypt-hashes the SHA-256 of the password, which Authgear's bcrypt would not verify; they cannot be imported (keep them with a rolling migration)",
	"only the first address of emails is imported (an Authgear user has one email): the others are not",
	"services of other sign-ins (google, facebook, github, ...) are not imported: those users sign in with the provider again",
	"login tokens (services.resume) are not carried over: every user signs in again",
	"profile fields other than the name are not mapped: map them to custom attributes (custom_attributes.<name>) defined in the portal",
	noteOldIDs,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "meteor",
		Title:  "Meteor (users collection, mongoexport)",
		Detect: detectMeteor,
		Build:  buildMeteor,
		Limits: meteorLimits,
	})
}

// reMeteorID is Meteor's Random.id(): 17 characters of its alphabet.
var reMeteorID = regexp.MustCompile(`^[23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz]{17}$`)

func detectMeteor(src *Source) int {
	if src.Format() != FormatJSON && src.Format() != FormatNDJSON {
		return 0
	}
	cs := columnsOf(src)
	if !cs.hasPrefix("services.") {
		return 0
	}
	s := 0
	if cs.exact["services.password.bcrypt"] != "" {
		s += 35
	}
	if cs.hasPrefix("services.resume.") {
		s += 15
	}
	if cs.exact["emails[0].address"] != "" {
		s += 20
	}
	if cs.exact["emails[0].verified"] != "" {
		s += 5
	}
	if id := cs.exact["_id"]; id != "" && share(sampleValues(src, id), reMeteorID) >= 0.8 {
		s += 15
	}
	if cs.hasPrefix("profile.") {
		s += 5
	}
	if cs.hasPrefix("createdAt") {
		s += 5
	}
	return clamp(s)
}

func buildMeteor(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Meteor")
	m := newPresetMapping(src, o, "meteor")
	cs := columnsOf(src)
	const address, verified = "emails[0].address", "emails[0].verified"
	nameSourceID(src, m, "_id") // the old id: a Meteor id or an ObjectId, as text
	if cs.exact[address] != "" || m.Identifier == IdentifierEmail {
		r.set(m, "email", address, T("trim"), T("lowercase"))
	}
	r.setFound(m, "email_verified", cs.exact[verified], T("bool"))
	meteorMoreEmails(src, r)
	mapUsername(src, m, r, cs.exact["username"])
	r.setFound(m, "name", cs.exact["profile.name"], T("trim"))
	r.setFound(m, "given_name", cs.find("profile.firstName", "profile.first_name"), T("trim"))
	r.setFound(m, "family_name", cs.find("profile.lastName", "profile.last_name"), T("trim"))
	if h := cs.exact["services.password.bcrypt"]; h != "" {
		r.set(m, "password.password_hash", h, T("trim"), TA("hashed_with", meteorHasher))
		n := len(sampleValues(src, h))
		r.note("passwords: %d of the %d sampled users %s a Meteor password (services.password.bcrypt), which Authgear would never verify: Meteor bcrypt-hashes the SHA-256 of the password, not the password itself, so it is never sent as bcrypt; it is declared %s and follows passwords.unsupported; the rolling migration keeps these passwords (the old app checks them until each user has signed in through Authgear): %s",
			n, len(src.Sample()), has(n), HasherFamily(meteorHasher), RollingMigrationGuide)
	}
	if cs.exact["services.password.argon2"] != "" {
		r.note("passwords: services.password.argon2 (Meteor 3's argon2) is not mapped: Authgear imports bcrypt only")
	}
	if p := meteorServices(src); len(p) > 0 {
		r.note("users who sign in with %s (services): the link is not imported; those without a password %s", strings.Join(p, ", "), NewPasswordAdvice)
	}
	return finishPreset(src, m, r, meteorLimits)
}

// meteorMoreEmails says how many sampled users have more than one
// address, and how many have a verified address after an unverified
// first one (imported as not verified).
func meteorMoreEmails(src *Source, r *presetReport) {
	more, laterVerified := 0, 0
	for _, row := range src.Sample() {
		list, ok := row.Object["emails"].([]any)
		if !ok || len(list) < 2 {
			continue
		}
		more++
		first, _ := list[0].(map[string]any)
		if first != nil && first["verified"] == true {
			continue
		}
		for _, e := range list[1:] {
			if o, ok := e.(map[string]any); ok && o["verified"] == true {
				laterVerified++
				break
			}
		}
	}
	if more == 0 {
		return
	}
	extra := ""
	if laterVerified > 0 {
		extra = fmt.Sprintf("; %d of them %s a verified address after an unverified first one, imported as not verified", laterVerified, has(laterVerified))
	}
	r.note("%d of the %d sampled users %s more than one address in emails: the first is imported as the email, the others are not%s", more, len(src.Sample()), has(more), extra)
}

// meteorServices lists the sign-in services other than password and
// resume that the sample shows (google, facebook, ...).
func meteorServices(src *Source) []string {
	seen := map[string]bool{}
	for _, c := range src.Columns() {
		rest, ok := strings.CutPrefix(c, "services.")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, ".")
		name, _, _ = strings.Cut(name, "[")
		switch name {
		case "", "password", "resume", "email":
			continue
		}
		if len(sampleValues(src, c)) > 0 {
			seen[Printable(name)] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
