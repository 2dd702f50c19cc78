package importer

import "testing"

// TestFirebaseMFAInfo: the mfaInfo of the Identity Toolkit API's users
// gives the SMS and email second factors, each read wherever it stands in
// the list; TOTP enrolments are said not carried over.
func TestFirebaseMFAInfo(t *testing.T) {
	r := mapAndPrepare(t, "firebase-mfa.json", SuggestOptions{}, nil)
	if r.m.Preset != "firebase" {
		t.Fatalf("preset %q", r.m.Preset)
	}
	wantFields(t, r.m, map[string]string{"mfa.phone_number": "mfaInfo", "mfa.email": "mfaInfo", "mfa.totp.secret": ""})
	if r.stats.Valid != 5 || r.stats.Invalid != 0 {
		t.Fatalf("valid %d invalid %d, want 5 and 0", r.stats.Valid, r.stats.Invalid)
	}
	r.wantValues(t, map[int]map[string]string{
		1: {"mfa.phone_number": `"+447911123456"`, "mfa.email": ""},
		// The phone is the second enrolment, after a TOTP one.
		2: {"mfa.phone_number": `"+14155550199"`, "mfa.email": ""},
		3: {"mfa.phone_number": "", "mfa.email": `"cal.second@example.org"`},
		4: {"mfa.phone_number": "", "mfa.email": ""},
		// A sign-in phone is no second factor.
		5: {"mfa.phone_number": "", "phone_number": `"+14155550100"`},
	})
	r.wantNotes(t,
		[]string{"2 of the 5 sampled users have an SMS second factor in Firebase (mfaInfo phoneInfo)", "mfa.phone_number"},
		[]string{"1 of the 5 sampled users has an email second factor in Firebase", "mfa.email"},
		[]string{"2 of the 5 sampled users have an authenticator app (TOTP) second factor in Firebase", "enrol again"},
	)
	// auth:export's own files have no mfaInfo: nothing is mapped.
	r = mapAndPrepare(t, "firebase-emulator.json", SuggestOptions{}, nil)
	wantFields(t, r.m, map[string]string{"mfa.phone_number": "", "mfa.email": ""})
}

// TestCognitoMFA: admin-get-user's UserMFASettingList and list-users's
// MFAOptions say which users have SMS (or email) MFA: their phone_number
// (or email) attribute becomes the second factor, and no one else's.
func TestCognitoMFA(t *testing.T) {
	r := mapAndPrepare(t, "cognito-admin-get-user-mfa.json", SuggestOptions{}, nil)
	if r.m.Preset != "cognito" {
		t.Fatalf("preset %q", r.m.Preset)
	}
	wantFields(t, r.m, map[string]string{
		"mfa.phone_number": "UserAttributes[Name=phone_number].Value",
		"mfa.email":        "UserAttributes[Name=email].Value",
		"mfa.totp.secret":  "",
	})
	if r.stats.Valid != 5 || r.stats.Invalid != 0 {
		t.Fatalf("valid %d invalid %d, want 5 and 0", r.stats.Valid, r.stats.Invalid)
	}
	r.wantValues(t, map[int]map[string]string{
		1: {"mfa.phone_number": `"+14155550101"`, "mfa.email": ""},
		2: {"mfa.phone_number": "", "mfa.email": `"quin@example.com"`},
		3: {"mfa.phone_number": "", "mfa.email": "", "phone_number": `"+14155550103"`},
		4: {"mfa.phone_number": "", "mfa.email": ""},
		5: {"mfa.phone_number": `"+14155550105"`},
	})
	r.wantNotes(t,
		[]string{"2 of the 5 sampled users have SMS multi-factor authentication in Cognito (UserMFASettingList)"},
		[]string{"1 of the 5 sampled users has email multi-factor authentication in Cognito (EMAIL_OTP)"},
		[]string{"2 of the 5 sampled users have an authenticator app (SOFTWARE_TOKEN_MFA)", "never exports its secret"},
	)
	checkNothingInvisible(t, "cognito-admin-get-user-mfa.json", r.m, r.rep)

	r = mapAndPrepare(t, "cognito-list-users-mfa.json", SuggestOptions{}, nil)
	wantFields(t, r.m, map[string]string{"mfa.phone_number": "Attributes[Name=phone_number].Value", "mfa.email": ""})
	r.wantValues(t, map[int]map[string]string{
		1: {"mfa.phone_number": `"+14155550106"`},
		2: {"mfa.phone_number": "", "phone_number": `"+14155550107"`},
		3: {"mfa.phone_number": ""},
	})
	checkNothingInvisible(t, "cognito-list-users-mfa.json", r.m, r.rep)
}
