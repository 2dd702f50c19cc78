package importer

import (
	"fmt"
	"sort"
	"strings"
)

// AWS Cognito's list-users JSON (issue 18 item 8): the Users[] of
// `aws cognito-idp list-users` (and the UserAttributes of
// admin-get-user), each user with Username, Attributes: [{"Name",
// "Value"}], UserStatus, Enabled, UserCreateDate, UserLastModifiedDate
// and, for SMS MFA, MFAOptions. The attributes are read by name
// (Attributes[Name=email].Value, recordpaths.go), never by position.

// cognitoStatuses are the values Cognito writes in UserStatus.
var cognitoStatuses = []string{"UNCONFIRMED", "CONFIRMED", "ARCHIVED", "COMPROMISED", "UNKNOWN", "RESET_REQUIRED", "FORCE_CHANGE_PASSWORD", "EXTERNAL_PROVIDER"}

// cognitoAttrList returns the key of the list of attributes of the
// sampled users ("Attributes", or admin-get-user's "UserAttributes"), or
// "" when there is none.
func cognitoAttrList(cs *columnSet) string {
	for _, l := range []string{"Attributes", "UserAttributes"} {
		for _, c := range cs.src.Columns() {
			rest, ok := strings.CutPrefix(c, l+"[")
			if !ok {
				continue
			}
			// Pivoted by name (Attributes[Name=email].Value), or by
			// position (Attributes[0].Name) when the names repeat.
			if strings.HasPrefix(rest, "Name=") || strings.HasSuffix(rest, "].Name") || strings.HasSuffix(rest, "].Value") {
				return l
			}
		}
	}
	return ""
}

// cognitoAttr is the path of the value of the attribute name.
func cognitoAttr(list, name string) string {
	return list + "[Name=" + name + "].Value"
}

func detectCognitoJSON(src *Source) int {
	if src.Format() != FormatJSON && src.Format() != FormatNDJSON {
		return 0
	}
	cs := columnsOf(src)
	list := cognitoAttrList(cs)
	status := cs.find("UserStatus")
	if list == "" && status == "" {
		return 0
	}
	s := 0
	if list != "" {
		s += 25
	}
	if status != "" {
		s += 15
		vals := sampleValues(src, status)
		known := 0
		for _, v := range vals {
			for _, st := range cognitoStatuses {
				if v == st {
					known++
					break
				}
			}
		}
		if len(vals) > 0 && known*5 >= len(vals)*4 {
			s += 30 // Cognito's own words
		}
	}
	if cs.has("UserCreateDate") {
		s += 15
	}
	if cs.has("UserLastModifiedDate") {
		s += 10
	}
	if cs.has("Username") && cs.has("Enabled") {
		s += 5
	}
	if list != "" && len(sampleValues(src, cognitoAttr(list, "sub"))) > 0 {
		s += 10 // every Cognito user has its sub attribute
	}
	return clamp(s)
}

