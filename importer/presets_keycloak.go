package importer

import (
	"fmt"
	"strings"
)

// Keycloak: a realm export ({"realm": ..., "users": [...]}, from the
// admin console's partial export or kc.sh export) or a users file of a
// split export. Each user's credentials[] hold secretData and
// credentialData as JSON strings inside the JSON; the hashing algorithm is
// credentialData.algorithm.

// keycloakInternalRoles are roles Keycloak gives every user for its own
// purposes; they mean nothing in Authgear.
const keycloakInternalRoles = "default-roles-*,offline_access,uma_authorization"

// keycloakPasswordLimit is what the preset says of passwords; the notes say it
// with the counts of the file.
const keycloakPasswordLimit = "Keycloak's password hashes (pbkdf2-sha256, pbkdf2-sha512, argon2) cannot be imported: only bcrypt credentials (from a bcrypt provider) can"

var keycloakLimits = []string{
	"Keycloak-internal roles (default-roles-<realm>, offline_access, uma_authorization) are dropped; client roles are not mapped",
	"OTP credentials Authgear's TOTP cannot check (HOTP, HmacSHA256/512, 8 digits, a period other than 30 s), and a user's OTP credentials after the first: those users enrol their authenticator app again",
	"identity-provider links (federatedIdentities) and user-federation (LDAP, Kerberos) links cannot be imported",
	"user attributes are not mapped: map them to custom attributes if the project defines them",
	noteOldIDs,
	noteNoTimes,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "keycloak",
		Title:  "Keycloak (realm export JSON)",
		Detect: detectKeycloak,
		Build:  buildKeycloak,
		Limits: append([]string{keycloakPasswordLimit}, keycloakLimits...),
	})
}

// keycloakUserScore scores columns as Keycloak user representations.
func keycloakUserScore(cs *columnSet) int {
	s := 0
	// credentials[0].secretData, or credentials[type=password].value when
	// the credentials are a list of type/value pairs (recordpaths.go).
	if keycloakCredential(cs, "credentialData") || keycloakCredential(cs, "secretData") {
		s += 50
	} else if cs.hasPrefix("credentials[") {
		s += 25
	}
	if cs.has("realmRoles") || cs.hasPrefix("realmRoles") {
		s += 20
	}
	if cs.has("createdTimestamp") {
		s += 15
	}
	if cs.has("username") && cs.has("enabled") && cs.has("emailVerified") {
		s += 15
	}
	s += 10 * cs.count("federatedIdentities", "requiredActions", "notBefore", "disableableCredentialTypes", "serviceAccountClientId", "federationLink", "clientRoles", "totp")
	return s
}

func detectKeycloak(src *Source) int {
	if src.Format() != FormatJSON && src.Format() != FormatNDJSON {
		return 0
	}
	cs := columnsOf(src)
	if s := keycloakUserScore(cs); s >= MinDetectScore {
		return clamp(s)
	}
	// A full realm export can hold other arrays before "users" (groups,
	// requiredCredentials, ...), and the loader takes the first: look for
	// the users under their key.
	if src.Format() == FormatJSON && (cs.has("subGroups") || cs.has("path") || !sampleHasObjects(src)) {
		s2, err := Open(src.Name(), SourceOptions{Format: FormatJSON, RecordsKey: "users", SampleSize: 20})
		if err != nil {
			return 0
		}
		defer s2.Close()
		return clamp(keycloakUserScore(columnsOf(s2)))
	}
	return 0
}

