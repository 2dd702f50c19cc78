package importer

import (
	"regexp"
	"strings"
)

// AWS Cognito: a user CSV with the columns of `aws cognito-idp
// get-csv-header` (the standard attributes, cognito:mfa_enabled,
// cognito:username and custom:* attributes), flags written TRUE/false;
// or the JSON of `aws cognito-idp list-users` (presets_cognito_json.go).

// cognitoPasswordLimit is what the preset says of passwords; the notes say it
// with the counts of the file.
const cognitoPasswordLimit = "Cognito never exports password hashes: no user keeps a password"

var cognitoLimits = []string{
	"authenticator apps (SOFTWARE_TOKEN_MFA), whose secret Cognito never exports, and the second factors of a CSV, whose cognito:mfa_enabled does not say which (SMS and email ones come across from list-users or admin-get-user JSON: MFAOptions, UserMFASettingList): users enrol again",
	"sign-ins through federated identity providers cannot be imported",
	noteOldIDs,
	noteNoTimes,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "cognito",
		Title:  "AWS Cognito (user CSV with the get-csv-header columns, or list-users JSON)",
		Detect: detectCognito,
		Build:  buildCognito,
		Limits: append([]string{cognitoPasswordLimit}, cognitoLimits...),
	})
}

// cognitoStandard are the standard attribute columns of get-csv-header.
var cognitoStandard = []string{"name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile", "picture", "website", "email", "email_verified", "gender", "birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified", "address", "updated_at"}

func detectCognito(src *Source) int {
	if src.Format() != FormatCSV {
		return detectCognitoJSON(src)
	}
	cs := columnsOf(src)
	s := 0
	if cs.has("cognito:username") {
		s += 80
	}
	if cs.has("cognito:mfa_enabled") {
		s += 60 // like every cognito: column, Cognito's own
	}
	if cs.hasPrefix("custom:") {
		s += 20
	}
	if s == 0 {
		return 0
	}
	s += 3 * cs.count(cognitoStandard...)
	return clamp(s)
}

var (
	reUUID       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	reCustomName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

func buildCognito(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	if src.Format() != FormatCSV {
		return buildCognitoJSON(src, o)
	}
	r := newPresetReport("Cognito")
	m := newPresetMapping(src, o, "cognito")
	cs := columnsOf(src)
	// The old id: the sub. The CSV of Cognito's import template has none:
	// its cognito:username (the sub, in a pool that signs in by email).
	if !nameSourceID(src, m, cs.exact["sub"]) && nameSourceID(src, m, cs.exact["cognito:username"]) {
		r.note("the CSV has no sub column: cognito:username is taken for the old user id (source.id); it is the sub in a pool whose users sign in by email or phone")
	}
	r.setFound(m, "email", cs.find("email"), T("trim"), T("lowercase"))
	r.setFound(m, "email_verified", cs.find("email_verified"), T("bool"))
	r.setFound(m, "phone_number", cs.find("phone_number"), T("trim"))
	r.setFound(m, "phone_number_verified", cs.find("phone_number_verified"), T("bool"))
	for _, f := range []string{"name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture", "website", "gender", "zoneinfo"} {
		r.setFound(m, f, cs.find(f), T("trim"))
	}
	r.setFound(m, "birthdate", cs.find("birthdate"), T("trim"), T("date"))
	r.setFound(m, "locale", cs.find("locale"), T("trim"), T("locale"))
	r.setFound(m, "address.formatted", cs.find("address"), T("trim"))
	if c := cs.find("enabled"); c != "" {
		r.set(m, "disabled", c, T("bool"), T("not"))
	}
	// The username: preferred_username if there is one, else cognito:username
	// when it is a name people chose (not a generated id or an email).
	cognitoUsername(src, m, r, cs.find("preferred_username"), cs.find("cognito:username"))
	// custom:* attributes.
	var custom, skipped []string
	for _, c := range src.Columns() {
		name, ok := strings.CutPrefix(c, "custom:")
		if !ok {
			continue
		}
		if !reCustomName.MatchString(name) {
			skipped = append(skipped, c)
			continue
		}
		r.set(m, CustomAttributePrefix+name, c, T("trim"))
		custom = append(custom, name)
	}
	if len(custom) > 0 {
		r.note("Cognito custom attributes become Authgear custom attributes of the same name (%s), as text; %s", strings.Join(custom, ", "), noteCustomAttrs)
	}
	if len(skipped) > 0 {
		r.note("custom attributes whose names Authgear cannot take are not mapped: %s", strings.Join(skipped, ", "))
	}
	if c := cs.find("cognito:mfa_enabled"); c != "" {
		n := 0
		for _, v := range sampleValues(src, c) {
			if b, err := ParseBool(v); err == nil && b {
				n++
			}
		}
		if n > 0 {
			r.note("%d sampled users had MFA enabled in Cognito: Cognito cannot export MFA secrets, so they enrol again in Authgear", n)
		}
	}
	if c := cs.find("cognito:user_status", "status", "UserStatus"); c != "" {
		r.note("the user status column %q is not mapped (FORCE_CHANGE_PASSWORD, RESET_REQUIRED and UNCONFIRMED users are imported like the others)", c)
	}
	r.note("Cognito never exports password hashes: every user is imported without a password and %s; to keep the old passwords, use Authgear's rolling migration: %s", NewPasswordAdvice, RollingMigrationGuide)
	return finishPreset(src, m, r, cognitoLimits)
}
