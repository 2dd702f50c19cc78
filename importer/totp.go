package importer

import (
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Authenticator-app (TOTP) secrets from other systems (issue 16 item 5,
// issue 18's Kratos totp_url).
//
// Authgear's TOTP authenticator checks codes with fixed parameters
// (authgear-server pkg/util/secretcode/totp.go, validateOptsTOTP): HMAC-SHA1,
// 6 digits, a 30-second period, the secret in base32 without padding. A
// factor of other parameters (a counter-based HOTP, SHA-256 or SHA-512, 8
// digits, a 60-second period) would be imported and then never accept the
// codes the person's app shows: it is not imported, and the record says
// why (one of the reasons below). Under issue 18's rule the user is
// imported without it when fields.mfa.totp.secret.invalid is drop, which
// the presets that map such secrets write (the user enrols their app
// again, as every user of those systems had to before).

// Reasons a TOTP secret is left out (DroppedField.Reason), beside
// DropNotBase32.
const (
	DropTOTPCounter   = "hotp"           // counter-based, not time-based
	DropTOTPAlgorithm = "not_sha1"       // HMAC-SHA256 or -SHA512
	DropTOTPDigits    = "not_6_digits"   // 8-digit codes
	DropTOTPPeriod    = "not_30_seconds" // a period other than 30 s
)

// The parameters Authgear's TOTP accepts.
const (
	totpAlgorithm = "SHA1"
	totpDigits    = 6
	totpPeriod    = 30
)

// totpParams are the parameters of a one-time-password factor as another
// system records them.
type totpParams struct {
	// kind is "totp" or "hotp" ("" means totp).
	kind string
	// algorithm is the HMAC's hash as written (SHA1, HmacSHA256...); ""
	// means SHA1.
	algorithm string
	// digits and period: 0 means the default (6 digits, 30 s).
	digits, period int
}

// check says why Authgear's TOTP cannot take a factor of these parameters
// (a *fieldCheckError with its reason), or nil.
func (p totpParams) check() error {
	if k := strings.ToLower(strings.TrimSpace(p.kind)); k != "" && k != "totp" {
		if k == "hotp" {
			return withReason(DropTOTPCounter, errors.New("is a counter-based (HOTP) one-time password: Authgear's authenticator-app factor is time-based (TOTP) only"))
		}
		return withReason(DropTOTPCounter, fmt.Errorf("is a one-time password of type %q: Authgear's authenticator-app factor is time-based (TOTP) only", Printable(p.kind)))
	}
	if a := normTOTPAlgorithm(p.algorithm); a != "" && a != totpAlgorithm {
		return withReason(DropTOTPAlgorithm, fmt.Errorf("uses %s: Authgear's TOTP checks codes with SHA1 only", Printable(strings.TrimSpace(p.algorithm))))
	}
	if p.digits != 0 && p.digits != totpDigits {
		return withReason(DropTOTPDigits, fmt.Errorf("has %d-digit codes: Authgear's TOTP checks 6-digit codes only", p.digits))
	}
	if p.period != 0 && p.period != totpPeriod {
		return withReason(DropTOTPPeriod, fmt.Errorf("has a %d-second period: Authgear's TOTP checks codes of a 30-second period only", p.period))
	}
	return nil
}

// normTOTPAlgorithm writes an algorithm's name as otpauth URLs do:
// HmacSHA1, hmac-sha1 and sha1 are SHA1.
func normTOTPAlgorithm(a string) string {
	a = strings.ToUpper(strings.TrimSpace(a))
	a = strings.TrimPrefix(a, "HMAC")
	return strings.NewReplacer("-", "", "_", "").Replace(a)
}

// normBase32Secret writes a base32 secret as Authgear decodes it: upper
// case, without spaces or '=' padding; it says when what is left is not
// base32.
func normBase32Secret(s string) (string, error) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	s = strings.TrimRight(s, "=")
	if s == "" {
		return "", nil
	}
	if err := checkTOTP(s); err != nil {
		return "", withReason(DropNotBase32, err)
	}
	return s, nil
}

// TOTPFromURL reads an otpauth:// key URI (otpauth://totp/Issuer:name?
// secret=...&algorithm=SHA1&digits=6&period=30, as Google Authenticator's
// key URI format and Ory Kratos's credentials.totp.config.totp_url write
// it) and returns its secret as Authgear takes it, or why it cannot.
func TOTPFromURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Scheme, "otpauth") {
		return "", withReason(DropUnreadableValue, errors.New("is not an otpauth:// key URI"))
	}
	q := u.Query()
	p := totpParams{kind: u.Host, algorithm: q.Get("algorithm")}
	for _, f := range []struct {
		name string
		to   *int
	}{{"digits", &p.digits}, {"period", &p.period}} {
		if v := strings.TrimSpace(q.Get(f.name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return "", withReason(DropUnreadableValue, fmt.Errorf("has %s=%s, not a number", f.name, Printable(v)))
			}
			*f.to = n
		}
	}
	if err := p.check(); err != nil {
		return "", err
	}
	secret := q.Get("secret")
	if strings.TrimSpace(secret) == "" {
		return "", withReason(DropUnreadableValue, errors.New("is an otpauth:// key URI without a secret"))
	}
	return normBase32Secret(secret)
}