func buildKeycloak(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	if src.Format() == FormatCSV {
		return nil, nil, fmt.Errorf("Keycloak exports are JSON (a realm export with users[]); %s is CSV", src.Name())
	}
	r := newPresetReport("Keycloak")
	m := newPresetMapping(src, o, "keycloak")
	users := src
	if src.Format() == FormatJSON && jsonDocIsObject(src) {
		m.Source.RecordsKey = "users"
		if keycloakUserScore(columnsOf(src)) < MinDetectScore {
			// The sample came from another array: read the users.
			s2, err := Open(src.Name(), m.SourceOptions())
			if err != nil {
				return nil, nil, err
			}
			defer s2.Close()
			users = s2
		}
	}
	m.Source.ID = &FieldSpec{From: "id"} // the old id: a UUID
	r.set(m, "email", "email", T("trim"), T("lowercase"))
	r.set(m, "email_verified", "emailVerified", T("bool"))
	r.set(m, "given_name", "firstName", T("trim"))
	r.set(m, "family_name", "lastName", T("trim"))
	r.set(m, "disabled", "enabled", T("bool"), T("not"))
	r.set(m, "roles", "realmRoles", T("split"), TA("drop", keycloakInternalRoles))
	r.set(m, "groups", "groups", T("split"), TA("strip_prefix", "/"))
	// A realm file written to be imported (rather than exported) holds
	// passwords in clear text as credentials[].value: map that when the
	// sample has no hashes, so that finishPreset treats it as plaintext
	// (unmapped with a note, or hashed locally under passwords.plaintext).
	const clearPath = "credentials[type=password].value"
	hashes, clear := len(sampleValues(users, "credentials[type=password].secretData")), len(sampleValues(users, clearPath))
	if clear > 0 && hashes == 0 {
		r.set(m, "password.password_hash", clearPath)
	} else {
		r.set(m, "password.password_hash", "credentials[type=password].secretData.value", TA("hasher", "credentials[type=password].credentialData.algorithm"))
		if clear > 0 {
			r.note("%d sampled users have a clear-text password (credentials[].value) beside %d with a hash: the clear-text ones are not mapped, those users are imported without a password; %s", clear, hashes, PlaintextWarning)
		}
	}
	mapUsername(users, m, r, columnsOf(users).find("username"))
	m.RejectIf = append(m.RejectIf, Condition{From: "serviceAccountClientId", Present: true, Reason: "a Keycloak service account (the identity of a client, not a person): not migrated"})
	otpCreds := keycloakOTP(users, m, r)

	// What the sample shows.
	var otp, fed, idp, actions, internalOnly, service int
	for _, row := range users.Sample() {
		u := row.Object
		if u == nil {
			continue
		}
		if v, ok := u["serviceAccountClientId"]; ok && !isEmpty(v) {
			service++
		}
		if b, _ := u["totp"].(bool); b {
			otp++
		}
		if v, ok := u["federationLink"]; ok && !isEmpty(v) {
			fed++
		}
		if v, ok := u["federatedIdentities"].([]any); ok && len(v) > 0 {
			idp++
		}
		if v, ok := u["requiredActions"].([]any); ok && len(v) > 0 {
			actions++
		}
		if v, ok := u["realmRoles"].([]any); ok && len(v) > 0 {
			if kept, _ := tDrop(v, keycloakInternalRoles, nil); len(kept.([]any)) == 0 {
				internalOnly++
			}
		}
	}
	n := len(users.Sample())
	r.note("realmRoles become roles without Keycloak's own default-roles-<realm>, offline_access and uma_authorization (%d of the %d sampled users have no other role); groups lose their leading '/' (a subgroup path such as parent/child is not a valid Authgear key); %s", internalOnly, n, noteRolesExist)
	if otp > otpCreds {
		r.note("%d sampled users have an OTP authenticator in Keycloak (totp: true) whose credential the export does not hold: it cannot be carried over, they enrol again", otp-otpCreds)
	}
	if fed > 0 {
		r.note("%d sampled users come from user federation (LDAP or Kerberos): the export holds no password for them", fed)
	}
	if idp > 0 {
		r.note("%d sampled users are linked to identity providers (federatedIdentities): the links cannot be imported", idp)
	}
	if actions > 0 {
		r.note("%d sampled users have pending required actions (requiredActions) in Keycloak: they are not carried over", actions)
	}
	if service > 0 {
		r.note("%d sampled users are Keycloak service accounts (serviceAccountClientId set): they are clients, not people, and are not migrated (reported invalid with that reason)", service)
	}
	return finishPreset(src, m, r, keycloakLimits)
}

// keycloakCredential says whether a column is the part of a credential
// (credentials[0].secretData, credentials[type=password].secretData).
func keycloakCredential(cs *columnSet, part string) bool {
	for _, c := range cs.src.Columns() {
		if rest, ok := strings.CutPrefix(c, "credentials["); ok {
			if _, after, ok := strings.Cut(rest, "]."); ok && strings.HasPrefix(after, part) {
				return true
			}
		}
	}
	return false
}

// The paths of a user's first OTP credential: its secret (secretData is a
// JSON string, entered by the path) and its parameters.
const (
	keycloakOTPSecretPath = "credentials[type=otp].secretData.value"
	keycloakOTPDataPath   = "credentials[type=otp].credentialData"
)

// keycloakOTP maps the OTP credentials' secrets (issue 16 item 5) when
// the sample has some, and returns how many sampled users have one.
func keycloakOTP(users *Source, m *Mapping, r *presetReport) int {
	secretPath, err1 := compilePath(keycloakOTPSecretPath, nil, false)
	dataPath, err2 := compilePath(keycloakOTPDataPath, nil, false)
	if err1 != nil || err2 != nil {
		return 0
	}
	creds, several := 0, 0
	mapTOTP(users, m, r, "Keycloak", keycloakOTPSecretPath, func(row *Row) (string, error) {
		v, _ := secretPath.lookup(row)
		s, _ := v.(string)
		if strings.TrimSpace(s) == "" {
			return "", nil
		}
		creds++
		if l, ok := row.Object["credentials"].([]any); ok {
			n := 0
			for _, c := range l {
				if c, ok := c.(map[string]any); ok && c["type"] == "otp" {
					n++
				}
			}
			if n > 1 {
				several++
			}
		}
		data, _ := dataPath.lookup(row)
		return KeycloakOTPSecret(s, data)
	}, TA("keycloak_otp", keycloakOTPDataPath))
	if several > 0 {
		r.note("%d sampled %s several OTP credentials in Keycloak: the first is imported (an Authgear import gives a user one TOTP secret), the others are enrolled again", several, plural(several, "user has", "users have"))
	}
	return creds
}
