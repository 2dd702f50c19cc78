package importer

import (
	"fmt"
	"strings"
)

// Transforms that read second factors out of exports (issue 16 item 5):
// otpauth and keycloak_otp give TOTP secrets as Authgear takes them
// (totp.go), when keeps a value only for the users whose record says the
// factor is on (Cognito's SMS MFA), pick reads one kind of entry out of a
// list of enrolments (Firebase's mfaInfo).

// tOTPAuth: an otpauth:// key URI to its base32 secret.
func tOTPAuth(v any, _ string, _ *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("is %s, not an otpauth:// key URI", withArticle(jsonType(v)))
	}
	secret, err := TOTPFromURL(s)
	if err != nil || secret == "" {
		return nil, err
	}
	return secret, nil
}

// tKeycloakOTP: a Keycloak OTP credential's secretData.value to a base32
// secret, checked against its credentialData at the path arg.
func tKeycloakOTP(v any, arg string, c *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("is %s, not a Keycloak OTP secret", withArticle(jsonType(v)))
	}
	other, ok := c.plan.extra[arg]
	if !ok {
		return nil, fmt.Errorf("keycloak_otp: path %q was not compiled", arg)
	}
	data, _ := other.lookup(c.row)
	secret, err := KeycloakOTPSecret(s, data)
	if err != nil || secret == "" {
		return nil, err
	}
	return secret, nil
}

// tWhen keeps the value when the value at the path arg is present and not
// false (a false boolean, or a word that says false); otherwise the value
// is absent.
func tWhen(v any, arg string, c *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	other, ok := c.plan.extra[arg]
	if !ok {
		return nil, fmt.Errorf("when: path %q was not compiled", arg)
	}
	cond, found := other.lookup(c.row)
	if !found || isEmpty(cond) {
		return nil, nil
	}
	switch t := cond.(type) {
	case bool:
		if !t {
			return nil, nil
		}
	case string:
		if b, err := ParseBool(t); err == nil && !b {
			return nil, nil
		}
	case map[string]any:
		if len(t) == 0 {
			return nil, nil
		}
	}
	return v, nil
}

// tPick returns, from a list of objects (or one object), the value at the
// key arg (a dotted path inside the element) of the first element that
// has one: Firebase's mfaInfo [{phoneInfo}, {totpInfo}, {emailInfo:
// {emailAddress}}] with pick: phoneInfo is the enrolled phone, wherever
// it stands in the list.
func tPick(v any, arg string, _ *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	if s, ok := v.(string); ok {
		parsed, isJSON := parseJSONCell(s)
		if !isJSON {
			return nil, fmt.Errorf("is text, not a list of objects pick reads")
		}
		v = parsed
	}
	var list []any
	switch t := v.(type) {
	case []any:
		list = t
	case map[string]any:
		list = []any{t}
	default:
		return nil, fmt.Errorf("is %s, not a list of objects pick reads", withArticle(jsonType(v)))
	}
	keys := strings.Split(arg, ".")
	for _, e := range list {
		x := e
		for _, k := range keys {
			obj, ok := x.(map[string]any)
			if !ok {
				x = nil
				break
			}
			x = obj[strings.TrimSpace(k)]
		}
		if !isEmpty(x) {
			return x, nil
		}
	}
	return nil, nil
}