// KeycloakOTPSecret returns the secret of a Keycloak OTP credential as
// Authgear takes it, or why it cannot. value is secretData.value;
// credentialData is the credential's credentialData (the JSON object, or
// the string that holds it): {"subType": "totp", "digits": 6, "period":
// 30, "algorithm": "HmacSHA1", "secretEncoding": "BASE32"}. Keycloak's
// OTPCredentialModel.getDecodedSecret reads the value as the key's bytes
// (UTF-8) unless secretEncoding is BASE32, when it is the key in base32:
// the first is base32-encoded here, the second kept.
func KeycloakOTPSecret(value string, credentialData any) (string, error) {
	if strings.TrimSpace(value) == "" {
		return "", nil
	}
	data, err := keycloakCredentialData(credentialData)
	if err != nil {
		return "", err
	}
	p := totpParams{kind: scalarString(data["subType"]), algorithm: scalarString(data["algorithm"])}
	for _, f := range []struct {
		name string
		to   *int
	}{{"digits", &p.digits}, {"period", &p.period}} {
		if v, ok := data[f.name]; ok && v != nil {
			n, err := strconv.Atoi(strings.TrimSpace(scalarString(v)))
			if err != nil || n < 0 {
				return "", withReason(DropUnreadableValue, fmt.Errorf("has credentialData.%s %s, not a number", f.name, Printable(scalarString(v))))
			}
			*f.to = n
		}
	}
	if err := p.check(); err != nil {
		return "", err
	}
	switch enc := strings.TrimSpace(scalarString(data["secretEncoding"])); {
	case enc == "":
		return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(value)), nil
	case strings.EqualFold(enc, "BASE32"):
		return normBase32Secret(value)
	default:
		return "", withReason(DropUnreadableValue, fmt.Errorf("has a secret of encoding %q, which Keycloak itself cannot read", Printable(enc)))
	}
}

// keycloakCredentialData reads credentialData: an object, a string that
// holds one, or nothing (Keycloak's defaults).
func keycloakCredentialData(v any) (map[string]any, error) {
	switch t := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return t, nil
	case string:
		if strings.TrimSpace(t) == "" {
			return map[string]any{}, nil
		}
		if obj, ok := parseJSONCell(t); ok {
			if m, ok := obj.(map[string]any); ok {
				return m, nil
			}
		}
	}
	return nil, withReason(DropUnreadableValue, errors.New("has a credentialData that is not a JSON object"))
}

// mapTOTP maps mfa.totp.secret for a preset whose export holds TOTP
// secrets: from, with ts, gives each record's secret as Authgear takes it,
// and read gives a sampled record's the same way (secret "" and no error:
// the user has none). A factor Authgear's TOTP cannot check is dropped
// (fields.mfa.totp.secret.invalid: drop): before, every user of these
// systems enrolled again, and those still do; the note says how many of
// the sample keep their app.
func mapTOTP(src *Source, m *Mapping, r *presetReport, system, from string, read func(*Row) (string, error), ts ...Transform) {
	have, kept := 0, 0
	for _, row := range src.Sample() {
		secret, err := read(row)
		if secret == "" && err == nil {
			continue
		}
		have++
		if err == nil {
			kept++
		}
	}
	if have == 0 {
		return
	}
	r.set(m, "mfa.totp.secret", from, ts...)
	m.Fields["mfa.totp.secret"].Invalid = InvalidDrop
	n := len(src.Sample())
	line := fmt.Sprintf("%d of the %d sampled users %s an authenticator app (TOTP) in %s: ", have, n, has(have), system)
	switch {
	case kept == have:
		line += "its secret is imported, so the app keeps giving the codes Authgear asks for at sign-in"
	case kept == 0:
		line += "none uses what Authgear's TOTP checks (time-based, SHA1, 6 digits, 30 s), so they are imported without it and enrol again"
	default:
		line += fmt.Sprintf("%d of them keep it (its secret is imported); the other %d use a factor Authgear's TOTP cannot check (it checks time-based, SHA1, 6-digit, 30-second codes only) and are imported without it, to enrol again", kept, have-kept)
	}
	r.note("%s (fields.mfa.totp.secret.invalid: drop; reject rejects the users whose factor cannot be imported instead)", line)
}
