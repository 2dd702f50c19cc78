package importer

import (
	"fmt"
	"sort"
	"strings"
)

// Ory Kratos: the identities of `kratos list identities --format json`
// (or GET /admin/identities with include_credential=password), a JSON
// array of {id, schema_id, state: active|inactive, traits: {...},
// verifiable_addresses: [{value, verified, via}], recovery_addresses,
// credentials: {password: {config: {hashed_password}}, oidc, totp, ...},
// metadata_public, metadata_admin} (issue 18 item 8). The traits are the
// project's own identity schema; the preset reads the names of Kratos's
// preset schemas and examples (email, name.first, name.last, phone,
// username). Verification is read from the verifiable address of the
// same channel (verifiable_addresses[via=email].verified), never by
// position.

const kratosHashPath = "credentials.password.config.hashed_password"

// kratosTOTPPath is the otpauth:// URI of an identity's TOTP credential
// (issue 18: it was not imported).
const kratosTOTPPath = "credentials.totp.config.totp_url"

var kratosLimits = []string{
	"password hashes other than bcrypt (argon2, pbkdf2, scrypt, ...) cannot be imported",
	"social sign-in (oidc), WebAuthn/passkeys, recovery codes, and TOTP credentials that Authgear's TOTP cannot check (not SHA1, 6 digits, 30 s) or whose totp_url the export lacks: users link or enrol them again",
	"metadata_public and metadata_admin are not mapped: map them to custom attributes if the project defines them",
	"traits other than the email, name, phone and username are not mapped: map them to custom attributes if the project defines them",
	noteOldIDs,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "kratos",
		Title:  "Ory Kratos (identities JSON of kratos list identities or the admin API)",
		Detect: detectKratos,
		Build:  buildKratos,
		Limits: kratosLimits,
	})
}

// kratosTrait returns the path of the first of the traits names that the
// file has, or "".
func kratosTrait(cs *columnSet, names ...string) string {
	for _, n := range names {
		if c, ok := cs.exact["traits."+strings.ToLower(n)]; ok {
			return c
		}
	}
	return ""
}

func detectKratos(src *Source) int {
	if src.Format() != FormatJSON && src.Format() != FormatNDJSON {
		return 0
	}
	cs := columnsOf(src)
	traits := cs.hasPrefix("traits.")
	if !traits && !cs.has("schema_id") {
		return 0
	}
	s := 0
	if traits {
		s += 20
	}
	if cs.has("schema_id") {
		s += 25
	}
	if cs.has("schema_url") {
		s += 5
	}
	if cs.hasPrefix("verifiable_addresses[") || cs.hasPrefix("recovery_addresses[") {
		s += 15
	}
	if cs.hasPrefix("credentials.password.") || cs.hasPrefix("credentials.oidc.") {
		s += 15
	}
	if st := cs.find("state"); st != "" {
		vals := sampleValues(src, st)
		known := 0
		for _, v := range vals {
			if v == "active" || v == "inactive" {
				known++
			}
		}
		if len(vals) > 0 && known*5 >= len(vals)*4 {
			s += 15
		}
	}
	if cs.has("metadata_public") || cs.has("metadata_admin") {
		s += 5
	}
	return clamp(s)
}

func buildKratos(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Ory Kratos")
	m := newPresetMapping(src, o, "kratos")
	cs := columnsOf(src)
	nameSourceID(src, m, "id") // the old id: the identity's UUID
	email := kratosTrait(cs, "email", "emails", "email_address")
	phone := kratosTrait(cs, "phone", "phone_number", "mobile")
	r.setFound(m, "email", email, T("trim"), T("lowercase"))
	if email != "" && len(sampleValues(src, "verifiable_addresses[via=email].verified")) > 0 {
		r.set(m, "email_verified", "verifiable_addresses[via=email].verified", T("bool"))
	}
	r.setFound(m, "phone_number", phone, T("trim"))
	if phone != "" && len(sampleValues(src, "verifiable_addresses[via=sms].verified")) > 0 {
		r.set(m, "phone_number_verified", "verifiable_addresses[via=sms].verified", T("bool"))
	}
	r.setFound(m, "given_name", kratosTrait(cs, "name.first", "first_name", "given_name", "firstname"), T("trim"))
	r.setFound(m, "family_name", kratosTrait(cs, "name.last", "last_name", "family_name", "lastname"), T("trim"))
	if n := kratosTrait(cs, "name"); n != "" && len(sampleValues(src, n)) > 0 {
		r.set(m, "name", n, T("trim")) // a schema whose name is one text
	}
	mapUsername(src, m, r, kratosTrait(cs, "username"))
	if st := cs.find("state"); st != "" {
		r.set(m, "disabled", st, T("trim"), TA("one_of", "inactive"))
	}
	if cs.has(kratosHashPath) {
		r.set(m, "password.password_hash", kratosHashPath, T("trim"))
	}
	if url, err := compilePath(kratosTOTPPath, nil, false); err == nil {
		mapTOTP(src, m, r, "Kratos", kratosTOTPPath, func(row *Row) (string, error) {
			v, _ := url.lookup(row)
			s, _ := v.(string)
			return TOTPFromURL(s)
		}, T("otpauth"))
	}
	kratosNotes(src, r, m.Fields["mfa.totp.secret"] != nil)
	return finishPreset(src, m, r, kratosLimits[1:])
}

// kratosNotes says what the sample shows: inactive identities, the
// credentials that are not carried over (TOTP is, when totpMapped),
// several identity schemas.
func kratosNotes(src *Source, r *presetReport, totpMapped bool) {
	n := len(src.Sample())
	inactive, noPassword := 0, 0
	creds := map[string]int{}
	schemas := map[string]int{}
	for _, row := range src.Sample() {
		u := row.Object
		if u == nil {
			continue
		}
		if st, _ := u["state"].(string); st == "inactive" {
			inactive++
		}
		if s, _ := u["schema_id"].(string); s != "" {
			schemas[s]++
		}
		c, _ := u["credentials"].(map[string]any)
		if _, ok := c["password"]; !ok {
			noPassword++
		}
		for k := range c {
			if k != "password" {
				creds[k]++
			}
		}
	}
	if inactive > 0 {
		r.note("%d of the %d sampled identities %s inactive in Kratos (state: inactive): they are imported disabled", inactive, n, plural(inactive, "is", "are"))
	}
	if noPassword > 0 {
		r.note("%d of the %d sampled identities %s no password credential (they sign in another way): imported without a password", noPassword, n, has(noPassword))
	}
	var kinds []string
	for k := range creds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		what := "it is not carried over"
		switch k {
		case "oidc":
			what = "social sign-in is not carried over: they sign in by email (or link the provider again)"
		case "totp":
			if totpMapped {
				continue // said by mapTOTP
			}
			what = "the export holds no totp_url (list the identities with include_credential=totp to have it): the authenticator app is not carried over, they enrol again"
		case "webauthn", "passkey":
			what = "security keys and passkeys are bound to the old domain: they enrol again"
		case "lookup_secret":
			what = "recovery codes are not carried over"
		case "code":
			what = "one-time codes need no import: enable them in Authgear"
		}
		r.note("%d of the %d sampled identities %s a credential of type %s: %s", creds[k], n, has(creds[k]), k, what)
	}
	if len(schemas) > 1 {
		var ids []string
		for s := range schemas {
			ids = append(ids, fmt.Sprintf("%s (%d)", s, schemas[s]))
		}
		sort.Strings(ids)
		r.note("the sampled identities use %d identity schemas: %s; the traits are read by the same names for all of them, check the mapping against each", len(schemas), strings.Join(ids, ", "))
	}
}