func buildCognitoJSON(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Cognito")
	m := newPresetMapping(src, o, "cognito")
	cs := columnsOf(src)
	list := cognitoAttrList(cs)
	if list == "" {
		list = "Attributes"
	}
	attr := func(name string) string { return cognitoAttr(list, name) }
	// An attribute is mapped when some sampled user has it; the
	// identifier always is (a record without it is reported invalid).
	found := func(name string) string {
		if len(sampleValues(src, attr(name))) > 0 {
			return attr(name)
		}
		return ""
	}
	nameSourceID(src, m, attr("sub")) // the old id: the sub attribute, not Username
	email := found("email")
	if email == "" && m.Identifier == IdentifierEmail {
		email = attr("email")
	}
	r.setFound(m, "email", email, T("trim"), T("lowercase"))
	r.setFound(m, "email_verified", found("email_verified"), T("bool"))
	phone := found("phone_number")
	if phone == "" && m.Identifier == IdentifierPhone {
		phone = attr("phone_number")
	}
	r.setFound(m, "phone_number", phone, T("trim"))
	r.setFound(m, "phone_number_verified", found("phone_number_verified"), T("bool"))
	cognitoMFA(src, m, r, attr)
	for _, f := range []string{"name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture", "website", "gender", "zoneinfo"} {
		r.setFound(m, f, found(f), T("trim"))
	}
	r.setFound(m, "birthdate", found("birthdate"), T("trim"), T("date"))
	r.setFound(m, "locale", found("locale"), T("trim"), T("locale"))
	r.setFound(m, "address.formatted", found("address"), T("trim"))
	if c := cs.find("Enabled"); c != "" {
		r.set(m, "disabled", c, T("bool"), T("not"))
	}
	cognitoUsername(src, m, r, found("preferred_username"), cs.find("Username"))

	// custom:* attributes, by name.
	var custom, skipped []string
	prefix := list + "[Name=custom:"
	for _, c := range src.Columns() {
		rest, ok := strings.CutPrefix(c, prefix)
		if !ok {
			continue
		}
		name, ok := strings.CutSuffix(rest, "].Value")
		if !ok {
			continue
		}
		if !reCustomName.MatchString(name) {
			skipped = append(skipped, "custom:"+name)
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

	// What the sample shows: the users' status, the disabled ones, SMS MFA.
	statuses := map[string]int{}
	disabled := 0
	for _, row := range src.Sample() {
		u := row.Object
		if u == nil {
			continue
		}
		if st, ok := u["UserStatus"].(string); ok && st != "" {
			statuses[st]++
		}
		if b, ok := u["Enabled"].(bool); ok && !b {
			disabled++
		}
	}
	n := len(src.Sample())
	if disabled > 0 {
		r.note("%d of the %d sampled users %s disabled in Cognito (Enabled: false): they are imported disabled", disabled, n, plural(disabled, "is", "are"))
	}
	for _, line := range cognitoStatusNotes(statuses, n) {
		r.note("%s", line)
	}
	r.note("Cognito never exports password hashes: every user is imported without a password and %s; to keep the old passwords, use Authgear's rolling migration: %s", NewPasswordAdvice, RollingMigrationGuide)
	return finishPreset(src, m, r, cognitoLimits)
}

// cognitoUsername maps the username: preferred_username when the users
// have one, else Cognito's Username when it is a name people chose (not
// a generated id such as the sub, or the email, or the phone number).
func cognitoUsername(src *Source, m *Mapping, r *presetReport, pref, user string) {
	switch {
	case pref != "" && len(sampleValues(src, pref)) > 0:
		mapUsername(src, m, r, pref)
	case user != "":
		vals := sampleValues(src, user)
		generated := 0
		for _, v := range vals {
			if reUUID.MatchString(v) || reEmailish.MatchString(v) || strings.HasPrefix(v, "+") {
				generated++
			}
		}
		if len(vals) > 0 && generated*2 < len(vals) {
			mapUsername(src, m, r, user)
		} else if len(vals) > 0 {
			r.note("%s holds generated ids or the email (the pool signs users in by email or phone): it is not imported", user)
		}
	}
}

// cognitoStatusNotes says what becomes of the users of each UserStatus
// other than CONFIRMED that the sample shows.
func cognitoStatusNotes(statuses map[string]int, sampled int) []string {
	var keys []string
	for k := range statuses {
		if k != "CONFIRMED" {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if statuses[keys[i]] != statuses[keys[j]] {
			return statuses[keys[i]] > statuses[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var out []string
	for _, k := range keys {
		c := statuses[k]
		what := "imported like the others"
		switch k {
		case "FORCE_CHANGE_PASSWORD":
			what = "created by an administrator and never signed in with their own password: imported like the others, they set a password through the forgot-password flow or sign in without one"
		case "RESET_REQUIRED":
			what = "required by Cognito to reset their password: imported like the others, they set a new password through the forgot-password flow"
		case "UNCONFIRMED":
			what = "signed up but never confirmed their account: imported, with email_verified and phone_number_verified as their attributes say"
		case "EXTERNAL_PROVIDER":
			what = "signed in through a federated identity provider: imported as users of their email or phone, the provider link cannot be imported"
		case "COMPROMISED", "ARCHIVED":
			what = "imported like the others: remove them from the export if they should not be migrated"
		}
		out = append(out, fmt.Sprintf("UserStatus %s: %d of the %d sampled users, %s", k, c, sampled, what))
	}
	return out
}

// cognitoMFA maps the users' SMS and email second factors (issue 16 item
// 5). Cognito sends the codes to the user's own phone_number and email
// attributes; which users have the factor on is in UserMFASettingList
// (SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA: admin-get-user) or, in
// list-users, only for SMS in the older MFAOptions ([{DeliveryMedium: SMS,
// AttributeName: phone_number}]). The attribute becomes the second factor
// of the users whose record says so (the when transform), no one else's.
func cognitoMFA(src *Source, m *Mapping, r *presetReport, attr func(string) string) {
	settings, sms, email, software, options := 0, 0, 0, 0, 0
	for _, row := range src.Sample() {
		u := row.Object
		if l, ok := u["UserMFASettingList"].([]any); ok {
			settings++
			for _, v := range l {
				switch v {
				case "SMS_MFA":
					sms++
				case "EMAIL_OTP":
					email++
				case "SOFTWARE_TOKEN_MFA":
					software++
				}
			}
		}
		if l, ok := u["MFAOptions"].([]any); ok {
			for _, o := range l {
				if o, ok := o.(map[string]any); ok && o["DeliveryMedium"] == "SMS" {
					options++
					break
				}
			}
		}
	}
	n := len(src.Sample())
	// UserMFASettingList is what Cognito goes by when a record has it;
	// list-users has only MFAOptions.
	smsWhen := "MFAOptions[DeliveryMedium=SMS]"
	if settings > 0 {
		smsWhen = "UserMFASettingList[=SMS_MFA]"
	} else {
		sms = options
	}
	if sms > 0 {
		r.set(m, "mfa.phone_number", attr("phone_number"), T("trim"), TA("when", smsWhen))
		r.note("%d of the %d sampled users %s SMS multi-factor authentication in Cognito (%s): their phone_number becomes their Authgear SMS second factor (mfa.phone_number)", sms, n, has(sms), strings.SplitN(smsWhen, "[", 2)[0])
	}
	if email > 0 {
		r.set(m, "mfa.email", attr("email"), T("trim"), T("lowercase"), TA("when", "UserMFASettingList[=EMAIL_OTP]"))
		r.note("%d of the %d sampled users %s email multi-factor authentication in Cognito (EMAIL_OTP): their email becomes their Authgear email second factor (mfa.email)", email, n, has(email))
	}
	if software > 0 {
		r.note("%d of the %d sampled users %s an authenticator app (SOFTWARE_TOKEN_MFA) in Cognito: Cognito never exports its secret, so it is not carried over and they enrol again", software, n, has(software))
	}
}
