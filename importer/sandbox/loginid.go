package sandbox

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// Login-ID keys (identity.login_id.keys[].type) and the record fields and
// standard claims that go with them.
const (
	keyEmail    = "email"
	keyPhone    = "phone"
	keyUsername = "username"
)

var fieldForKey = map[string]string{keyEmail: "email", keyPhone: "phone_number", keyUsername: "preferred_username"}
var keyForField = map[string]string{"email": keyEmail, "phone_number": keyPhone, "preferred_username": keyUsername}

// maxLength of each key: LoginIDKeyConfig.SetDefaults (email 320, phone and
// username 40), compared with len() in bytes (real-server/m02 #26).
var maxLengthForKey = map[string]int{keyEmail: 320, keyPhone: 40, keyUsername: 40}

var usernameASCII = regexp.MustCompile(`^[a-zA-Z0-9_\-.]*$`)

// reservedUsernames is a subset of authgear-server's reserved_name.txt
// (block_reserved_usernames defaults to true). The full list is not
// available here; the common administrative names are.
var reservedUsernames = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`
		about abuse access account accounts activate add address admin administration
		administrator admins api app apps auth authentication authgear billing blog
		cache config contact dashboard dev developer developers docs email feedback
		help home hostmaster info login logout mail mailer-daemon manager me moderator
		news noreply no-reply nobody null oauth operator owner password postmaster
		privacy register registration root sales security settings signin signout signup
		staff status support sys sysadmin system team terms test undefined user users
		webmaster www`) {
		reservedUsernames[n] = true
	}
}

// loginIDError is loginid.Checker's "invalid login ID" ValidationFailed with
// its cause at /login_id (real-server/g06, m02 #26).
func loginIDError(kind string, details map[string]any) *APIError {
	return errValidation("invalid login ID", []cause{{Location: "/login_id", Kind: kind, Details: details}}, true)
}

// checkLoginID is loginid.Checker.ValidateOne for the default project
// configuration (no domain lists, ascii_only usernames, reserved names
// blocked).
func checkLoginID(key, value string, enabled bool, possibleOnly bool) *APIError {
	if !enabled {
		// Reached only by upsert, which does not consult the key config
		// before Identities.New (service.go upsertIdentitiesInTxnHelper).
		return loginIDError("general", map[string]any{"msg": "login ID key is not allowed"})
	}
	if max := maxLengthForKey[key]; len(value) > max {
		return loginIDError("maxLength", map[string]any{"expected": max, "actual": len(value)})
	}
	if value == "" {
		return loginIDError("required", nil)
	}
	switch key {
	case keyEmail:
		if checkEmail(value) != nil {
			return loginIDError("format", map[string]any{"format": "email"})
		}
	case keyUsername:
		folded, err := precis.NewIdentifier(precis.FoldCase()).String(value)
		if err != nil {
			return loginIDError("format", map[string]any{"format": "username"})
		}
		if reservedUsernames[folded] {
			return loginIDError("blocked", map[string]any{"reason": "UsernameReserved"})
		}
		if !usernameASCII.MatchString(value) {
			return loginIDError("format", map[string]any{"format": "username"})
		}
	case keyPhone:
		if _, err := parsePhone(value, possibleOnly); err != nil {
			return loginIDError("format", map[string]any{"format": "phone"})
		}
	}
	return nil
}

// normalizeLoginID is loginid's normalizers with the default config
// (case-insensitive email and username, dots kept): the stored claim.
func normalizeLoginID(key, value string) (string, error) {
	switch key {
	case keyEmail:
		at := strings.LastIndex(value, "@")
		if at < 0 {
			return "", fmt.Errorf("malformed email %q", value)
		}
		p := precis.NewFreeform(precis.FoldCase())
		domain, err := p.String(value[at+1:])
		if err != nil {
			return "", fmt.Errorf("failed to case fold email: %w", err)
		}
		local, err := p.String(norm.NFKC.String(value[:at]))
		if err != nil {
			return "", fmt.Errorf("failed to case fold email: %w", err)
		}
		return local + "@" + domain, nil
	case keyUsername:
		v, err := precis.NewIdentifier(precis.FoldCase()).String(norm.NFKC.String(value))
		if err != nil {
			return "", fmt.Errorf("failed to case fold username: %w", err)
		}
		return v, nil
	case keyPhone:
		// LegalParser: any parseable number, formatted as E.164.
		return parsePhone(value, true)
	}
	return value, nil
}
